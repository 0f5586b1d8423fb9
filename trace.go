package schannel

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
)

// TraceBuffer is what a trace keeps of one SecBuffer: its type and size,
// never its contents (they may be keys or application data).
type TraceBuffer struct {
	Type BufferType
	Size int
}

// String formats the buffer as Schannel logs do: "TOKEN(1385)".
func (b TraceBuffer) String() string {
	return b.Type.String() + "(" + strconv.Itoa(b.Size) + ")"
}

// TraceEvent reports one SSPI call made by a Conn, in the terms a Schannel
// programmer logs them.
//
// In lists the input buffers as they were passed. Out lists the buffers as
// the call left them: for InitializeSecurityContext and
// AcceptSecurityContext the output buffers, followed by any input buffer the
// call rewrote (SECBUFFER_MISSING or SECBUFFER_EXTRA, where the unconsumed
// input is reported); for EncryptMessage and DecryptMessage the same four
// buffers after the call.
type TraceEvent struct {
	// Func is the SSPI function: "InitializeSecurityContext",
	// "AcceptSecurityContext", "DecryptMessage", "EncryptMessage",
	// "ApplyControlToken", "QueryContextAttributes(SECPKG_ATTR_STREAM_SIZES)",
	// "AcquireCredentialsHandle", or "KeyUpdate" (this package's extension).
	Func   string
	Status Status
	In     []TraceBuffer
	Out    []TraceBuffer
	// Err is the error the call returned, with the reason behind a failure
	// status; nil for informational statuses.
	Err error
}

// String formats the event as one line of an SSPI log:
//
//	InitializeSecurityContext -> SEC_I_CONTINUE_NEEDED  in:[] out:[TOKEN(1385) ALERT(0)]
//
// The error is appended for failures other than SEC_E_INCOMPLETE_MESSAGE,
// whose MISSING buffer already says what happened.
func (e TraceEvent) String() string {
	var b strings.Builder
	b.WriteString(e.Func)
	b.WriteString(" -> ")
	b.WriteString(e.Status.String())
	b.WriteString("  in:")
	writeTraceBuffers(&b, e.In)
	b.WriteString(" out:")
	writeTraceBuffers(&b, e.Out)
	if e.Err != nil && e.Status.Failed() && e.Status != SEC_E_INCOMPLETE_MESSAGE {
		b.WriteString("  error: ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func writeTraceBuffers(b *strings.Builder, bufs []TraceBuffer) {
	b.WriteByte('[')
	for i, buf := range bufs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(buf.String())
	}
	b.WriteByte(']')
}

// SlogTrace returns a trace hook that logs every SSPI call to logger:
// failures (other than SEC_E_INCOMPLETE_MESSAGE, which is routine) at
// slog.LevelWarn, everything else at slog.LevelDebug, so a handler at the
// default Info level shows only what went wrong.
func SlogTrace(logger *slog.Logger) func(TraceEvent) {
	return func(e TraceEvent) {
		level := slog.LevelDebug
		if e.Status.Failed() && e.Status != SEC_E_INCOMPLETE_MESSAGE {
			level = slog.LevelWarn
		}
		ctx := context.Background()
		if !logger.Enabled(ctx, level) {
			return
		}
		attrs := []slog.Attr{
			slog.String("func", e.Func),
			slog.String("status", e.Status.String()),
			slog.String("in", traceBuffersString(e.In)),
			slog.String("out", traceBuffersString(e.Out)),
		}
		if e.Err != nil {
			attrs = append(attrs, slog.String("error", e.Err.Error()))
		}
		logger.LogAttrs(ctx, level, "sspi", attrs...)
	}
}

func traceBuffersString(bufs []TraceBuffer) string {
	var b strings.Builder
	writeTraceBuffers(&b, bufs)
	return b.String()
}

// summarize records the type and size of each buffer for a TraceEvent.
func summarize(bufs []SecBuffer) []TraceBuffer {
	out := make([]TraceBuffer, len(bufs))
	for i, b := range bufs {
		out[i] = TraceBuffer{Type: b.BufferType, Size: b.Size}
	}
	return out
}

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
		ctx, status, err = handshakeCall(c.cred, SECPKG_CRED_OUTBOUND, c.ctx, c.serverName, flags, in, out, c.conn)
	} else {
		fn = "AcceptSecurityContext"
		ctx, status, err = handshakeCall(c.cred, SECPKG_CRED_INBOUND, c.ctx, "", flags, in, out, c.conn)
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
