package sspi

import (
	"fmt"
	"os"
	"runtime/debug"
	"sync/atomic"
)

// Context is a security context handle (CtxtHandle), driven by the SSPI
// calls exactly as a Windows program drives secur32.dll. It does no I/O:
// bytes in, status and bytes out. The package behind it is the one its
// Credentials came from.
//
// One goroutine may call EncryptMessage (or MakeSignature) while another
// calls DecryptMessage (or VerifySignature); every other call must be
// serialised by the caller, as on Windows.
type Context struct {
	p       Provider
	pkg     PackageInfo
	server  bool
	attrs   uint32
	deleted bool
	// failed is set when a package panicked: the context is dead, but the
	// process lives on. Atomic because the encrypting and the decrypting
	// goroutine may both look.
	failed atomic.Bool
	trace  func(TraceEvent)

	// The optional calls of the provider, resolved once.
	messages   MessageProvider
	signatures SignatureProvider
	completer  AuthTokenCompleter
	control    ControlTokenApplier
	querier    AttributeQuerier
	setter     AttributeSetter
}

// InitializeSecurityContext maps InitializeSecurityContext, the client side
// of a context. Pass ctx nil on the first call and the returned context on
// every later one. targetName is pszTargetName (a host name for Schannel,
// an SPN such as "HTTP/www.example.com" for Kerberos). contextReq holds
// ISC_REQ_* flags. input and output are the package's buffers (see each
// package's documentation for their layout).
//
// The status says what to do next: SEC_I_CONTINUE_NEEDED (send the output
// token, read the peer's answer, call again), SEC_E_INCOMPLETE_MESSAGE
// (read more and call again with everything), SEC_I_COMPLETE_NEEDED and
// SEC_I_COMPLETE_AND_CONTINUE (call CompleteAuthToken first), SEC_E_OK (the
// context is established; send any output token). A failure status comes
// with an error saying why; errors.Is(err, SEC_E_...) works.
//
// Go leaves out the Reserved parameters and ptsExpiry (see
// SECPKG_ATTR_LIFESPAN); pfContextAttr is Context.Attributes.
func InitializeSecurityContext(cred *Credentials, ctx *Context, targetName string, contextReq uint32, input, output []SecBuffer) (*Context, Status, error) {
	return handshakeCall(cred, SECPKG_CRED_OUTBOUND, ctx, targetName, contextReq, input, output)
}

// AcceptSecurityContext maps AcceptSecurityContext, the server side of a
// context. Pass ctx nil on the first call. contextReq holds ASC_REQ_* flags,
// whose bits differ from ISC_REQ_*. Statuses are those of
// InitializeSecurityContext.
func AcceptSecurityContext(cred *Credentials, ctx *Context, input []SecBuffer, contextReq uint32, output []SecBuffer) (*Context, Status, error) {
	return handshakeCall(cred, SECPKG_CRED_INBOUND, ctx, "", contextReq, input, output)
}

func handshakeCall(cred *Credentials, use CredentialUse, ctx *Context, targetName string, contextReq uint32, input, output []SecBuffer) (_ *Context, status Status, err error) {
	fn := "InitializeSecurityContext"
	if use == SECPKG_CRED_INBOUND {
		fn = "AcceptSecurityContext"
	}
	if err := cred.Usable(use); err != nil {
		return ctx, StatusOf(err), err
	}
	if ctx == nil {
		ctx = &Context{pkg: cred.info, server: use == SECPKG_CRED_INBOUND, trace: cred.trace}
		if status, err := ctx.start(cred, targetName, contextReq, input); err != nil {
			if ctx.trace != nil {
				ctx.emit(fn, status, Summarize(input), nil, err)
			}
			return nil, status, err
		}
	} else if err := ctx.valid(); err != nil {
		return ctx, StatusOf(err), err
	}
	var in []TraceBuffer
	if ctx.trace != nil {
		in = Summarize(input)
	}
	defer ctx.contain(fn, &status, &err)
	status, ctx.attrs, err = ctx.p.Handshake(input, output, contextReq)
	if ctx.trace != nil {
		ctx.emit(fn, status, in, append(Summarize(output), Summarize(rewrittenInput(input))...), err)
	}
	return ctx, status, err
}

