package sspi

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

// TraceEvent reports one SSPI call, in the terms an SSPI programmer logs
// them. Every package's calls are reported the same way: by a Context whose
// credentials have a hook (Credentials.SetTrace), and by the I/O faces
// above the packages (schannel.Conn.SetTrace).
//
// In lists the input buffers as they were passed. Out lists the buffers as
// the call left them: for InitializeSecurityContext and
// AcceptSecurityContext the output buffers, followed by any input buffer the
// call rewrote (SECBUFFER_MISSING or SECBUFFER_EXTRA, where the unconsumed
// input is reported); for EncryptMessage and DecryptMessage the same four
// buffers after the call.
type TraceEvent struct {
	// Package is the name of the security package ("Schannel", ...); empty
	// in events from a Conn, which has one.
	Package string
	// Func is the SSPI function: "InitializeSecurityContext",
	// "AcceptSecurityContext", "DecryptMessage", "EncryptMessage",
	// "MakeSignature", "VerifySignature", "CompleteAuthToken",
	// "ApplyControlToken", "QueryContextAttributes(SECPKG_ATTR_STREAM_SIZES)",
	// "AcquireCredentialsHandle", or "KeyUpdate" (Schannel's extension).
	Func   string
	Status Status
	In     []TraceBuffer
	Out    []TraceBuffer
	// Err is the error the call returned, with the reason behind a failure
	// status; nil for informational statuses. After a panic inside a
	// package it holds a *PanicError with the stack.
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
	if e.Package != "" {
		b.WriteString(e.Package)
		b.WriteString(": ")
	}
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
		attrs := make([]slog.Attr, 0, 6)
		if e.Package != "" {
			attrs = append(attrs, slog.String("package", e.Package))
		}
		attrs = append(attrs,
			slog.String("func", e.Func),
			slog.String("status", e.Status.String()),
			slog.String("in", traceBuffersString(e.In)),
			slog.String("out", traceBuffersString(e.Out)),
		)
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

// Summarize records the type and size of each buffer for a TraceEvent.
func Summarize(bufs []SecBuffer) []TraceBuffer {
	out := make([]TraceBuffer, len(bufs))
	for i, b := range bufs {
		out[i] = TraceBuffer{Type: b.BufferType, Size: b.Size}
	}
	return out
}
