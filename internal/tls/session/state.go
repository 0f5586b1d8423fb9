package session

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// TLS versions a State may belong to.
const (
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// Bounds on an encoded State. They keep a hostile or corrupt encoding from
// costing more than a few hundred KiB and say what the engine may rely on.
const (
	// MaxSecretLen fits the largest hash the engine may use (SHA-512); the
	// TLS 1.2 master secret is 48 bytes, a TLS 1.3 PSK 32 or 48.
	MaxSecretLen = 64
	// MaxLifetime is the longest ticket lifetime RFC 8446, section 4.6.1
	// allows: seven days.
	MaxLifetime = 7 * 24 * 60 * 60
	// MaxNameLen bounds ALPN and ServerName: an ALPN protocol name is at most
	// 255 bytes (RFC 7301) and a DNS host name shorter still.
	MaxNameLen = 255
	// MaxCertificates and MaxCertificateLen bound PeerCertificates. Real
	// chains are three or four certificates of a few KiB each.
	MaxCertificates   = 10
	MaxCertificateLen = 65535
)

// stateFormat is the first byte of every encoding, so a later change of the
// layout is refused by older code instead of misread.
// Format 2 added authenticated_at and group.
const stateFormat = 2

// clockSkew is how far in the future CreatedAt may lie before a State is
// treated as unusable: servers sharing tickets do not share a clock.
const clockSkew = 60 // seconds

// ErrInvalidState is wrapped by every error Marshal and Unmarshal return.
var ErrInvalidState = errors.New("session: invalid state")

// State is what a client or server must remember to resume a session.
type State struct {
	Version              uint16 // 0x0303 or 0x0304
	CipherSuite          uint16
	Secret               []byte // TLS 1.3: the resumption PSK; TLS 1.2: the master secret
	ExtendedMasterSecret bool   // TLS 1.2 only
	CreatedAt            uint64 // unix seconds when the ticket was issued (TLS 1.3: the base of the ticket age)
	// AuthenticatedAt is when the full handshake this session descends from
	// took place, in unix seconds: a renewed ticket keeps it, so that a
	// session is never resumed past its lifetime however often it is
	// renewed. Zero means CreatedAt; otherwise it is at most CreatedAt.
	AuthenticatedAt uint64
	// Group is the key exchange group of the full handshake, what a resumed
	// TLS 1.2 connection reports as its CurveID (it performs no exchange).
	Group            uint16
	Lifetime         uint32 // seconds the server allows (TLS 1.3 ticket_lifetime; capped at 7 days)
	AgeAdd           uint32 // TLS 1.3 ticket_age_add
	MaxEarlyData     uint32 // TLS 1.3 only
	ALPN             string
	ServerName       string
	PeerCertificates [][]byte // DER, leaf first: what ConnectionState reports after resumption
	// VerifiedChain is the chain (DER, the leaf of PeerCertificates first,
	// the root last) that verified PeerCertificates when the session was
	// made, empty when they were not verified. A resumption checks that chain
	// again at its own time and against its own roots (as crypto/tls does)
	// instead of building a new one.
	VerifiedChain [][]byte
}

// Marshal encodes s. The encoding is this package's own and is what a
// server's ticket carries and a client's cache entry keeps:
//
//	uint8  format = 1;
//	uint16 version;                    /* 0x0303 or 0x0304 */
//	uint16 cipher_suite;
//	opaque secret<1..64>;
//	uint8  extended_master_secret;     /* 0 or 1; 0 for TLS 1.3 */
//	uint64 created_at;
//	uint32 lifetime;                   /* at most 604800 */
//	uint32 age_add;                    /* 0 for TLS 1.2 */
//	uint32 max_early_data;             /* 0 for TLS 1.2 */
//	opaque alpn<0..255>;
//	opaque server_name<0..255>;
//	opaque certificate<1..2^16-1>;
//	certificate peer_certificates<0..2^24-1>;  /* at most 10 entries */
//	uint64 authenticated_at;           /* 0 or at most created_at */
//	uint16 group;
//	certificate verified_chain<0..2^24-1>;     /* at most 10 entries */
//
// Marshal refuses a State that Unmarshal would refuse, so every encoding it
// produces reads back.
func (s *State) Marshal() ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddUint8(stateFormat)
	b.AddUint16(s.Version)
	b.AddUint16(s.CipherSuite)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.Secret) })
	b.AddUint8(boolByte(s.ExtendedMasterSecret))
	b.AddUint64(s.CreatedAt)
	b.AddUint32(s.Lifetime)
	b.AddUint32(s.AgeAdd)
	b.AddUint32(s.MaxEarlyData)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(s.ALPN)) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(s.ServerName)) })
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, cert := range s.PeerCertificates {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(cert) })
		}
	})
	b.AddUint64(s.AuthenticatedAt)
	b.AddUint16(s.Group)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, cert := range s.VerifiedChain {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(cert) })
		}
	})
	return b.Bytes()
}

