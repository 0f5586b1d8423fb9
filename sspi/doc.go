// Package sspi is the Security Support Provider Interface of Windows, in
// Go, for every operating system: one set of calls in front of several
// security packages.
//
// A Windows programmer finds the calls they know, with the same statuses
// (SEC_E_OK, SEC_I_CONTINUE_NEEDED, SEC_E_INCOMPLETE_MESSAGE, with their
// Windows numbers), buffer types (SECBUFFER_TOKEN, SECBUFFER_EXTRA, ...) and
// flags (ISC_REQ_*, ASC_REQ_*, ISC_RET_*, ASC_RET_*):
//
//	EnumerateSecurityPackages, QuerySecurityPackageInfo
//	AcquireCredentialsHandle, FreeCredentialsHandle   (Credentials)
//	InitializeSecurityContext, AcceptSecurityContext  (Context)
//	CompleteAuthToken, ApplyControlToken
//	MakeSignature, VerifySignature, EncryptMessage, DecryptMessage
//	QueryContextAttributes, SetContextAttributes, DeleteSecurityContext
//
// The packages are Go packages that register themselves when imported:
// Schannel (TLS) in the root package of this module
// (github.com/gosspi/schannel), WDigest in .../digest and Kerberos in
// .../kerberos. Each also offers a typed AcquireCredentialsHandle taking its Go
// configuration (schannel takes a *tls.Config), the counterpart of
// pAuthData. A call a package does not implement returns
// SEC_E_UNSUPPORTED_FUNCTION, as on Windows.
//
// Differences from the C API, each for a Go reason:
//   - Handles are pointers (*Credentials, *Context); the first
//     InitializeSecurityContext or AcceptSecurityContext call takes a nil
//     Context and returns the new one.
//   - Out parameters are results: pfContextAttr is Context.Attributes, pfQOP
//     is the first result of DecryptMessage and VerifySignature.
//   - MessageSeqNo is left out: every package here is connection-oriented
//     and keeps its own sequence numbers, as Windows does for connection
//     contexts.
//   - Failures are errors as well as statuses: errors.Is(err,
//     SEC_E_UNTRUSTED_ROOT) works, and the error says why.
//   - Memory: a package writes into the caller's buffers, or with
//     ISC_REQ_ALLOCATE_MEMORY hands out its own slices; there is no
//     FreeContextBuffer.
//
// A package does no I/O of its own and never starts a goroutine: bytes in,
// status and bytes out, so one goroutine (or an event loop) can drive many
// contexts. The one exception is Windows' own: Kerberos's
// InitializeSecurityContext asks the KDC for a ticket it does not have. A panic inside a package costs its context, not the process:
// the call returns SEC_E_INTERNAL_ERROR with a *PanicError holding the
// stack, and the context is dead afterwards. Setting GOSSPI_REPANIC=1
// (RepanicEnv) turns that off, as the tests of this module do.
//
// To trace a package's calls, set a hook on the credentials
// (Credentials.SetTrace); SlogTrace logs them with log/slog.
//
// # Writing a package
//
// A package implements Package (Info, AcquireCredentials, NewContext) and
// calls Register from an init function. NewContext returns a Provider,
// which implements Handshake, Established and DeleteSecurityContext, and
// whichever of MessageProvider, SignatureProvider, AuthTokenCompleter,
// ControlTokenApplier, AttributeQuerier and AttributeSetter the package
// has. Context does the rest: handle checks, dispatch, tracing, panic
// containment, and the attributes every package shares
// (SECPKG_ATTR_PACKAGE_INFO, SECPKG_ATTR_NEGOTIATION_INFO,
// SECPKG_ATTR_FLAGS). PlaceOutput, IndexOf and IndexOfWritable are the
// buffer rules every package follows.
package sspi