// start asks the package for its side of the context.
func (c *Context) start(cred *Credentials, targetName string, contextReq uint32, input []SecBuffer) (status Status, err error) {
	defer c.contain("NewContext", &status, &err)
	p, err := cred.pkg.NewContext(cred, c.server, targetName, contextReq, input)
	if err != nil {
		return StatusOf(err), err
	}
	c.p = p
	c.messages, _ = p.(MessageProvider)
	c.signatures, _ = p.(SignatureProvider)
	c.completer, _ = p.(AuthTokenCompleter)
	c.control, _ = p.(ControlTokenApplier)
	c.querier, _ = p.(AttributeQuerier)
	c.setter, _ = p.(AttributeSetter)
	return SEC_E_OK, nil
}

// rewrittenInput is the part of a handshake call's input that the call
// rewrote: buffer [1] as SECBUFFER_MISSING or SECBUFFER_EXTRA.
func rewrittenInput(in []SecBuffer) []SecBuffer {
	if len(in) > 1 {
		if k := in[1].BufferType.Kind(); k == SECBUFFER_MISSING || k == SECBUFFER_EXTRA {
			return in[1:2]
		}
	}
	return nil
}

// Attributes returns the ISC_RET_* or ASC_RET_* flags of the last handshake
// call (pfContextAttr).
func (c *Context) Attributes() uint32 { return c.attrs }

// Provider is the package's side of the context, for a package's own
// extensions (schannel reads its TLS state through it).
func (c *Context) Provider() Provider { return c.p }

// IsServer reports whether the context was made by AcceptSecurityContext.
func (c *Context) IsServer() bool { return c.server }

// EncryptMessage maps EncryptMessage: the package protects the DATA
// buffers in place and fills its header, trailer or token buffers. qop is a
// SECQOP_* value or 0. Go leaves out MessageSeqNo: every package here is
// connection-oriented and keeps its own sequence numbers, as Windows does
// for connection contexts.
func (c *Context) EncryptMessage(qop uint32, buffers []SecBuffer) (status Status, err error) {
	if err := c.valid(); err != nil {
		return StatusOf(err), err
	}
	if c.messages == nil {
		return c.unsupported("EncryptMessage")
	}
	var in []TraceBuffer
	if c.trace != nil {
		in = Summarize(buffers)
	}
	defer c.contain("EncryptMessage", &status, &err)
	status, err = c.messages.EncryptMessage(qop, buffers)
	if c.trace != nil {
		c.emit("EncryptMessage", status, in, Summarize(buffers), err)
	}
	return status, err
}

// DecryptMessage maps DecryptMessage: the package checks and decrypts the
// message in place and returns the quality of protection the sender used
// (pfQOP: SECQOP_WRAP_NO_ENCRYPT for an integrity-only message).
func (c *Context) DecryptMessage(buffers []SecBuffer) (qop uint32, status Status, err error) {
	if err := c.valid(); err != nil {
		return 0, StatusOf(err), err
	}
	if c.messages == nil {
		status, err := c.unsupported("DecryptMessage")
		return 0, status, err
	}
	var in []TraceBuffer
	if c.trace != nil {
		in = Summarize(buffers)
	}
	defer c.contain("DecryptMessage", &status, &err)
	qop, status, err = c.messages.DecryptMessage(buffers)
	if c.trace != nil {
		c.emit("DecryptMessage", status, in, Summarize(buffers), err)
	}
	return qop, status, err
}

// MakeSignature maps MakeSignature: the package computes a signature (a
// Kerberos MIC token, for one) over the DATA buffers into the TOKEN buffer.
func (c *Context) MakeSignature(qop uint32, buffers []SecBuffer) (status Status, err error) {
	if err := c.valid(); err != nil {
		return StatusOf(err), err
	}
	if c.signatures == nil {
		return c.unsupported("MakeSignature")
	}
	var in []TraceBuffer
	if c.trace != nil {
		in = Summarize(buffers)
	}
	defer c.contain("MakeSignature", &status, &err)
	status, err = c.signatures.MakeSignature(qop, buffers)
	if c.trace != nil {
		c.emit("MakeSignature", status, in, Summarize(buffers), err)
	}
	return status, err
}

