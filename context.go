package schannel

import (
	"github.com/gosspi/schannel/sspi"
)

// Context is a Schannel security context handle (CtxtHandle) for one TLS
// connection: an sspi.Context, whose calls it has, with TLS's own queries
// and key updates added. It is driven exactly as a Schannel program drives
// secur32.dll and does no I/O: bytes in, status and bytes out. The security
// package behind it is the one its Credentials chose.
//
// One goroutine may call EncryptMessage while another calls DecryptMessage;
// every other call must be serialised by the caller, as on Windows.
type Context struct {
	*sspi.Context
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
	inner, status, err := sspi.InitializeSecurityContext(cred, ctx.inner(), targetName, contextReq, input, output)
	return wrapContext(ctx, inner), status, err
}

// AcceptSecurityContext maps AcceptSecurityContext (the server side of the
// handshake). Pass ctx nil on the first call. input is [TOKEN = bytes
// received, EMPTY] (a SECBUFFER_APPLICATION_PROTOCOLS buffer may follow on the
// first call); output is [TOKEN] or [TOKEN, ALERT]. Statuses and buffers
// behave as for InitializeSecurityContext. ASC_REQ_MUTUAL_AUTH asks the
// client for a certificate even when tls.Config.ClientAuth does not.
func AcceptSecurityContext(cred *Credentials, ctx *Context, input []SecBuffer, contextReq uint32, output []SecBuffer) (*Context, Status, error) {
	inner, status, err := sspi.AcceptSecurityContext(cred, ctx.inner(), input, contextReq, output)
	return wrapContext(ctx, inner), status, err
}

// inner is the sspi.Context behind c; nil for a nil Context, so the first
// call starts a new one.
func (c *Context) inner() *sspi.Context {
	if c == nil {
		return nil
	}
	if c.Context == nil {
		// A zero Context was passed: let sspi report the invalid handle
		// rather than start a new context.
		return &sspi.Context{}
	}
	return c.Context
}

// wrapContext returns the Context for what sspi returned: the caller's on
// later calls, a new one on the first.
func wrapContext(ctx *Context, inner *sspi.Context) *Context {
	if ctx != nil || inner == nil {
		return ctx
	}
	return &Context{Context: inner}
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
//
// Schannel has no pfQOP to report, so this returns none;
// sspi.Context.DecryptMessage returns it (always 0 here).
func (c *Context) DecryptMessage(buffers []SecBuffer) (Status, error) {
	_, status, err := c.inner().DecryptMessage(buffers)
	return status, err
}

// EncryptMessage maps EncryptMessage: buffers are [STREAM_HEADER (at least
// cbHeader bytes), DATA (at most cbMaximumMessage bytes), STREAM_TRAILER (at
// least cbTrailer bytes), EMPTY]. The record is built in place; the bytes to
// send are the header, data and trailer as returned (their Size fields added
// up). When the three are consecutive parts of one slice nothing is copied.
// qop is 0, or SECQOP_WRAP_OOB_DATA to send the 2-byte DATA buffer as an alert.
func (c *Context) EncryptMessage(qop uint32, buffers []SecBuffer) (Status, error) {
	return c.inner().EncryptMessage(qop, buffers)
}

// ApplyControlToken maps ApplyControlToken. buffers must be exactly one
// SECBUFFER_TOKEN holding a little-endian DWORD: SCHANNEL_SHUTDOWN, after
// which one more InitializeSecurityContext/AcceptSecurityContext call with
// no input returns the close_notify record to send; or an
// SCHANNEL_ALERT_TOKEN {SCHANNEL_ALERT, TLS1_ALERT_WARNING|TLS1_ALERT_FATAL,
// alert number}, which makes that call return the alert instead.
// SCHANNEL_RENEGOTIATE is refused: this package never renegotiates.
func (c *Context) ApplyControlToken(buffers []SecBuffer) (Status, error) {
	return c.inner().ApplyControlToken(buffers)
}

// DeleteSecurityContext maps DeleteSecurityContext: the context's keys are
// dropped and every later call fails with SEC_E_INVALID_HANDLE.
func (c *Context) DeleteSecurityContext() error {
	return c.inner().DeleteSecurityContext()
}

// KeyUpdate starts a TLS 1.3 key update (RFC 8446 4.6.3): the returned
// record carries a KeyUpdate under the old keys and must be sent before
// anything EncryptMessage produces afterwards. With requestPeerUpdate the
// peer is asked to update its keys too. In TLS 1.2 it returns the owed
// no_renegotiation warning when KeyUpdateDue reports one, and fails with
// SEC_E_UNSUPPORTED_FUNCTION otherwise. There is no Windows equivalent.
func (c *Context) KeyUpdate(requestPeerUpdate bool) ([]byte, error) {
	p, err := c.tls()
	if err != nil {
		return nil, err
	}
	return p.keyUpdate(requestPeerUpdate)
}

// KeyUpdateDue reports whether the TLS 1.3 write keys have protected half of
// the records RFC 8446 5.5 allows under one key (2^23 records for AES-GCM),
// or the peer asked for an update, so the writer should call KeyUpdate
// before its next EncryptMessage. In TLS 1.2 it reports a no_renegotiation
// warning owed to a peer that asked to renegotiate; KeyUpdate(false) then
// returns that alert record. Conn does this by itself. It is safe to call
// alongside DecryptMessage.
func (c *Context) KeyUpdateDue() bool {
	p, err := c.tls()
	return err == nil && p.keyUpdateDue()
}

// tls is the Schannel provider behind a valid context.
func (c *Context) tls() (tlsProvider, error) {
	inner := c.inner()
	if err := inner.Valid(); err != nil {
		return nil, err
	}
	p, ok := inner.Provider().(tlsProvider)
	if !ok {
		return nil, sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: the context belongs to the %s package, not Schannel", inner.PackageName())
	}
	return p, nil
}

func indexOfKind(buffers []SecBuffer, kind BufferType) int { return sspi.IndexOf(buffers, kind) }

func indexOfWritable(buffers []SecBuffer, kind BufferType) int {
	return sspi.IndexOfWritable(buffers, kind)
}

// statusOf extracts the status of an error this package made.
func statusOf(err error) Status { return sspi.StatusOf(err) }
