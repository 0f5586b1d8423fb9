package session

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"
)

// Ticket bounds.
const (
	// MaxTicketStateLen bounds the encoded State a ticket may carry. A client
	// repeats the ticket in every resuming ClientHello, so it should stay
	// small; 16 KiB holds any ordinary client certificate chain. A State
	// beyond it gets no ticket and the next handshake is a full one.
	MaxTicketStateLen = 16 << 10
	// MaxTicketLen is the longest ticket Seal produces and Open considers:
	// the State, the envelope around it and crypto/tls's IV and MAC.
	MaxTicketLen = MaxTicketStateLen + 512
)

// TicketLifetime is how long a ticket sealed by TicketKeys stays openable,
// and so the lifetime a server advertises. crypto/tls makes a new random key
// every 24 hours and drops each key 7 days after making it; a ticket sealed
// just before a rotation can therefore count on 6 days, not 7. Advertising
// more would promise what the server cannot keep (TestTicketLifetimeKept
// checks it with crypto/tls's real key ring).
const TicketLifetime = 6 * 24 * 60 * 60

// ErrTicketStateTooLarge is returned by Seal for a State whose encoding
// exceeds MaxTicketStateLen.
var ErrTicketStateTooLarge = errors.New("session: state too large for a ticket")

// ticketMarker opens the tls.SessionState.Extra element that carries our
// State inside a ticket, as cacheMarker does in a client's cache.
var ticketMarker = []byte("github.com/gosspi/schannel/session ticket v2")

// TicketKeys seals and opens a server's session tickets with the ticket keys
// of its tls.Config, through crypto/tls's own Config.EncryptTicket and
// Config.DecryptTicket: whatever crypto/tls would use is used, nothing else.
//
//   - SetSessionTicketKeys: the first key seals, every key opens; calling it
//     again rotates the keys. Servers given the same keys resume each other's
//     sessions.
//   - SessionTicketKey: that key.
//   - neither: crypto/tls's automatic ring, a random key made every 24 hours
//     (by Config.Time) and dropped after 7 days. Stealing a server's state
//     today opens no ticket older than that.
//
// crypto/tls keeps those keys in unexported fields; its EncryptTicket and
// DecryptTicket are the only public way to use them, and they take a
// tls.SessionState. Ours travels in that state's Extra field, which crypto/tls
// documents as reserved for layers such as this one. The envelope's own
// fields are placeholders that no crypto/tls server can resume (version 0).
// The resulting ticket is AES-CTR with HMAC-SHA256 over IV and ciphertext,
// encrypt-then-MAC, under keys only the user or crypto/tls's random source
// supplied.
//
// A TicketKeys may be used from many goroutines, as its tls.Config may.
type TicketKeys struct {
	cfg *tls.Config
}

// envelopeTemplate is the smallest tls.SessionState that
// tls.ParseSessionState accepts, in the layout crypto/tls documents on
// SessionState: version 0, type server, cipher suite 0, created_at 0, a
// one-byte secret, no Extra, no extended master secret, no early data, no
// certificates, no verified chains, curve_id 0. Only its Extra is ever used.
var envelopeTemplate = []byte{
	0x00, 0x00, // version
	0x01,       // server
	0x00, 0x00, // cipher_suite
	0, 0, 0, 0, 0, 0, 0, 0, // created_at
	0x01, 0x00, // secret<1..2^8-1>
	0x00, 0x00, 0x00, // extra
	0x00,             // ext_master_secret
	0x00,             // early_data
	0x00, 0x00, 0x00, // certificate_list
	0x00, 0x00, 0x00, // verified_chains
	0x00, 0x00, // curve_id
}

// NewTicketKeys returns the ticket keys of cfg, which must be the server's
// own tls.Config (not a copy): its key ring lives inside it. It fails when
// this Go release's crypto/tls no longer parses the envelope, so that the
// server issues no tickets rather than tickets it cannot open.
func NewTicketKeys(cfg *tls.Config) (*TicketKeys, error) {
	if cfg == nil {
		return nil, errors.New("session: ticket keys need a tls.Config")
	}
	if _, err := tls.ParseSessionState(envelopeTemplate); err != nil {
		return nil, fmt.Errorf("session: crypto/tls refuses the ticket envelope: %w", err)
	}
	return &TicketKeys{cfg: cfg}, nil
}

// Seal returns a ticket carrying s under the current ticket key. It does not
// look at or fill in s.CreatedAt: the caller sets the issue time it means.
func (k *TicketKeys) Seal(s *State) ([]byte, error) {
	plaintext, err := s.Marshal()
	if err != nil {
		return nil, err
	}
	if len(plaintext) > MaxTicketStateLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrTicketStateTooLarge, len(plaintext))
	}
	envelope, err := tls.ParseSessionState(envelopeTemplate)
	if err != nil {
		return nil, fmt.Errorf("session: ticket envelope: %w", err)
	}
	envelope.Extra = [][]byte{ticketMarker, plaintext}
	ticket, err := k.cfg.EncryptTicket(tls.ConnectionState{}, envelope)
	if err != nil {
		return nil, fmt.Errorf("session: sealing a ticket: %w", err)
	}
	return ticket, nil
}

// Open returns nil (not an error) for any ticket it cannot use: unknown or
// dropped key, forged, malformed, expired at now. A client may send anything
// as a ticket; that is never a failure of the handshake.
//
// Input longer than MaxTicketLen is refused before any key is tried.
func (k *TicketKeys) Open(ticket []byte, now time.Time) *State {
	if len(ticket) == 0 || len(ticket) > MaxTicketLen {
		return nil
	}
	envelope, err := k.cfg.DecryptTicket(ticket, tls.ConnectionState{})
	if err != nil || envelope == nil {
		return nil
	}
	encoded, found := findMarkedWith(envelope.Extra, ticketMarker)
	if !found {
		return nil
	}
	var s State
	if s.Unmarshal(encoded) != nil || s.Expired(now) {
		return nil
	}
	return &s
}
