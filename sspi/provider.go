package sspi

// Provider is one context of a security package: what a Package's
// NewContext returns. Context checks the handle, dispatches, traces and
// contains panics; the provider lays the buffers out exactly as its package
// does on Windows.
//
// Every provider implements Provider. The other calls are optional
// interfaces below: a call whose interface a provider does not implement
// returns SEC_E_UNSUPPORTED_FUNCTION, as Windows does for a package without
// that function.
type Provider interface {
	// Handshake is one InitializeSecurityContext or AcceptSecurityContext
	// call; it returns the status and the ISC_RET_*/ASC_RET_* attributes.
	Handshake(input, output []SecBuffer, contextReq uint32) (Status, uint32, error)
	// Established reports whether the handshake has completed.
	Established() bool
	// DeleteSecurityContext releases what the context holds.
	DeleteSecurityContext() error
}

// MessageProvider is a package with EncryptMessage and DecryptMessage
// (Schannel, Kerberos, Digest in SASL mode). DecryptMessage returns pfQOP.
type MessageProvider interface {
	EncryptMessage(qop uint32, buffers []SecBuffer) (Status, error)
	DecryptMessage(buffers []SecBuffer) (qop uint32, status Status, err error)
}

// SignatureProvider is a package with MakeSignature and VerifySignature
// (Kerberos MIC tokens, Digest). VerifySignature returns pfQOP.
type SignatureProvider interface {
	MakeSignature(qop uint32, buffers []SecBuffer) (Status, error)
	VerifySignature(buffers []SecBuffer) (qop uint32, status Status, err error)
}

// AuthTokenCompleter is a package that may return SEC_I_COMPLETE_NEEDED or
// SEC_I_COMPLETE_AND_CONTINUE (Digest).
type AuthTokenCompleter interface {
	CompleteAuthToken(buffers []SecBuffer) (Status, error)
}

// ControlTokenApplier is a package with ApplyControlToken (Schannel).
type ControlTokenApplier interface {
	ApplyControlToken(buffers []SecBuffer) (Status, error)
}

// AttributeQuerier answers QueryContextAttributes for the attributes its
// package knows; Context answers SECPKG_ATTR_PACKAGE_INFO and
// SECPKG_ATTR_FLAGS itself. An attribute the package does not know is
// SEC_E_UNSUPPORTED_FUNCTION.
type AttributeQuerier interface {
	QueryContextAttributes(attribute uint32) (any, error)
}

// AttributeSetter takes SetContextAttributes.
type AttributeSetter interface {
	SetContextAttributes(attribute uint32, value any) error
}
