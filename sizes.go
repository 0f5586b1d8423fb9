package schannel

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// StreamSizes is SecPkgContext_StreamSizes, the answer to
// QueryContextAttributes(SECPKG_ATTR_STREAM_SIZES): every EncryptMessage call
// needs Header bytes before the data and Trailer bytes after it, and takes at
// most MaximumMessage bytes of data.
type StreamSizes struct {
	Header         int // cbHeader
	Trailer        int // cbTrailer
	MaximumMessage int // cbMaximumMessage
	Buffers        int // cBuffers: the number of buffers EncryptMessage and DecryptMessage take
	BlockSize      int // cbBlockSize: 1, the AEAD ciphers have no block padding
}

// writeBufferSize holds a full batch with room for any record overhead up to
// 512 bytes (Wine's Schannel reports a 256-byte trailer).
const writeBufferSize = writeBatchRecords * (16384 + 512)

// writeBufferPool lends Write its buffer of sealed records for the duration
// of a call, so idle connections hold none and busy ones allocate nothing.
var writeBufferPool = sync.Pool{New: func() any {
	b := make([]byte, writeBufferSize)
	return &b
}}

// releaseWriteBuffer gives the sealed-records buffer back; what a deadline
// cut off was copied to c.unsent, so nothing in it is still needed.
func (c *Conn) releaseWriteBuffer() {
	if c.outPooled != nil {
		writeBufferPool.Put(c.outPooled)
	}
	c.out, c.outPooled = nil, nil
}

// writeBatchRecords is how many records Write seals into its buffer before
// handing them to the socket in one call: a large Write costs one system call
// per 64 KiB instead of one per record.
const writeBatchRecords = 4

// Write encrypts p and sends it, running the handshake first if needed.
//
// p is split at cbMaximumMessage. Each record is sealed in place in one
// contiguous header|data|trailer stretch of a buffer the Conn reuses
// (EncryptMessage then copies nothing), and up to writeBatchRecords records
// go out in one write to the socket. In steady state Write allocates nothing.
//
// If the write deadline has already passed, Write returns a timeout error
// and sends nothing. If it expires while records are being sent, the part
// not yet sent is kept and goes out first on the next Write, KeyUpdate or
// Close: the stream stays intact, and n counts every byte of p that was
// sealed, since those bytes will be delivered and must not be written again.
// Other errors are returned by every later Write.
func (c *Conn) Write(p []byte) (int, error) {
	if !c.beginWrite() {
		return 0, net.ErrClosed
	}
	defer c.endWrite()
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	defer c.sendOwedRefusal() // runs after the unlock below: see sendOwedRefusal
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.writableLocked(); err != nil {
		return 0, err
	}
	// What a deadline cut off goes out before anything new is sealed, so
	// that a peer that does not read stops this Write early; owed tickets
	// instead go out with the first records, in the same socket write.
	if !c.ticketsOwed.Load() {
		if err := c.sendLocked(nil); err != nil {
			return 0, err
		}
	}
	defer c.releaseWriteBuffer()
	n := 0
	for len(p) > 0 {
		// RFC 8446 5.5: a key protects a bounded number of records; the
		// context says when half of them are used.
		if c.ctx.KeyUpdateDue() {
			if err := c.keyUpdateLocked(false); err != nil {
				return n, err
			}
		}
		records, used, err := c.sealBatchLocked(p)
		if err != nil {
			c.writeErr = err
			return n, err
		}
		n += used
		p = p[used:]
		if err := c.sendLocked(records); err != nil {
			return n, err
		}
	}
	return n, nil
}

// KeyUpdate sends a TLS 1.3 KeyUpdate and switches to new write keys; with
// requestPeer the peer is asked to update its keys as well (its answer
// arrives through Read, as SEC_I_RENEGOTIATE). It runs under the write lock,
// so no record is sealed with the old keys after the update. Write already
// updates the keys when half the records RFC 8446 allows under one key are
// used (Context.KeyUpdateDue); KeyUpdate is for updating sooner. TLS 1.2 has
// no KeyUpdate: there it fails with SEC_E_UNSUPPORTED_FUNCTION.
func (c *Conn) KeyUpdate(requestPeer bool) error {
	if !c.beginWrite() {
		return net.ErrClosed
	}
	defer c.endWrite()
	if err := c.Handshake(); err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.writableLocked(); err != nil {
		return err
	}
	return c.keyUpdateLocked(requestPeer)
}

