package engine

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

var errBadRecordVersion = errors.New("tls: record header does not carry TLS version 3.x")

func errNotTLS(first byte) error {
	return fmt.Errorf("tls: first byte %#02x is not a TLS record type: the peer does not speak TLS", first)
}

// DecryptResult is the outcome of one Decrypt call. Offsets index the
// buffer given to Decrypt.
type DecryptResult struct {
	Status sspi.Status
	// RecordLen is the length of the record that was processed; the bytes
	// after it are SECBUFFER_EXTRA.
	RecordLen int
	Missing   int // with SEC_E_INCOMPLETE_MESSAGE
	// HeaderLen, DataLen: the plaintext is buf[HeaderLen : HeaderLen+DataLen].
	HeaderLen, DataLen int
	// ExtraStart is where SECBUFFER_EXTRA begins: RecordLen, or, with
	// SEC_I_RENEGOTIATE, the start of the handshake record rewritten in place.
	ExtraStart int
	Err        *sspi.Error
}

// StreamSizes returns cbHeader, cbTrailer and cbMaximumMessage for the
// negotiated protection.
func (c *Context) StreamSizes() (header, trailer, maxMessage int) {
	prot := c.writeProt
	if prot == nil {
		return wire.RecordHeaderLen, 0, wire.MaxPlaintext
	}
	header, trailer = prot.Overhead()
	return header, trailer, wire.MaxPlaintext
}

// Encrypt is EncryptMessage: buf[:header] receives the record header,
// buf[header:header+n] holds the plaintext, and the trailer follows. It
// returns the record length.
func (c *Context) Encrypt(buf []byte, contentType wire.ContentType, n int) (int, *sspi.Error) {
	switch {
	case c.writeClosed.Load():
		return 0, sspi.Errorf(sspi.SEC_E_CONTEXT_EXPIRED, "schannel: the context is closed for writing")
	case c.state != stateConnected:
		return 0, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "schannel: EncryptMessage before the handshake completed")
	case n > wire.MaxPlaintext:
		return 0, sspi.Errorf(sspi.SEC_E_ENCRYPT_FAILURE, "schannel: %d bytes exceed cbMaximumMessage (%d); split the data", n, wire.MaxPlaintext)
	}
	header, trailer := c.writeProt.Overhead()
	if len(buf) < header+n+trailer {
		return 0, sspi.Errorf(sspi.SEC_E_BUFFER_TOO_SMALL, "schannel: the buffer has no room for the %d-byte header and %d-byte trailer", header, trailer)
	}
	// Read the alert before sealing: afterwards the buffer holds ciphertext.
	closing := contentType == wire.ContentAlert && n == 2 &&
		(buf[header] == wire.AlertLevelFatal || buf[header+1] == byte(wire.AlertCloseNotify))
	sealed, err := c.writeProt.Seal(buf, uint8(contentType), n)
	if err != nil {
		return 0, sspi.Errorf(sspi.SEC_E_ENCRYPT_FAILURE, "schannel: %v", err)
	}
	if closing {
		c.writeClosed.Store(true)
	}
	return sealed, nil
}

