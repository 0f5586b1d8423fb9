package keys

import (
	"crypto"
	"hash"
)

// handshakeTypeMessageHash is the synthetic handshake type that stands in
// for ClientHello1 after a HelloRetryRequest (RFC 8446, section 4.4.1).
const handshakeTypeMessageHash = 254

// Transcript is the running hash of handshake messages. The hash depends on
// the cipher suite, which the ServerHello picks after the ClientHello was
// already sent, so a Transcript created without a hash buffers messages until
// SetHash is called.
type Transcript struct {
	hash    crypto.Hash
	running hash.Hash
	pending []byte
}

// NewTranscript returns a transcript over h, or a buffering one if h is 0.
func NewTranscript(h crypto.Hash) *Transcript {
	t := &Transcript{}
	if h != 0 {
		t.SetHash(h)
	}
	return t
}

// SetHash fixes the transcript hash and feeds it everything buffered so far.
// Setting the same hash again is a no-op; changing it panics, because the
// earlier messages would silently be hashed twice or not at all.
func (t *Transcript) SetHash(h crypto.Hash) {
	if t.running != nil {
		if h != t.hash {
			panic("keys: transcript hash changed after it was set")
		}
		return
	}
	if !h.Available() {
		panic("keys: transcript hash unavailable: " + h.String())
	}
	t.hash = h
	t.running = h.New()
	t.running.Write(t.pending)
	clear(t.pending)
	t.pending = nil
}

// Hash returns the transcript hash, or 0 while it is still buffering.
func (t *Transcript) Hash() crypto.Hash { return t.hash }

// Write appends a whole handshake message, header included.
func (t *Transcript) Write(msg []byte) {
	if t.running == nil {
		t.pending = append(t.pending, msg...)
		return
	}
	t.running.Write(msg)
}

// Sum returns Transcript-Hash of the messages so far; the transcript keeps
// accepting messages afterwards. It panics while the hash is unknown.
func (t *Transcript) Sum() []byte {
	if t.running == nil {
		panic("keys: transcript hash requested before SetHash")
	}
	return t.running.Sum(nil)
}

// ReplaceWithMessageHash replaces the messages so far (ClientHello1) with the
// message_hash construct that RFC 8446 section 4.4.1 requires after a
// HelloRetryRequest.
func (t *Transcript) ReplaceWithMessageHash() {
	digest := t.Sum()
	t.running.Reset()
	t.running.Write([]byte{handshakeTypeMessageHash, 0, 0, byte(len(digest))})
	t.running.Write(digest)
}