// VerifySignature maps VerifySignature and returns pfQOP.
func (c *Context) VerifySignature(buffers []SecBuffer) (qop uint32, status Status, err error) {
	if err := c.valid(); err != nil {
		return 0, StatusOf(err), err
	}
	if c.signatures == nil {
		status, err := c.unsupported("VerifySignature")
		return 0, status, err
	}
	var in []TraceBuffer
	if c.trace != nil {
		in = Summarize(buffers)
	}
	defer c.contain("VerifySignature", &status, &err)
	qop, status, err = c.signatures.VerifySignature(buffers)
	if c.trace != nil {
		c.emit("VerifySignature", status, in, Summarize(buffers), err)
	}
	return qop, status, err
}

// CompleteAuthToken maps CompleteAuthToken, called after a handshake call
// returned SEC_I_COMPLETE_NEEDED or SEC_I_COMPLETE_AND_CONTINUE.
func (c *Context) CompleteAuthToken(buffers []SecBuffer) (status Status, err error) {
	if err := c.valid(); err != nil {
		return StatusOf(err), err
	}
	if c.completer == nil {
		return c.unsupported("CompleteAuthToken")
	}
	var in []TraceBuffer
	if c.trace != nil {
		in = Summarize(buffers)
	}
	defer c.contain("CompleteAuthToken", &status, &err)
	status, err = c.completer.CompleteAuthToken(buffers)
	if c.trace != nil {
		c.emit("CompleteAuthToken", status, in, Summarize(buffers), err)
	}
	return status, err
}

// ApplyControlToken maps ApplyControlToken (Schannel's shutdown and
// alerts).
func (c *Context) ApplyControlToken(buffers []SecBuffer) (status Status, err error) {
	if err := c.valid(); err != nil {
		return StatusOf(err), err
	}
	if c.control == nil {
		return c.unsupported("ApplyControlToken")
	}
	var in []TraceBuffer
	if c.trace != nil {
		in = Summarize(buffers)
	}
	defer c.contain("ApplyControlToken", &status, &err)
	status, err = c.control.ApplyControlToken(buffers)
	if c.trace != nil {
		c.emit("ApplyControlToken", status, in, nil, err)
	}
	return status, err
}