// Decrypt is DecryptMessage: it decrypts the one record at the start of buf
// in place.
func (c *Context) Decrypt(buf []byte) DecryptResult {
	switch {
	case c.state != stateConnected:
		return DecryptResult{Status: sspi.SEC_E_INVALID_HANDLE, Err: sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "schannel: DecryptMessage before the handshake completed")}
	case c.pendingPost != nil:
		return DecryptResult{Status: sspi.SEC_E_CONTEXT_EXPIRED, Err: sspi.Errorf(sspi.SEC_E_CONTEXT_EXPIRED,
			"schannel: a post-handshake message returned with SEC_I_RENEGOTIATE must go through InitializeSecurityContext/AcceptSecurityContext first")}
	case c.readClosed:
		return DecryptResult{Status: sspi.SEC_E_CONTEXT_EXPIRED, Err: sspi.Errorf(sspi.SEC_E_CONTEXT_EXPIRED, "schannel: the peer closed the connection")}
	case c.failure != nil:
		return DecryptResult{Status: c.failure.Status, Err: c.failure}
	}
	recordLen, missing, ferr := c.frameRecord(buf)
	if ferr != nil {
		// Garbage in the middle of a protected stream is a misaligned or forged record.
		return c.decryptFailed(failWith(sspi.SEC_E_DECRYPT_FAILURE, wire.Alert(ferr.Alert), ferr.Err))
	}
	if missing > 0 {
		return DecryptResult{Status: sspi.SEC_E_INCOMPLETE_MESSAGE, Missing: missing}
	}
	if outer := wire.ContentType(buf[0]); !c.protectedRecord(outer) || outer == wire.ContentChangeCipherSpec {
		return c.decryptFailed(fail(wire.AlertUnexpectedMessage, "unprotected %s record after the handshake", outer))
	}
	record := buf[:recordLen]
	inner, plaintext, err := c.readProt.Open(record)
	if err != nil {
		f := asFailure(err)
		if f.Alert == int(wire.AlertBadRecordMAC) {
			f.Status = sspi.SEC_E_DECRYPT_FAILURE
		}
		return c.decryptFailed(f)
	}
	// The plaintext is a view into the record; its offset is the header
	// length (5, or 13 with TLS 1.2 GCM's explicit nonce).
	res := DecryptResult{Status: sspi.SEC_E_OK, RecordLen: recordLen, ExtraStart: recordLen,
		HeaderLen: cap(record) - cap(plaintext), DataLen: len(plaintext)}
	if wire.ContentType(inner) != wire.ContentHandshake && len(c.hsBuf) > 0 && c.vers == wire.VersionTLS13 {
		// RFC 8446 section 5.1: nothing between the fragments of a
		// post-handshake message.
		return c.decryptFailed(fail(wire.AlertUnexpectedMessage, "%s record between the fragments of a handshake message", wire.ContentType(inner)))
	}
	switch wire.ContentType(inner) {
	case wire.ContentApplicationData:
		if len(plaintext) > 0 {
			c.uselessRecords = 0
		} else if f := c.countUselessRecord(); f != nil {
			return c.decryptFailed(f)
		}
		return res
	case wire.ContentAlert:
		return c.decryptedAlert(res, plaintext)
	case wire.ContentHandshake:
		return c.handBackHandshake(buf, res, plaintext)
	default:
		return c.decryptFailed(fail(wire.AlertUnexpectedMessage, "protected %s record after the handshake", wire.ContentType(inner)))
	}
}

func (c *Context) decryptFailed(err *sspi.Error) DecryptResult {
	c.failure = err
	return DecryptResult{Status: err.Status, Err: err}
}

func (c *Context) decryptedAlert(res DecryptResult, body []byte) DecryptResult {
	res.DataLen = 0
	if len(body) != 2 {
		return c.decryptFailed(fail(wire.AlertDecodeError, "malformed alert"))
	}
	switch wire.Alert(body[1]) {
	case wire.AlertCloseNotify:
		c.readClosed = true
		res.Status = sspi.SEC_I_CONTEXT_EXPIRED
		return res
	case wire.AlertUserCanceled:
		// A warning that precedes close_notify (RFC 8446 6.1); nothing to deliver.
		if f := c.countUselessRecord(); f != nil {
			return c.decryptFailed(f)
		}
		return res
	}
	if c.vers == wire.VersionTLS12 && body[0] == wire.AlertLevelWarning {
		// TLS 1.2 warnings (no_renegotiation, for one) leave the connection up
		// (RFC 5246 7.2); TLS 1.3 has no such thing (RFC 8446 6).
		if f := c.countUselessRecord(); f != nil {
			return c.decryptFailed(f)
		}
		return res
	}
	return c.decryptFailed(remoteAlert(wire.Alert(body[1])))
}

