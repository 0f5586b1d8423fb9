package engine

import (
	"crypto/rand"
	"crypto/tls"
	"io"
	"slices"
	"time"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

// defaultGroups is our key exchange preference: the post-quantum hybrid first,
// then the classical groups every peer has, P-521 last as in crypto/tls
// (Windows Schannel supports it too).
var defaultGroups = []uint16{wire.GroupX25519MLKEM768, wire.GroupX25519, wire.GroupP256, wire.GroupP384, wire.GroupP521}

// signatureSchemes13 are the schemes we accept and offer for TLS 1.3
// CertificateVerify. PKCS#1 v1.5 is only offered for certificate signatures
// (RFC 8446 4.2.3), see certSignatureSchemes.
var signatureSchemes13 = []uint16{
	wire.ECDSAWithP256AndSHA256, wire.Ed25519, wire.ECDSAWithP384AndSHA384, wire.ECDSAWithP521AndSHA512,
	wire.PSSWithSHA256, wire.PSSWithSHA384, wire.PSSWithSHA512,
}

// advertisedSignatureSchemes is what we put in signature_algorithms: the
// CertificateVerify schemes plus PKCS#1 v1.5, which most CA certificates are
// still signed with.
var advertisedSignatureSchemes = append(slices.Clone(signatureSchemes13),
	wire.PKCS1WithSHA256, wire.PKCS1WithSHA384, wire.PKCS1WithSHA512)

// settings is the part of a tls.Config the engine acts on, checked once.
type settings struct {
	cfg      *tls.Config
	rand     io.Reader
	now      func() time.Time
	suites13 []uint16
	suites12 []uint16
	groups   []uint16
	// minVersion and maxVersion are the range in force: within TLS 1.2..1.3.
	minVersion, maxVersion uint16
}

// allows reports whether version v may be negotiated.
func (s *settings) allows(v uint16) bool { return v >= s.minVersion && v <= s.maxVersion }

// groups12 are the groups usable with TLS 1.2 ECDHE: the hybrid is TLS 1.3 only.
func (s *settings) groups12() []uint16 {
	out := make([]uint16, 0, len(s.groups))
	for _, g := range s.groups {
		if g != wire.GroupX25519MLKEM768 {
			out = append(out, g)
		}
	}
	return out
}

// newSettings refuses any tls.Config field that the engine does not honour:
// silently ignoring a security setting is worse than failing loudly.
func newSettings(cfg *tls.Config) (*settings, *sspi.Error) {
	if cfg == nil {
		cfg = &tls.Config{}
	}
	unsupported := func(field string) *sspi.Error {
		return sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "schannel: tls.Config.%s is not supported by this engine", field)
	}
	switch {
	case cfg.NameToCertificate != nil: //nolint:staticcheck // detecting the deprecated field is the point
		return nil, unsupported("NameToCertificate (use GetCertificate)")
	case cfg.UnwrapSession != nil || cfg.WrapSession != nil:
		return nil, unsupported("WrapSession/UnwrapSession")
	case cfg.Renegotiation != tls.RenegotiateNever:
		return nil, unsupported("Renegotiation")
	case cfg.EncryptedClientHelloConfigList != nil || cfg.EncryptedClientHelloRejectionVerify != nil ||
		cfg.GetEncryptedClientHelloKeys != nil || cfg.EncryptedClientHelloKeys != nil:
		return nil, unsupported("EncryptedClientHello*")
	}
	if err := checkALPN(cfg.NextProtos, "tls.Config.NextProtos"); err != nil {
		return nil, err
	}
	s := &settings{cfg: cfg, rand: cfg.Rand, now: cfg.Time, minVersion: wire.VersionTLS12, maxVersion: wire.VersionTLS13}
	// SSL 3.0, TLS 1.0 and 1.1 are refused by design (RFC 8996), so a
	// MinVersion below TLS 1.2 simply allows nothing more.
	if cfg.MinVersion > s.minVersion {
		s.minVersion = cfg.MinVersion
	}
	if cfg.MaxVersion != 0 && cfg.MaxVersion < s.maxVersion {
		s.maxVersion = cfg.MaxVersion
	}
	if s.maxVersion < wire.VersionTLS12 || s.minVersion > s.maxVersion || s.minVersion > wire.VersionTLS13 {
		return nil, sspi.Errorf(sspi.SEC_E_ALGORITHM_MISMATCH,
			"schannel: versions %#04x..%#04x leave nothing to negotiate: only TLS 1.2 and 1.3 are implemented (older versions are refused by design)", cfg.MinVersion, cfg.MaxVersion)
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.now == nil {
		s.now = time.Now
	}
	// As in crypto/tls, CipherSuites constrains TLS 1.3 only when it names TLS 1.3 suites.
	for _, id := range cfg.CipherSuites {
		if keys.Suite13(id) != nil {
			s.suites13 = append(s.suites13, id)
		}
	}
	if len(s.suites13) == 0 {
		for _, suite := range keys.Suites13 {
			s.suites13 = append(s.suites13, suite.ID)
		}
	}
	// For TLS 1.2, CipherSuites is the list of enabled suites, as in
	// crypto/tls; suites this engine does not implement (CBC, static RSA) are
	// never offered.
	for _, id := range cfg.CipherSuites {
		if keys.Suite12(id) != nil {
			s.suites12 = append(s.suites12, id)
		}
	}
	if len(cfg.CipherSuites) == 0 {
		for _, suite := range keys.Suites12 {
			s.suites12 = append(s.suites12, suite.ID)
		}
	}
	if len(s.suites12) == 0 && s.minVersion <= wire.VersionTLS12 {
		if s.maxVersion == wire.VersionTLS12 {
			return nil, sspi.Errorf(sspi.SEC_E_ALGORITHM_MISMATCH, "schannel: none of CipherSuites is an ECDHE AEAD suite this engine implements")
		}
		s.minVersion = wire.VersionTLS13
	}
	if len(cfg.CurvePreferences) == 0 {
		s.groups = defaultGroups
	} else {
		for _, g := range cfg.CurvePreferences {
			if keys.SupportedGroup(uint16(g)) {
				s.groups = append(s.groups, uint16(g))
			}
		}
		if len(s.groups) == 0 {
			return nil, sspi.Errorf(sspi.SEC_E_ALGORITHM_MISMATCH, "schannel: none of CurvePreferences %v is supported", cfg.CurvePreferences)
		}
	}
	return s, nil
}

// checkALPN refuses protocol names ALPN cannot carry: each is 1 to 255
// bytes (RFC 7301 section 3.1) and the list fits its 16-bit length.
func checkALPN(protos []string, where string) *sspi.Error {
	total := 0
	for _, p := range protos {
		if len(p) == 0 || len(p) > 255 {
			return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "schannel: %s holds a protocol name of %d bytes: it must be 1 to 255 bytes (RFC 7301 section 3.1)", where, len(p))
		}
		total += 1 + len(p)
	}
	if total > 0xffff-2 {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "schannel: %s is %d bytes long, more than an extension holds", where, total)
	}
	return nil
}
