package schannel

import (
	"github.com/gosspi/schannel/internal/sspi"
)

// Context is a security context handle (CtxtHandle) for one TLS connection,
// driven by the SSPI calls below exactly as a Schannel program drives
// secur32.dll. It does no I/O: bytes in, status and bytes out. The security
// package behind it is the one its Credentials chose.
//
// One goroutine may call EncryptMessage while another calls DecryptMessage;
// every other call must be serialised by the caller, as on Windows.
type Context struct {
	p       provider
	attrs   uint32
	deleted bool
}

// InitializeSecurityContext maps InitializeSecurityContext (the client side
// of the handshake). Pass ctx nil on the first call and the returned context
// on every later one.
//
// input is nil on the first call (or holds only a
// SECBUFFER_APPLICATION_PROTOCOLS buffer), then [TOKEN = bytes received,
// EMPTY]. output is [TOKEN] or [TOKEN, ALERT]. The status says what to do:
//   - SEC_I_CONTINUE_NEEDED: send output[0], read more, call again.
//   - SEC_E_INCOMPLETE_MESSAGE: input[1] is SECBUFFER_MISSING with the count
//     still needed; read at least that and call again with all the bytes.
//   - SEC_E_OK: the handshake is done; send output[0] if it is not empty.
//   - SEC_I_INCOMPLETE_CREDENTIALS: the server asked for a certificate none
//     of ours fits; call again with ISC_REQ_USE_SUPPLIED_CREDS to go on
//     without one.
//
// When input[1] comes back as SECBUFFER_EXTRA, its bytes were not used: after
// SEC_E_OK they are application data for DecryptMessage, otherwise feed them
// to the next call. A failure status comes with an error saying why and, if
// output holds a SECBUFFER_ALERT buffer, the alert record to send.
func InitializeSecurityContext(cred *Credentials, ctx *Context, targetName string, contextReq uint32, input, output []SecBuffer) (*Context, Status, error) {
	return handshakeCall(cred, SECPKG_CRED_OUTBOUND, ctx, targetName, contextReq, input, output)
}

// AcceptSecurityContext maps AcceptSecurityContext (the server side of the
// handshake). Pass ctx nil on the first call. input is [TOKEN = bytes
// received, EMPTY] (a SECBUFFER_APPLICATION_PROTOCOLS buffer may follow on the
// first call); output is [TOKEN] or [TOKEN, ALERT]. Statuses and buffers
// behave as for InitializeSecurityContext. ASC_REQ_MUTUAL_AUTH asks the
// client for a certificate even when tls.Config.ClientAuth does not.
func AcceptSecurityContext(cred *Credentials, ctx *Context, input []SecBuffer, contextReq uint32, output []SecBuffer) (*Context, Status, error) {
	return handshakeCall(cred, SECPKG_CRED_INBOUND, ctx, "", contextReq, input, output)
}

func handshakeCall(cred *Credentials, use CredentialUse, ctx *Context, targetName string, contextReq uint32, input, output []SecBuffer) (*Context, Status, error) {
	if err := cred.usable(use); err != nil {
		return ctx, statusOf(err), err
	}
	if ctx == nil {
		p, err := cred.newProvider(cred, use == SECPKG_CRED_INBOUND, targetName, contextReq, input)
		if err != nil {
			return nil, statusOf(err), err
		}
		ctx = &Context{p: p}
	} else if err := ctx.valid(); err != nil {
		return ctx, statusOf(err), err
	}
	status, attrs, err := ctx.p.handshake(input, output, contextReq)
	ctx.attrs = attrs
	return ctx, status, err
}

// Attributes returns the ISC_RET_* or ASC_RET_* flags of the last handshake
// call (pfContextAttr).
func (c *Context) Attributes() uint32 { return c.attrs }

// EncryptMessage maps EncryptMessage: buffers are [STREAM_HEADER (at least
// cbHeader bytes), DATA (at most cbMaximumMessage bytes), STREAM_TRAILER (at
// least cbTrailer bytes), EMPTY]. The record is built in place; the bytes to
// send are the header, data and trailer as returned (their Size fields added
// up). When the three are consecutive parts of one slice nothing is copied.
// qop is 0, or SECQOP_WRAP_OOB_DATA to send the 2-byte DATA buffer as an alert.
func (c *Context) EncryptMessage(qop uint32, buffers []SecBuffer) (Status, error) {
	if err := c.valid(); err != nil {
		return statusOf(err), err
	}
	return c.p.encryptMessage(qop, buffers)
}

