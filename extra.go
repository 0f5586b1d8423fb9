package schannel

import (
	"io"
	"sync"
)

// Sizes of the receive buffer. The largest record a TLS 1.3 peer may send is
// a 5-byte header and 16384 bytes of plaintext expanded by at most 256 bytes
// of protection; the room after it lets one socket read take in the next
// record's header (or a few small records) along with a maximum one, which
// saves a read per record on bulk transfers. The same room holds the largest
// TLS 1.2 record (2048 bytes of expansion allowed). The engine refuses a
// record header announcing more before asking for its body, so one record
// always fits once the records before it are consumed.
const (
	maxRecordSize13 = 5 + 16384 + 256
	maxRecordSize12 = 5 + 16384 + 2048
	recvReadAhead   = 4096
	// recvBufferSize is the fixed capacity of a Conn's receive buffer: a
	// peer can never make a Conn hold more than this many received bytes.
	recvBufferSize = maxRecordSize13 + recvReadAhead
)

// A TLS 1.2 record must fit too.
var _ [recvBufferSize - maxRecordSize12]struct{}

// recvBuffer holds bytes received from the socket that no SSPI call has
// consumed yet: the SECBUFFER_EXTRA of one call is the input of the next.
// The unconsumed bytes are buf[start:end]; decrypted plaintext stays inside
// buf where DecryptMessage left it until Read copies it out.
//
// It is one buffer of recvBufferSize bytes that never grows. When more
// bytes are needed and unconsumed ones sit past the front, the tail is moved
// to the front first, as Schannel programs do with their EXTRA bytes. The
// buffer comes from a pool when bytes are expected and goes back as soon as
// it holds none, so an idle Conn keeps no receive buffer at all.
type recvBuffer struct {
	buf        []byte
	pooled     *[]byte // the pool's handle on buf, so giving it back allocates nothing
	start, end int
}

var recvBufferPool = sync.Pool{New: func() any {
	b := make([]byte, recvBufferSize)
	return &b
}}

// release gives the buffer back to the pool if it holds no unconsumed
// bytes. Plaintext that Read has not delivered lives inside the buffer, so
// callers release only once that is gone too.
func (r *recvBuffer) release() {
	if r.pooled == nil || r.start != r.end {
		return
	}
	recvBufferPool.Put(r.pooled)
	r.buf, r.pooled = nil, nil
	r.start, r.end = 0, 0
}

// unconsumed is what the next SSPI call gets as its input.
func (r *recvBuffer) unconsumed() []byte { return r.buf[r.start:r.end] }

// buffered reports how many unconsumed bytes there are.
func (r *recvBuffer) buffered() int { return r.end - r.start }

// keepExtra records how much of the input the last call left unconsumed:
// extra is the input buffer the call may have rewritten as SECBUFFER_EXTRA.
// Its Size counts the trailing bytes, as on Windows, where pvBuffer is not
// set; anything else means the whole input was used.
func (r *recvBuffer) keepExtra(extra SecBuffer) {
	if extra.BufferType.Kind() == SECBUFFER_EXTRA && extra.Size > 0 && extra.Size <= r.buffered() {
		r.start = r.end - extra.Size
		return
	}
	r.start, r.end = 0, 0
}

// fill reads from src until at least n more bytes are buffered, taking as
// many as one read returns beyond that. It must not be called while
// plaintext inside the buffer is still to be delivered, since compaction
// moves bytes.
//
// Bytes read before an error are kept: a read deadline that expires halfway
// through a record loses nothing.
func (r *recvBuffer) fill(src io.Reader, n int) error {
	if r.buf == nil {
		r.pooled = recvBufferPool.Get().(*[]byte)
		r.buf = *r.pooled
	}
	if r.start > 0 {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	}
	if n > len(r.buf)-r.end {
		return errRecordTooLarge
	}
	got, err := io.ReadAtLeast(src, r.buf[r.end:], n)
	r.end += got
	return err
}