// QueryContextAttributes maps QueryContextAttributes. Every context answers
// SECPKG_ATTR_PACKAGE_INFO (PackageInfo), SECPKG_ATTR_NEGOTIATION_INFO
// (NegotiationInfo: the package itself, unless the package is a negotiator
// with its own answer) and SECPKG_ATTR_FLAGS (Flags); the package answers
// the rest (SECPKG_ATTR_SIZES gives Sizes, SECPKG_ATTR_NAMES Names,
// SECPKG_ATTR_LIFESPAN Lifespan, SECPKG_ATTR_SESSION_KEY SessionKey,
// SECPKG_ATTR_NATIVE_NAMES NativeNames, and each package's own
// attributes). An attribute the package does not have is
// SEC_E_UNSUPPORTED_FUNCTION.
func (c *Context) QueryContextAttributes(attribute uint32) (value any, err error) {
	if err := c.valid(); err != nil {
		return nil, err
	}
	var status Status
	defer c.contain("QueryContextAttributes", &status, &err)
	if c.querier != nil {
		value, err = c.querier.QueryContextAttributes(attribute)
		if !isUnsupported(err) {
			return value, err
		}
	}
	switch attribute {
	case SECPKG_ATTR_PACKAGE_INFO:
		return c.pkg, nil
	case SECPKG_ATTR_NEGOTIATION_INFO:
		state := uint32(SECPKG_NEGOTIATION_IN_PROGRESS)
		if c.p.Established() {
			state = SECPKG_NEGOTIATION_COMPLETE
		}
		return NegotiationInfo{PackageInfo: c.pkg, NegotiationState: state}, nil
	case SECPKG_ATTR_FLAGS:
		return Flags{Flags: c.attrs}, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, Errorf(SEC_E_UNSUPPORTED_FUNCTION, "sspi: %s does not support context attribute %d", c.pkg.Name, attribute)
}

func isUnsupported(err error) bool {
	se, ok := err.(*Error)
	return ok && se.Status == SEC_E_UNSUPPORTED_FUNCTION
}

// SetContextAttributes maps SetContextAttributes.
func (c *Context) SetContextAttributes(attribute uint32, value any) (err error) {
	if err := c.valid(); err != nil {
		return err
	}
	if c.setter == nil {
		_, err := c.unsupported("SetContextAttributes")
		return err
	}
	var status Status
	defer c.contain("SetContextAttributes", &status, &err)
	return c.setter.SetContextAttributes(attribute, value)
}

// DeleteSecurityContext maps DeleteSecurityContext: the context's keys are
// dropped and every later call fails with SEC_E_INVALID_HANDLE.
func (c *Context) DeleteSecurityContext() error {
	if c == nil || c.deleted || c.p == nil {
		return Errorf(SEC_E_INVALID_HANDLE, "sspi: invalid or deleted context")
	}
	c.deleted = true
	p := c.p
	c.p = nil
	return p.DeleteSecurityContext()
}

// Established reports whether the context's handshake has completed.
func (c *Context) Established() bool {
	return c.valid() == nil && c.p.Established()
}

// Valid returns the error every call returns on a context that is nil,
// deleted, or dead after a package failure; nil otherwise.
func (c *Context) Valid() error { return c.valid() }

func (c *Context) valid() error {
	if c == nil || c.deleted || c.p == nil {
		return errInvalidContext
	}
	if c.failed.Load() {
		return errFailedContext
	}
	return nil
}

// Preallocated so that the per-message paths allocate nothing.
var (
	errInvalidContext = Errorf(SEC_E_INVALID_HANDLE, "sspi: invalid or deleted context")
	errFailedContext  = Errorf(SEC_E_INTERNAL_ERROR, "sspi: the context is unusable after an internal error in its package")
)

func (c *Context) unsupported(fn string) (Status, error) {
	err := Errorf(SEC_E_UNSUPPORTED_FUNCTION, "sspi: the %s package does not implement %s", c.pkg.Name, fn)
	if c.trace != nil {
		c.emit(fn, err.Status, nil, nil, err)
	}
	return err.Status, err
}

func (c *Context) emit(fn string, status Status, in, out []TraceBuffer, err error) {
	c.trace(TraceEvent{Package: c.pkg.Name, Func: fn, Status: status, In: in, Out: out, Err: err})
}

// PanicError is the cause of the SEC_E_INTERNAL_ERROR a Context returns when
// its package panicked: the bug costs that context, not the process.
type PanicError struct {
	Func  string // the SSPI call that panicked
	Value any    // what was passed to panic
	Stack []byte // the goroutine's stack at the panic
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("sspi: %s panicked: %v", e.Func, e.Value)
}

// RepanicEnv names the environment variable that turns panic containment
// off: when it is set to 1, a panic inside a package propagates as it would
// without this package. Tests and fuzzing set it, so that no bug hides
// behind a status.
const RepanicEnv = "GOSSPI_REPANIC"

// contain turns a panic inside the package into SEC_E_INTERNAL_ERROR and
// kills the context; the trace hook receives the stack inside the error.
func (c *Context) contain(fn string, status *Status, err *error) {
	v := recover()
	if v == nil {
		return
	}
	if os.Getenv(RepanicEnv) == "1" {
		panic(v)
	}
	c.failed.Store(true)
	perr := &PanicError{Func: fn, Value: v, Stack: debug.Stack()}
	*status = SEC_E_INTERNAL_ERROR
	*err = &Error{Status: SEC_E_INTERNAL_ERROR, Alert: -1, Err: perr}
	if c.trace != nil {
		c.emit(fn, *status, nil, nil, *err)
	}
}

// StatusOf is the status behind an error from an SSPI call: its Status when
// it is an *Error or a Status, SEC_E_OK for nil, SEC_E_INTERNAL_ERROR for
// anything else.
func StatusOf(err error) Status {
	switch e := err.(type) {
	case nil:
		return SEC_E_OK
	case *Error:
		return e.Status
	case Status:
		return e
	}
	return SEC_E_INTERNAL_ERROR
}

// PackageName is the name of the context's package.
func (c *Context) PackageName() string { return c.pkg.Name }