// DecryptMessage maps DecryptMessage. buffers must be exactly
// [DATA = received bytes, EMPTY, EMPTY, EMPTY]. One record is decrypted in
// place; on SEC_E_OK the buffers become [STREAM_HEADER, DATA (the
// plaintext, possibly empty), STREAM_TRAILER, EXTRA or EMPTY], EXTRA holding
// every byte after the record: call again on those before reading more.
//
// SEC_E_INCOMPLETE_MESSAGE: buffers[0] is SECBUFFER_MISSING with the count
// still needed. SEC_I_CONTEXT_EXPIRED: the peer sent close_notify.
// SEC_I_RENEGOTIATE: a post-handshake message (TLS 1.3 NewSessionTicket or
// KeyUpdate, TLS 1.2 HelloRequest) was received; the EXTRA buffer starts
// with it, rewritten as a plaintext handshake record: pass the EXTRA bytes as
// the TOKEN of an InitializeSecurityContext (client) or AcceptSecurityContext
// (server) call, then give what that call returns as EXTRA back to
// DecryptMessage.
func (c *Context) DecryptMessage(buffers []SecBuffer) (Status, error) {
	if err := c.valid(); err != nil {
		return statusOf(err), err
	}
	return c.p.decryptMessage(buffers)
}

// ApplyControlToken maps ApplyControlToken. buffers must be exactly one
// SECBUFFER_TOKEN holding a little-endian DWORD: SCHANNEL_SHUTDOWN, after
// which one more InitializeSecurityContext/AcceptSecurityContext call with
// no input returns the close_notify record to send; or an
// SCHANNEL_ALERT_TOKEN {SCHANNEL_ALERT, TLS1_ALERT_WARNING|TLS1_ALERT_FATAL,
// alert number}, which makes that call return the alert instead.
// SCHANNEL_RENEGOTIATE is refused: this package never renegotiates.
func (c *Context) ApplyControlToken(buffers []SecBuffer) (Status, error) {
	if err := c.valid(); err != nil {
		return statusOf(err), err
	}
	return c.p.applyControlToken(buffers)
}

// DeleteSecurityContext maps DeleteSecurityContext: the context's keys are
// dropped and every later call fails with SEC_E_INVALID_HANDLE.
func (c *Context) DeleteSecurityContext() error {
	if err := c.valid(); err != nil {
		return err
	}
	c.deleted = true
	err := c.p.deleteContext()
	c.p = nil
	return err
}

// KeyUpdate starts a TLS 1.3 key update (RFC 8446 4.6.3): the returned
// record carries a KeyUpdate under the old keys and must be sent before
// anything EncryptMessage produces afterwards. With requestPeerUpdate the
// peer is asked to update its keys too. In TLS 1.2 it returns the owed
// no_renegotiation warning when KeyUpdateDue reports one, and fails with
// SEC_E_UNSUPPORTED_FUNCTION otherwise. There is no Windows equivalent.
func (c *Context) KeyUpdate(requestPeerUpdate bool) ([]byte, error) {
	if err := c.valid(); err != nil {
		return nil, err
	}
	return c.p.keyUpdate(requestPeerUpdate)
}

// KeyUpdateDue reports whether the TLS 1.3 write keys have protected half of
// the records RFC 8446 5.5 allows under one key (2^23 records for AES-GCM),
// or the peer asked for an update, so the writer should call KeyUpdate
// before its next EncryptMessage. In TLS 1.2 it reports a no_renegotiation
// warning owed to a peer that asked to renegotiate; KeyUpdate(false) then
// returns that alert record. Conn does this by itself. It is safe to call
// alongside DecryptMessage.
func (c *Context) KeyUpdateDue() bool {
	return c.valid() == nil && c.p.keyUpdateDue()
}

func (c *Context) valid() error {
	if c == nil || c.deleted || c.p == nil {
		return sspi.Errorf(SEC_E_INVALID_HANDLE, "schannel: invalid or deleted context")
	}
	return nil
}

func indexOfKind(buffers []SecBuffer, kind BufferType) int {
	for i := range buffers {
		if buffers[i].BufferType.Kind() == kind {
			return i
		}
	}
	return -1
}

// indexOfWritable is indexOfKind skipping READONLY buffers, which
// EncryptMessage leaves alone.
func indexOfWritable(buffers []SecBuffer, kind BufferType) int {
	for i := range buffers {
		if buffers[i].BufferType.Kind() == kind && !buffers[i].BufferType.ReadOnly() {
			return i
		}
	}
	return -1
}

// statusOf extracts the status of an error this package made.
func statusOf(err error) Status {
	if se, ok := err.(*sspi.Error); ok {
		return se.Status
	}
	return SEC_E_INTERNAL_ERROR
}
