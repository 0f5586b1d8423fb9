package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Ticket layout and bounds.
const (
	ticketKeyNameLen = 16
	ticketNonceLen   = 12
	ticketTagLen     = 16
	ticketOverhead   = ticketKeyNameLen + ticketNonceLen + ticketTagLen

	// MaxTicketStateLen bounds the encoded State a ticket may carry. A client
	// repeats the ticket in every resuming ClientHello, so it should stay
	// small; 16 KiB holds any ordinary client certificate chain. A State
	// beyond it gets no ticket and the next handshake is a full one.
	MaxTicketStateLen = 16 << 10
	// MaxTicketLen is the longest ticket Seal produces and Open considers.
	MaxTicketLen = MaxTicketStateLen + ticketOverhead
)

// DefaultTicketEpoch is how long one ticket key seals when none is given.
// A ticket stays openable for one to two epochs after it is sealed.
const DefaultTicketEpoch = 24 * time.Hour

// Labels of the key derivation (see TicketKeys). They name this module so
// that a root secret reused elsewhere by mistake yields unrelated keys.
const (
	ticketRootSalt     = "github.com/gosspi/schannel/session ticket root"
	ticketAEADKeyLabel = "github.com/gosspi/schannel/session ticket aead key"
	ticketKeyNameLabel = "github.com/gosspi/schannel/session ticket key name"
)

// ErrTicketStateTooLarge is returned by Seal for a State whose encoding
// exceeds MaxTicketStateLen.
var ErrTicketStateTooLarge = errors.New("session: state too large for a ticket")

// TicketKeys seals and opens session tickets. Keys are derived from a root
// secret and a time epoch (HKDF), so servers sharing the root agree without
// coordination and nothing rotates by hand: tickets are sealed with the
// current epoch's key and opened with the current or the previous one.
//
// Epoch n covers the unix seconds [n*E, (n+1)*E) for an epoch length of E
// seconds. With HKDF over SHA-256:
//
//	prk      = HKDF-Extract(salt = "github.com/gosspi/schannel/session ticket root", ikm = root)
//	context  = uint64(E) || uint64(n)                                   (big-endian)
//	aead key = HKDF-Expand(prk, "github.com/gosspi/schannel/session ticket aead key" || context, 32)
//	key name = HKDF-Expand(prk, "github.com/gosspi/schannel/session ticket key name" || context, 16)
//
// The key name tells Open which epoch sealed a ticket without revealing the
// key, the epoch or anything else about the server. E is part of the context
// so that servers configured with different epochs never share a key for
// different periods. A ticket is
//
//	key name (16) | nonce (12, random) | AES-256-GCM(key, nonce, State.Marshal(), additional data = key name)
//
// Random nonces are safe for far more tickets than a server issues in an
// epoch (the bound for AES-GCM is 2^32 per key).
//
// A TicketKeys holds no mutable state and may be used from many goroutines.
type TicketKeys struct {
	prk          []byte
	epochSeconds int64
}

// NewTicketKeys returns the ticket keys derived from root, changing every
// epoch. An epoch of zero or less means DefaultTicketEpoch; otherwise it is
// counted in whole seconds, at least one.
func NewTicketKeys(root [32]byte, epoch time.Duration) *TicketKeys {
	if epoch <= 0 {
		epoch = DefaultTicketEpoch
	}
	prk, err := hkdf.Extract(sha256.New, root[:], []byte(ticketRootSalt))
	if err != nil {
		// Extract fails only for keys FIPS 140-only mode refuses, and a
		// 32-byte root is not one of them.
		panic("session: HKDF-Extract: " + err.Error())
	}
	return &TicketKeys{prk: prk, epochSeconds: max(int64(epoch/time.Second), 1)}
}

// RandomTicketKeys returns ticket keys with a random root and 24-hour epochs:
// what a single server needs when no root is configured. Tickets it seals do
// not survive a restart.
func RandomTicketKeys() (*TicketKeys, error) {
	var root [32]byte
	if _, err := rand.Read(root[:]); err != nil {
		return nil, fmt.Errorf("session: ticket root: %w", err)
	}
	return NewTicketKeys(root, DefaultTicketEpoch), nil
}

