package schannel

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Read reads application data, running the handshake first if needed.
//
// Each DecryptMessage call handles one record, decrypted in place in the
// receive buffer; Read copies the plaintext out from there. While the
// buffer holds further records (SECBUFFER_EXTRA), they are decrypted before
// the socket is touched. Post-handshake messages (SEC_I_RENEGOTIATE: TLS 1.3
// NewSessionTicket and KeyUpdate) are handed to the handshake call as
// Schannel requires, under the write lock, and reading goes on.
//
// Read returns io.EOF once the peer has sent close_notify, and
// io.ErrUnexpectedEOF when the connection ends without one (the data may
// have been truncated). A timeout can be retried; any other error is
// returned by every later Read.
func (c *Conn) Read(p []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	c.readMu.Lock()
	defer c.readMu.Unlock()
	for len(c.plain) == 0 {
		if c.readErr != nil {
			return 0, c.readErr
		}
		if err := c.readRecord(); err != nil {
			if !isTimeout(err) {
				c.readErr = err
			}
			return 0, err
		}
	}
	n := copy(p, c.plain)
	c.plain = c.plain[n:]
	if len(c.plain) == 0 {
		c.in.release()
	}
	return n, nil
}

// readRecord makes one step towards plaintext: one DecryptMessage call on
// what is buffered, or one read from the socket when nothing is.
func (c *Conn) readRecord() error {
	if c.in.buffered() == 0 {
		return c.fillRecord(1)
	}
	bufs := &c.decBufs
	*bufs = [4]SecBuffer{NewSecBuffer(SECBUFFER_DATA, c.in.unconsumed())}
	c.engMu.Lock()
	status, err := c.decryptMessage(bufs[:])
	c.engMu.Unlock()
	switch status {
	case SEC_E_OK:
		// The plaintext stays where it was decrypted; an empty record is
		// normal and the caller loops.
		c.plain = bufs[1].Buffer[:bufs[1].Size]
		c.in.keepExtra(bufs[3])
		return nil
	case SEC_E_INCOMPLETE_MESSAGE:
		missing := 1
		if bufs[0].BufferType.Kind() == SECBUFFER_MISSING && bufs[0].Size > 0 {
			missing = bufs[0].Size
		}
		return c.fillRecord(missing)
	case SEC_I_RENEGOTIATE:
		c.in.keepExtra(bufs[3])
		return c.postHandshake()
	case SEC_I_CONTEXT_EXPIRED:
		return io.EOF
	}
	if err == nil {
		err = status
	}
	c.alertAfterReadFailure(err)
	return fmt.Errorf("schannel: DecryptMessage: %w", err)
}

// alertSendTimeout bounds how long the reader spends sending a fatal alert
// to a peer that does not read.
const alertSendTimeout = time.Second

// alertAfterReadFailure sends the fatal alert that a failure found while
// reading calls for (record_overflow, bad_record_mac, unexpected_message...),
// so that the peer learns why the connection ends (RFC 8446 section 6.2).
// The package builds no alert in DecryptMessage, nor in the post-handshake
// ISC/ASC call, because the write side belongs to the writer; the Conn,
// which owns both, seals it with EncryptMessage(SECQOP_WRAP_OOB_DATA). The
// reader never waits for the writer: when a Write holds the write lock the
// alert is skipped.
func (c *Conn) alertAfterReadFailure(err error) {
	var se *Error
	if !errors.As(err, &se) || se.Remote || se.Alert <= 0 || se.Alert > 255 {
		return
	}
	if !c.writeMu.TryLock() {
		c.fatalAlertDue.Store(true)
		return
	}
	defer c.writeMu.Unlock()
	err = c.writableLocked()
	c.fatalAlertDue.Store(true)
	if err != nil {
		return
	}
	s := c.sizes
	buf := make([]byte, s.Header+2+s.Trailer)
	buf[s.Header], buf[s.Header+1] = 2, byte(se.Alert) // fatal
	bufs := []SecBuffer{
		NewSecBuffer(SECBUFFER_STREAM_HEADER, buf[:s.Header]),
		NewSecBuffer(SECBUFFER_DATA, buf[s.Header:s.Header+2]),
		NewSecBuffer(SECBUFFER_STREAM_TRAILER, buf[s.Header+2:]),
		{BufferType: SECBUFFER_EMPTY},
	}
	if _, err := c.ctx.EncryptMessage(SECQOP_WRAP_OOB_DATA, bufs); err != nil {
		return
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(alertSendTimeout))
	_ = c.sendLocked(buf[:bufs[0].Size+bufs[1].Size+bufs[2].Size])
	var restore time.Time
	if d := c.writeDeadline.Load(); d != 0 {
		restore = time.Unix(0, d)
	}
	_ = c.conn.SetWriteDeadline(restore)
}

