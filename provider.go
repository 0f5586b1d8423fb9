package schannel

import (
	"crypto/tls"
	"crypto/x509"

	"github.com/gosspi/schannel/sspi"
)

// tlsProvider is what a Schannel context's package offers beyond the SSPI
// calls: the TLS state that Context and Conn read. Both Schannel providers
// implement it: this module's engine (goProvider, every platform) and, on
// Windows, secur32.dll (nativeProvider). They lay the buffers out exactly as
// Schannel does, so a Schannel program sees the same calls either way.
type tlsProvider interface {
	sspi.Provider
	sspi.MessageProvider
	sspi.ControlTokenApplier
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
}
