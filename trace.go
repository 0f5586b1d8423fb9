package schannel

import (
	"crypto/tls"
	"log/slog"

	"github.com/gosspi/schannel/sspi"
)

// TraceBuffer is what a trace keeps of one SecBuffer (see sspi.TraceBuffer).
type TraceBuffer = sspi.TraceBuffer

// TraceEvent reports one SSPI call made by a Conn (see sspi.TraceEvent).
type TraceEvent = sspi.TraceEvent

// SlogTrace returns a trace hook that logs every SSPI call to logger (see
// sspi.SlogTrace).
func SlogTrace(logger *slog.Logger) func(TraceEvent) { return sspi.SlogTrace(logger) }

var summarize = sspi.Summarize

// rewrittenInputs is the part of a handshake call's input that the call
// rewrote: buffer [1] as SECBUFFER_MISSING or SECBUFFER_EXTRA.
func rewrittenInputs(in []SecBuffer) []SecBuffer {
	if len(in) > 1 {
		if k := in[1].BufferType.Kind(); k == SECBUFFER_MISSING || k == SECBUFFER_EXTRA {
			return in[1:2]
		}
	}
	return nil
}

// The methods below are the only places a Conn calls into the SSPI surface,
// so every call is traced the same way. Tracing costs nothing when no hook
// is set: the summaries are built only for a hook.

// handshakeCall is one InitializeSecurityContext (client) or
// AcceptSecurityContext (server) call on the Conn's context.
func (c *Conn) handshakeCall(flags uint32, in, out []SecBuffer) (Status, error) {
	var inSummary []TraceBuffer
	if c.trace != nil {
		inSummary = summarize(in)
	}
	var (
		ctx    *Context
		status Status
		err    error
		fn     string
	)
	if c.isClient {
		fn = "InitializeSecurityContext"
		ctx, status, err = InitializeSecurityContext(c.callCredentials(), c.ctx, c.serverName, flags, in, out)
	} else {
		fn = "AcceptSecurityContext"
		ctx, status, err = AcceptSecurityContext(c.callCredentials(), c.ctx, in, flags, out)
	}
	// Only the handshake sets the context; later calls return the same one,
	// and writing it again would race with EncryptMessage on another goroutine.
	if c.ctx == nil && ctx != nil {
		c.ctx = ctx
	}
	if c.trace != nil {
		c.trace(TraceEvent{Func: fn, Status: status, In: inSummary,
			Out: append(summarize(out), summarize(rewrittenInputs(in))...), Err: err})
	}
	return status, err
}

// callCredentials are the credentials of the Conn's handshake calls. For
// this module's own Schannel they are a copy that also carries the socket,
// so that GetConfigForClient and GetCertificate see ClientHelloInfo.Conn
// (the SSPI calls themselves carry no connection); other credentials go as
// given. Freed credentials go as given too, so the call reports it.
func (c *Conn) callCredentials() *Credentials {
	if c.ctx != nil || c.cred.Usable(c.cred.Use()) != nil {
		return c.cred
	}
	if c.helloCred == nil {
		config, ok := c.cred.AuthData().(*tls.Config)
		if !ok {
			return c.cred
		}
		cred, err := sspi.NewCredentials(schannelPackage{}, c.cred.PackageInfo(), "", c.cred.Use(), helloConnConfig{config: config, conn: c.conn})
		if err != nil {
			return c.cred
		}
		c.helloCred = cred
	}
	return c.helloCred
}

// decryptMessage is DecryptMessage on the Conn's context.
func (c *Conn) decryptMessage(bufs []SecBuffer) (Status, error) {
	var inSummary []TraceBuffer
	if c.trace != nil {
		inSummary = summarize(bufs)
	}
	status, err := c.ctx.DecryptMessage(bufs)
	if c.trace != nil {
		c.trace(TraceEvent{Func: "DecryptMessage", Status: status, In: inSummary, Out: summarize(bufs), Err: err})
	}
	return status, err
}

// encryptMessage is EncryptMessage on the Conn's context.
func (c *Conn) encryptMessage(bufs []SecBuffer) (Status, error) {
	var inSummary []TraceBuffer
	if c.trace != nil {
		inSummary = summarize(bufs)
	}
	status, err := c.ctx.EncryptMessage(0, bufs)
	if c.trace != nil {
		c.trace(TraceEvent{Func: "EncryptMessage", Status: status, In: inSummary, Out: summarize(bufs), Err: err})
	}
	return status, err
}

// applyControlToken is ApplyControlToken on the Conn's context.
func (c *Conn) applyControlToken(bufs []SecBuffer) (Status, error) {
	var inSummary []TraceBuffer
	if c.trace != nil {
		inSummary = summarize(bufs)
	}
	status, err := c.ctx.ApplyControlToken(bufs)
	if c.trace != nil {
		c.trace(TraceEvent{Func: "ApplyControlToken", Status: status, In: inSummary, Err: err})
	}
	return status, err
}

// keyUpdate is Context.KeyUpdate, traced with the record it returns as a
// TOKEN.
func (c *Conn) keyUpdate(requestPeer bool) ([]byte, error) {
	record, err := c.ctx.KeyUpdate(requestPeer)
	if c.trace != nil {
		c.trace(TraceEvent{Func: "KeyUpdate", Status: statusOfErr(err),
			Out: []TraceBuffer{{Type: SECBUFFER_TOKEN, Size: len(record)}}, Err: err})
	}
	return record, err
}

// acquireCredentials is AcquireCredentialsHandle for the Conn's role.
func (c *Conn) acquireCredentials() error {
	if c.cred != nil {
		return nil // given by ClientWithCredentials or ServerWithCredentials
	}
	use := SECPKG_CRED_INBOUND
	if c.isClient {
		use = SECPKG_CRED_OUTBOUND
	}
	cred, err := AcquireCredentialsHandle(use, c.config)
	if c.trace != nil {
		c.trace(TraceEvent{Func: "AcquireCredentialsHandle", Status: statusOfErr(err), Err: err})
	}
	c.cred = cred
	return err
}

// queryStreamSizes is QueryContextAttributes(SECPKG_ATTR_STREAM_SIZES).
func (c *Conn) queryStreamSizes() (StreamSizes, error) {
	sizes, err := c.ctx.StreamSizes()
	if c.trace != nil {
		c.trace(TraceEvent{Func: "QueryContextAttributes(SECPKG_ATTR_STREAM_SIZES)", Status: statusOfErr(err), Err: err})
	}
	return sizes, err
}

// statusOfErr is the status behind an error from the SSPI surface (SEC_E_OK
// for nil).
func statusOfErr(err error) Status {
	if err == nil {
		return SEC_E_OK
	}
	return statusOf(err)
}