// Seal returns a ticket carrying s under the key of the epoch containing now,
// taking its nonce from random (crypto/rand when nil). It does not look at
// or fill in s.CreatedAt: the caller sets the issue time it means.
func (k *TicketKeys) Seal(s *State, now time.Time, random io.Reader) ([]byte, error) {
	plaintext, err := s.Marshal()
	if err != nil {
		return nil, err
	}
	if len(plaintext) > MaxTicketStateLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrTicketStateTooLarge, len(plaintext))
	}
	if random == nil {
		random = rand.Reader
	}
	name, aead := k.epochKey(k.epochOf(now))
	ticket := make([]byte, ticketKeyNameLen+ticketNonceLen, len(plaintext)+ticketOverhead)
	copy(ticket, name[:])
	nonce := ticket[ticketKeyNameLen:]
	if _, err := io.ReadFull(random, nonce); err != nil {
		return nil, fmt.Errorf("session: ticket nonce: %w", err)
	}
	return aead.Seal(ticket, nonce, plaintext, name[:]), nil
}

// Open returns nil (not an error) for any ticket it cannot use: unknown key, forged, malformed, expired.
// A client may send anything as a ticket; that is never a failure of the handshake.
//
// Only the epochs containing now and the one before are tried, and input
// longer than MaxTicketLen is refused before any key is derived.
func (k *TicketKeys) Open(ticket []byte, now time.Time) *State {
	if len(ticket) < ticketOverhead || len(ticket) > MaxTicketLen {
		return nil
	}
	current := k.epochOf(now)
	for _, epoch := range [...]int64{current, current - 1} {
		name, aead := k.epochKey(epoch)
		if subtle.ConstantTimeCompare(name[:], ticket[:ticketKeyNameLen]) != 1 {
			continue
		}
		nonce := ticket[ticketKeyNameLen : ticketKeyNameLen+ticketNonceLen]
		plaintext, err := aead.Open(nil, nonce, ticket[ticketKeyNameLen+ticketNonceLen:], name[:])
		if err != nil {
			return nil
		}
		var s State
		if s.Unmarshal(plaintext) != nil || s.Expired(now) {
			return nil
		}
		return &s
	}
	return nil
}

// epochOf returns the number of the epoch containing now, rounding toward
// minus infinity so that instants before 1970 are handled alike.
func (k *TicketKeys) epochOf(now time.Time) int64 {
	sec := now.Unix()
	n := sec / k.epochSeconds
	if sec%k.epochSeconds < 0 {
		n--
	}
	return n
}

// epochKey derives the key name and AEAD of one epoch. Deriving on every call
// costs a few HMACs, small beside a handshake, and keeps TicketKeys free of
// caches and locks.
func (k *TicketKeys) epochKey(epoch int64) (name [ticketKeyNameLen]byte, aead cipher.AEAD) {
	var context [16]byte
	binary.BigEndian.PutUint64(context[:8], uint64(k.epochSeconds))
	binary.BigEndian.PutUint64(context[8:], uint64(epoch))
	key := k.expand(ticketAEADKeyLabel, context[:], 32)
	copy(name[:], k.expand(ticketKeyNameLabel, context[:], ticketKeyNameLen))
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("session: AES: " + err.Error()) // the key is always 32 bytes
	}
	aead, err = cipher.NewGCM(block)
	if err != nil {
		panic("session: GCM: " + err.Error()) // AES always has 16-byte blocks
	}
	return name, aead
}

func (k *TicketKeys) expand(label string, context []byte, length int) []byte {
	out, err := hkdf.Expand(sha256.New, k.prk, label+string(context), length)
	if err != nil {
		panic("session: HKDF-Expand: " + err.Error()) // lengths are far below the limit
	}
	return out
}