// handBackHandshake rewrites a decrypted post-handshake message as a
// plaintext handshake record that ends where the protected record ended, and
// returns it as EXTRA with SEC_I_RENEGOTIATE, as Windows does. The engine
// keeps its own copy, so only bytes it produced can be fed back.
func (c *Context) handBackHandshake(buf []byte, res DecryptResult, plaintext []byte) DecryptResult {
	if len(plaintext) == 0 {
		return c.decryptFailed(fail(wire.AlertUnexpectedMessage, "empty handshake record"))
	}
	c.pendingPost = bytes.Clone(plaintext)
	start := res.RecordLen - wire.RecordHeaderLen - len(plaintext)
	copy(buf[start+wire.RecordHeaderLen:res.RecordLen], plaintext)
	wire.AppendRecordHeader(buf[start:start], wire.ContentHandshake, wire.VersionTLS12, len(plaintext))
	res.Status = sspi.SEC_I_RENEGOTIATE
	res.DataLen = 0
	res.ExtraStart = start
	return res
}

// postHandshake is a Handshake call after the handshake completed: it absorbs
// the record Decrypt handed back.
func (c *Context) postHandshake(in []byte) Result {
	if c.pendingPost == nil {
		if len(in) == 0 {
			return Result{Status: sspi.SEC_E_OK}
		}
		// A caller mistake, not an attack: report it and change nothing.
		err := sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "schannel: no post-handshake message is pending; records go to DecryptMessage")
		return Result{Status: err.Status, Err: err}
	}
	recLen := wire.RecordHeaderLen + len(c.pendingPost)
	if len(in) < recLen {
		return Result{Status: sspi.SEC_E_INCOMPLETE_MESSAGE, Missing: recLen - len(in)}
	}
	typ, _, length, _ := wire.ParseRecordHeader(in)
	if typ != wire.ContentHandshake || length != len(c.pendingPost) || !bytes.Equal(in[wire.RecordHeaderLen:recLen], c.pendingPost) {
		return c.abort(sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "schannel: the token is not the message DecryptMessage returned with SEC_I_RENEGOTIATE"))
	}
	pending := c.pendingPost
	c.pendingPost = nil
	if err := c.handshakeBytes(pending); err != nil {
		return c.abort(err)
	}
	return Result{Status: sspi.SEC_E_OK, Consumed: recLen, Output: c.out}
}

// postHandshakeMessage handles NewSessionTicket and KeyUpdate (RFC 8446 4.6).
func (c *Context) postHandshakeMessage(typ wire.HandshakeType, msg []byte) *sspi.Error {
	switch {
	case c.vers == wire.VersionTLS13 && typ == wire.TypeNewSessionTicket && !c.isServer:
		var m wire.NewSessionTicket13
		if err := m.Unmarshal(msg); err != nil {
			return asFailure(err)
		}
		c.storeTicket13(&m)
		return nil
	case c.vers == wire.VersionTLS13 && typ == wire.TypeKeyUpdate:
		var m wire.KeyUpdate
		if err := m.Unmarshal(msg); err != nil {
			return asFailure(err)
		}
		return c.receivedKeyUpdate(m.RequestUpdate)
	case c.vers == wire.VersionTLS12 && (typ == wire.TypeHelloRequest && !c.isServer || typ == wire.TypeClientHello && c.isServer):
		// Renegotiation is refused with a no_renegotiation warning (RFC 5246
		// 7.4.1.2, RFC 5746 4.2 and 4.4), so the peer is not left waiting.
		// Like a requested KeyUpdate, the answer is owed to the writer:
		// absorbing a message never touches the write side.
		c.refusalOwed.Store(true)
		return nil
	}
	return fail(wire.AlertUnexpectedMessage, "unexpected %s after the handshake", typ)
}