// Unmarshal decodes what Marshal produced. It is strict because its input may
// come from anyone who can send a ticket: every bound listed on the constants
// above is enforced, nothing may follow the encoding, and booleans are 0 or 1.
// On error s is left unchanged. The result shares no memory with b.
func (s *State) Unmarshal(b []byte) error {
	in := cryptobyte.String(b)
	var (
		parsed          State
		format, ems     uint8
		secret          cryptobyte.String
		alpn, name      cryptobyte.String
		certList, entry cryptobyte.String
		chainList       cryptobyte.String
	)
	if !in.ReadUint8(&format) ||
		!in.ReadUint16(&parsed.Version) ||
		!in.ReadUint16(&parsed.CipherSuite) ||
		!in.ReadUint8LengthPrefixed(&secret) ||
		!in.ReadUint8(&ems) ||
		!in.ReadUint64(&parsed.CreatedAt) ||
		!in.ReadUint32(&parsed.Lifetime) ||
		!in.ReadUint32(&parsed.AgeAdd) ||
		!in.ReadUint32(&parsed.MaxEarlyData) ||
		!in.ReadUint8LengthPrefixed(&alpn) ||
		!in.ReadUint8LengthPrefixed(&name) ||
		!in.ReadUint24LengthPrefixed(&certList) ||
		!in.ReadUint64(&parsed.AuthenticatedAt) ||
		!in.ReadUint16(&parsed.Group) ||
		!in.ReadUint24LengthPrefixed(&chainList) {
		return fmt.Errorf("%w: truncated", ErrInvalidState)
	}
	if !in.Empty() {
		return fmt.Errorf("%w: trailing bytes", ErrInvalidState)
	}
	if format != stateFormat {
		return fmt.Errorf("%w: unknown format %d", ErrInvalidState, format)
	}
	if ems > 1 {
		return fmt.Errorf("%w: extended_master_secret is %d", ErrInvalidState, ems)
	}
	parsed.ExtendedMasterSecret = ems == 1
	parsed.Secret = append([]byte(nil), secret...)
	parsed.ALPN = string(alpn)
	parsed.ServerName = string(name)
	for !certList.Empty() {
		// Checked before reading, so a list of many tiny entries costs no
		// more than ten of them.
		if len(parsed.PeerCertificates) == MaxCertificates {
			return fmt.Errorf("%w: more than %d certificates", ErrInvalidState, MaxCertificates)
		}
		if !certList.ReadUint16LengthPrefixed(&entry) {
			return fmt.Errorf("%w: truncated certificate", ErrInvalidState)
		}
		parsed.PeerCertificates = append(parsed.PeerCertificates, append([]byte(nil), entry...))
	}
	for !chainList.Empty() {
		if len(parsed.VerifiedChain) == MaxCertificates {
			return fmt.Errorf("%w: more than %d certificates in the verified chain", ErrInvalidState, MaxCertificates)
		}
		if !chainList.ReadUint16LengthPrefixed(&entry) {
			return fmt.Errorf("%w: truncated certificate", ErrInvalidState)
		}
		parsed.VerifiedChain = append(parsed.VerifiedChain, append([]byte(nil), entry...))
	}
	if err := parsed.validate(); err != nil {
		return err
	}
	*s = parsed
	return nil
}

