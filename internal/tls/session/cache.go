package session

import (
	"bytes"
	"crypto/tls"
	"errors"
	"time"
)

// cacheMarker is the first of our two tls.SessionState.Extra elements; the
// marshalled State follows it. crypto/tls ignores Extra and never writes this
// marker, so its entries and ours can share one cache.
var cacheMarker = []byte("github.com/gosspi/schannel/session v1")

// Store puts a ticket and our State into cache under key (tls.ClientSessionCache.Put).
//
// The entry is a tls.ClientSessionState around a tls.SessionState whose only
// content is Extra. Its TLS version is zero, which a crypto/tls client
// sharing the cache treats as a version it does not offer: it skips the
// entry and performs a full handshake (and then overwrites the entry).
//
// Caches that keep the *tls.ClientSessionState, like
// tls.NewLRUClientSessionCache, work. A cache that serializes entries with
// SessionState.Bytes and tls.ParseSessionState cannot hold ours (crypto/tls
// refuses to parse a state without a secret); Load then simply finds nothing.
func Store(cache tls.ClientSessionCache, key string, ticket []byte, s *State) error {
	if cache == nil {
		return errors.New("session: no client session cache")
	}
	if len(ticket) == 0 {
		return errors.New("session: empty ticket")
	}
	encoded, err := s.Marshal()
	if err != nil {
		return err
	}
	// The cache keeps what it is given; copying keeps a caller's later reuse
	// of its buffer out of the stored entry.
	state := &tls.SessionState{Extra: [][]byte{cacheMarker, encoded}}
	entry, err := tls.NewResumptionState(bytes.Clone(ticket), state)
	if err != nil {
		return err
	}
	cache.Put(key, entry)
	return nil
}

// Load gets them back; ok is false when there is nothing, the entry was made by crypto/tls itself (no marker),
// or it does not parse. It never returns an expired state (pass now).
//
// Load leaves the cache as it is, whatever it finds. The returned ticket and
// State are copies the caller may keep and change.
func Load(cache tls.ClientSessionCache, key string, now time.Time) (ticket []byte, s *State, ok bool) {
	if cache == nil {
		return nil, nil, false
	}
	entry, found := cache.Get(key)
	if !found || entry == nil {
		return nil, nil, false
	}
	ticket, state, err := entry.ResumptionState()
	if err != nil || state == nil || len(ticket) == 0 {
		return nil, nil, false
	}
	encoded, found := findMarkedWith(state.Extra, cacheMarker)
	if !found {
		return nil, nil, false
	}
	s = new(State)
	if s.Unmarshal(encoded) != nil || s.Expired(now) {
		return nil, nil, false
	}
	return bytes.Clone(ticket), s, true
}

// findMarkedWith returns the element after marker. crypto/tls asks layers
// that share Extra to append and to recognise their entries in any position,
// so the marker is searched for rather than expected first.
func findMarkedWith(extra [][]byte, marker []byte) ([]byte, bool) {
	for i := 0; i+1 < len(extra); i++ {
		if bytes.Equal(extra[i], marker) {
			return extra[i+1], true
		}
	}
	return nil, false
}

// Forget removes the entry (Put(key, nil)), e.g. after the server refused it.
// It removes whatever is stored under key, ours or crypto/tls's: the key
// names one server, and that server has just shown what it accepts.
func Forget(cache tls.ClientSessionCache, key string) {
	if cache != nil {
		cache.Put(key, nil)
	}
}
