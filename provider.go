package schannel

import (
	"crypto/tls"
	"crypto/x509"
)

// provider is the security package behind a Context: this module's engine
// (goProvider, every platform) or, on Windows, secur32.dll. Context checks
// its handle and dispatches; the provider lays the buffers out exactly as
// its package does, so a Schannel program sees the same calls either way.
type provider interface {
	// handshake is one InitializeSecurityContext/AcceptSecurityContext call;
	// it returns the status and the ISC_RET_*/ASC_RET_* attributes.
	handshake(input, output []SecBuffer, contextReq uint32) (Status, uint32, error)
	encryptMessage(qop uint32, buffers []SecBuffer) (Status, error)
	decryptMessage(buffers []SecBuffer) (Status, error)
	applyControlToken(buffers []SecBuffer) (Status, error)
	established() bool
	streamSizes() (StreamSizes, error)
	connectionInfo() (ConnectionInfo, error)
	remoteCertificate() ([]*x509.Certificate, error)
	applicationProtocol() (string, error)
	connectionState() tls.ConnectionState
	keyUpdate(requestPeerUpdate bool) ([]byte, error)
	keyUpdateDue() bool
	// setKeyingMaterialInfo and keyingMaterial are
	// SetContextAttributes(SECPKG_ATTR_KEYING_MATERIAL_INFO) and
	// QueryContextAttributes(SECPKG_ATTR_KEYING_MATERIAL).
	setKeyingMaterialInfo(info KeyingMaterialInfo) error
	keyingMaterial() ([]byte, error)
	// channelBindings is QueryContextAttributes(SECPKG_ATTR_ENDPOINT_BINDINGS
	// or SECPKG_ATTR_UNIQUE_BINDINGS): a SEC_CHANNEL_BINDINGS structure.
	channelBindings(attribute uint32) ([]byte, error)
	// deleteContext releases what the package holds (DeleteSecurityContext).
	deleteContext() error
}