func (c *Context) receivedKeyUpdate(requestUpdate bool) *sspi.Error {
	// handshakeBytes refuses bytes left over after it, as after any key change.
	h := c.suite.Hash
	c.readSecret = keys.NextTrafficSecret(h, c.readSecret)
	prot, err := keys.NewRecordProtection13(c.suite, c.readSecret)
	if err != nil {
		return asFailure(err)
	}
	c.readProt = prot
	if requestUpdate {
		c.updateOwed.Store(true)
	}
	return nil
}

// updateWriteKeys sends a KeyUpdate under the old keys and switches to the
// next generation; the caller must keep Encrypt out while it runs.
func (c *Context) updateWriteKeys(requestPeerUpdate bool) *sspi.Error {
	msg, err := (&wire.KeyUpdate{RequestUpdate: requestPeerUpdate}).Marshal()
	if err != nil {
		return asFailure(err)
	}
	if err := c.writeHandshake(msg); err != nil {
		return err
	}
	suite := c.suite
	c.writeSecret = keys.NextTrafficSecret(suite.Hash, c.writeSecret)
	prot, kerr := keys.NewRecordProtection13(suite, c.writeSecret)
	if kerr != nil {
		return asFailure(kerr)
	}
	c.writeProt = prot
	c.updateOwed.Store(false)
	return nil
}

// KeyUpdateDue reports whether the writer should call KeyUpdate before
// sealing more: the peer asked for one, or our TLS 1.3 write keys have
// sealed half the records RFC 8446 5.5 allows under one key. It reads only
// write-side state.
//
// In TLS 1.2 it reports a renegotiation refusal owed to the peer, which
// KeyUpdate then returns.
func (c *Context) KeyUpdateDue() bool {
	if c.vers == wire.VersionTLS12 && c.state == stateConnected {
		return c.refusalOwed.Load() && !c.writeClosed.Load()
	}
	if c.vers != wire.VersionTLS13 || c.writeProt == nil || c.state != stateConnected {
		return false
	}
	if c.updateOwed.Load() {
		return true
	}
	threshold := c.writeProt.Limit() / 2
	if c.opts.KeyUpdateRecords != 0 {
		threshold = c.opts.KeyUpdateRecords
	}
	return c.writeProt.Sequence() >= threshold
}

// KeyUpdate makes the next Handshake output a KeyUpdate, switching our write
// keys; with requestPeerUpdate the peer is asked to update its keys too.
func (c *Context) KeyUpdate(requestPeerUpdate bool) Result {
	if c.state != stateConnected || c.writeClosed.Load() || c.failure != nil {
		return Result{Status: sspi.SEC_E_CONTEXT_EXPIRED, Err: sspi.Errorf(sspi.SEC_E_CONTEXT_EXPIRED, "schannel: no established context to update")}
	}
	if c.vers != wire.VersionTLS13 {
		if c.refusalOwed.Swap(false) {
			return c.sendRenegotiationRefusal()
		}
		return Result{Status: sspi.SEC_E_UNSUPPORTED_FUNCTION, Err: sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "schannel: KeyUpdate exists in TLS 1.3 only")}
	}
	c.out = nil
	if err := c.updateWriteKeys(requestPeerUpdate); err != nil {
		return c.abort(err)
	}
	return Result{Status: sspi.SEC_E_OK, Output: c.out}
}

// sendRenegotiationRefusal seals the owed no_renegotiation warning; the
// caller must keep Encrypt out while it runs, as for KeyUpdate.
func (c *Context) sendRenegotiationRefusal() Result {
	rec, err := c.appendRecord(nil, wire.ContentAlert, []byte{wire.AlertLevelWarning, byte(wire.AlertNoRenegotiation)})
	if err != nil {
		return c.abort(asFailure(err))
	}
	return Result{Status: sspi.SEC_E_OK, Output: rec}
}