// fillRecord reads at least n more bytes. The end of the stream without
// close_notify is io.ErrUnexpectedEOF: an attacker can cut a connection,
// but cannot forge close_notify.
func (c *Conn) fillRecord(n int) error {
	c.flushOwedTickets()
	err := c.in.fill(c.conn, n)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// postHandshake passes the message DecryptMessage returned with
// SEC_I_RENEGOTIATE (now at the start of the receive buffer, rewritten as a
// plaintext handshake record) to InitializeSecurityContext or
// AcceptSecurityContext.
//
// The reader must not wait for the write lock here: a Write blocked on a
// full socket, to a peer blocked writing to us, would never give it back.
// This package's engine never writes while absorbing a message (a requested
// KeyUpdate is answered by the writer, before its next record, through
// KeyUpdateDue), so only a provider that does produce output, such as the
// system's Schannel, takes the write lock, to send that output.
func (c *Conn) postHandshake() error {
	in := [2]SecBuffer{NewSecBuffer(SECBUFFER_TOKEN, c.in.unconsumed()), {BufferType: SECBUFFER_EMPTY}}
	out := [2]SecBuffer{{BufferType: SECBUFFER_TOKEN}, {BufferType: SECBUFFER_ALERT}}
	c.engMu.Lock()
	status, err := c.handshakeCall(c.flags, in[:], out[:])
	c.engMu.Unlock()
	if status.Failed() || err != nil {
		c.alertAfterReadFailure(err)
		return c.handshakeError(err, status)
	}
	c.in.keepExtra(in[1])
	if out[0].Size == 0 {
		c.sendOwedRefusal()
		return nil
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if token := out[0]; token.Size > 0 {
		if c.writeErr != nil {
			return c.writeErr
		}
		if c.closeNotifySent {
			return nil // nothing may follow close_notify; the peer expects no answer then
		}
		if err := c.sendLocked(token.Buffer[:token.Size]); err != nil && !isTimeout(err) {
			return err
		}
		// On a timeout the answer stays queued in front of the next record
		// written; reading need not stop for it.
	}
	return nil
}

// sendOwedRefusal sends the no_renegotiation warning a TLS 1.2 context owes
// a peer that asked to renegotiate. Unlike a KeyUpdate answer, which may
// wait for our next record (RFC 8446 4.6.3), the peer is waiting for this
// one. The reader still never waits for the write lock: when a writer holds
// it, that writer sends the alert before its next record (KeyUpdateDue) and
// calls this again once it lets go, so the alert cannot be left behind.
func (c *Conn) sendOwedRefusal() {
	if c.state.Version != tls.VersionTLS12 || !c.ctx.KeyUpdateDue() || !c.writeMu.TryLock() {
		return
	}
	defer c.writeMu.Unlock()
	if c.writableLocked() == nil && c.ctx.KeyUpdateDue() {
		_ = c.keyUpdateLocked(false) // a failure is kept in writeErr for the next Write
	}
}

// isTimeout reports whether err is a deadline expiring, after which the
// connection remains usable.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