// validate checks the bounds both directions of the encoding share.
func (s *State) validate() error {
	switch s.Version {
	case VersionTLS13:
		if s.ExtendedMasterSecret {
			return fmt.Errorf("%w: extended master secret in TLS 1.3", ErrInvalidState)
		}
	case VersionTLS12:
		// Keeping the TLS 1.3-only fields zero means a State reads the same
		// whichever field a caller happens to look at.
		if s.AgeAdd != 0 || s.MaxEarlyData != 0 {
			return fmt.Errorf("%w: TLS 1.3 ticket fields in TLS 1.2", ErrInvalidState)
		}
	default:
		return fmt.Errorf("%w: version %#04x", ErrInvalidState, s.Version)
	}
	if len(s.Secret) == 0 || len(s.Secret) > MaxSecretLen {
		return fmt.Errorf("%w: secret of %d bytes", ErrInvalidState, len(s.Secret))
	}
	if s.AuthenticatedAt > s.CreatedAt {
		return fmt.Errorf("%w: authenticated after the ticket was issued", ErrInvalidState)
	}
	if s.Lifetime > MaxLifetime {
		return fmt.Errorf("%w: lifetime of %d seconds", ErrInvalidState, s.Lifetime)
	}
	if len(s.ALPN) > MaxNameLen {
		return fmt.Errorf("%w: ALPN of %d bytes", ErrInvalidState, len(s.ALPN))
	}
	if len(s.ServerName) > MaxNameLen {
		return fmt.Errorf("%w: server name of %d bytes", ErrInvalidState, len(s.ServerName))
	}
	if len(s.PeerCertificates) > MaxCertificates {
		return fmt.Errorf("%w: %d certificates", ErrInvalidState, len(s.PeerCertificates))
	}
	if len(s.VerifiedChain) > MaxCertificates {
		return fmt.Errorf("%w: %d certificates in the verified chain", ErrInvalidState, len(s.VerifiedChain))
	}
	if len(s.VerifiedChain) > 0 && (len(s.PeerCertificates) == 0 || !bytes.Equal(s.VerifiedChain[0], s.PeerCertificates[0])) {
		return fmt.Errorf("%w: a verified chain that does not start with the peer's certificate", ErrInvalidState)
	}
	for _, cert := range append(s.PeerCertificates[:len(s.PeerCertificates):len(s.PeerCertificates)], s.VerifiedChain...) {
		if len(cert) == 0 || len(cert) > MaxCertificateLen {
			return fmt.Errorf("%w: certificate of %d bytes", ErrInvalidState, len(cert))
		}
	}
	return nil
}

// Expired reports whether s can no longer be used at now: now is more than
// Lifetime seconds past the session's full handshake (AuthenticatedAt, or
// CreatedAt when that is zero), or CreatedAt lies more than a minute beyond
// now (a clock that far apart, or a forged time, is not trusted).
// Time is counted in whole seconds, as the ticket is. A Lifetime above
// MaxLifetime counts as MaxLifetime.
func (s *State) Expired(now time.Time) bool {
	if s.CreatedAt > math.MaxInt64 {
		return true
	}
	created, nowSec := int64(s.CreatedAt), now.Unix()
	if created-clockSkew > nowSec {
		return true
	}
	// The session's age counts from its full handshake, which a renewal
	// does not move.
	if s.AuthenticatedAt != 0 && s.AuthenticatedAt <= s.CreatedAt {
		created = int64(s.AuthenticatedAt)
	}
	// nowSec >= created-clockSkew here, so the difference cannot overflow.
	return nowSec-created > int64(min(s.Lifetime, MaxLifetime))
}

func boolByte(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}