// keyUpdateLocked switches the write keys and sends the KeyUpdate record.
func (c *Conn) keyUpdateLocked(requestPeer bool) error {
	c.engMu.Lock()
	record, err := c.keyUpdate(requestPeer)
	c.engMu.Unlock()
	if err != nil {
		err = fmt.Errorf("schannel: KeyUpdate: %w", err)
		if !errors.Is(err, SEC_E_UNSUPPORTED_FUNCTION) { // TLS 1.2: nothing changed
			c.writeErr = err
		}
		return err
	}
	return c.sendLocked(record)
}

// writableLocked says why nothing may be written now, if anything does.
func (c *Conn) writableLocked() error {
	switch {
	case c.writeErr != nil:
		return c.writeErr
	case c.closeNotifySent:
		return errShutdown
	case c.fatalAlertDue.Load():
		return errReadFailed
	}
	if d := c.writeDeadline.Load(); d != 0 && time.Now().UnixNano() >= d {
		// Checked before sealing: a sealed record consumes a sequence number
		// and can never be taken back.
		return &net.OpError{Op: "write", Net: "schannel", Source: c.conn.LocalAddr(), Addr: c.conn.RemoteAddr(), Err: os.ErrDeadlineExceeded}
	}
	return nil
}

// sealBatchLocked encrypts up to writeBatchRecords records from the front of
// p into c.out and returns them with the count of p's bytes they carry.
func (c *Conn) sealBatchLocked(p []byte) ([]byte, int, error) {
	s := c.sizes
	records := min((len(p)+s.MaximumMessage-1)/s.MaximumMessage, writeBatchRecords)
	take := min(len(p), records*s.MaximumMessage)
	if need := take + records*(s.Header+s.Trailer); cap(c.out) < need {
		c.releaseWriteBuffer()
		if need <= writeBufferSize {
			c.outPooled = writeBufferPool.Get().(*[]byte)
			c.out = *c.outPooled
		} else {
			c.out = make([]byte, need) // a provider with unusual overheads
		}
	}
	buf := c.out[:cap(c.out)]
	off, used := 0, 0
	for used < take {
		if used > 0 && c.ctx.KeyUpdateDue() {
			break // the rest goes after the KeyUpdate that Write sends next
		}
		chunk := min(take-used, s.MaximumMessage)
		dataStart := off + s.Header
		trailerStart := dataStart + chunk
		copy(buf[dataStart:trailerStart], p[used:used+chunk])
		bufs := &c.encBufs
		*bufs = [4]SecBuffer{
			NewSecBuffer(SECBUFFER_STREAM_HEADER, buf[off:dataStart]),
			NewSecBuffer(SECBUFFER_DATA, buf[dataStart:trailerStart]),
			NewSecBuffer(SECBUFFER_STREAM_TRAILER, buf[trailerStart:trailerStart+s.Trailer]),
			{BufferType: SECBUFFER_EMPTY},
		}
		if _, err := c.encryptMessage(bufs[:]); err != nil {
			return nil, 0, fmt.Errorf("schannel: EncryptMessage: %w", err)
		}
		// The trailer may come back shorter than cbTrailer; the next record
		// starts right after what this one really used.
		off += bufs[0].Size + bufs[1].Size + bufs[2].Size
		used += chunk
	}
	return buf[:off], used, nil
}

// sendLocked writes sealed bytes to the socket after any that a deadline cut
// off earlier. On a timeout what was not sent is kept for the next call (a
// record cannot be half-sent and then abandoned without breaking the
// stream); any other failure is sticky.
func (c *Conn) sendLocked(b []byte) error {
	if len(c.unsent) > 0 {
		// One socket write for both: this happens once per connection for
		// owed tickets (see sendFinalToken) and after a write timeout, so
		// the copy costs less than a second write would.
		c.ticketsOwed.Store(false)
		c.unsent = append(c.unsent, b...)
		w, err := c.conn.Write(c.unsent)
		if err != nil {
			c.unsent = c.unsent[:copy(c.unsent, c.unsent[w:])]
			return c.writeFailedLocked(err)
		}
		c.unsent = nil // an idle connection keeps no buffer
		return nil
	}
	if len(b) == 0 {
		return nil
	}
	w, err := c.conn.Write(b)
	if err != nil {
		c.unsent = append(c.unsent, b[w:]...)
		return c.writeFailedLocked(err)
	}
	return nil
}

func (c *Conn) writeFailedLocked(err error) error {
	if !isTimeout(err) {
		c.writeErr = err
		c.unsent = nil
	}
	return err
}
