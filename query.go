package schannel

import (
	"crypto/tls"
	"crypto/x509"

	"github.com/gosspi/schannel/sspi"
)

// ConnectionInfo is this package's SECPKG_ATTR_CONNECTION_INFO: what the
// handshake negotiated, with crypto/tls types where they exist.
type ConnectionInfo struct {
	Protocol         uint32 // SP_PROT_TLS1_3_CLIENT, SP_PROT_TLS1_3_SERVER, ...
	Version          uint16 // tls.VersionTLS13, ...
	CipherSuite      uint16 // tls.TLS_AES_128_GCM_SHA256, ...
	CipherSuiteName  string // as tls.CipherSuiteName gives it
	KeyExchangeGroup tls.CurveID
	// SignatureScheme is the scheme the peer's CertificateVerify used (0 if
	// the peer sent no certificate).
	SignatureScheme tls.SignatureScheme
	ServerName      string
	Resumed         bool
}

// ConnectionInfo is QueryContextAttributes(SECPKG_ATTR_CONNECTION_INFO, and
// SECPKG_ATTR_CIPHER_INFO, SECPKG_ATTR_SESSION_INFO which it contains).
func (c *Context) ConnectionInfo() (ConnectionInfo, error) {
	p, err := c.established()
	if err != nil {
		return ConnectionInfo{}, err
	}
	return p.connectionInfo()
}

// protocolBits is the SP_PROT_* value for a version and role.
func protocolBits(version uint16, server bool) uint32 {
	switch {
	case version == tls.VersionTLS13 && server:
		return SP_PROT_TLS1_3_SERVER
	case version == tls.VersionTLS13:
		return SP_PROT_TLS1_3_CLIENT
	case server:
		return SP_PROT_TLS1_2_SERVER
	}
	return SP_PROT_TLS1_2_CLIENT
}

// RemoteCertificate is QueryContextAttributes(SECPKG_ATTR_REMOTE_CERT_CONTEXT):
// the chain the peer sent, leaf first (nil when it sent none). With
// ISC_REQ_MANUAL_CRED_VALIDATION this is the chain the caller must check.
func (c *Context) RemoteCertificate() ([]*x509.Certificate, error) {
	p, err := c.established()
	if err != nil {
		return nil, err
	}
	return p.remoteCertificate()
}

// ApplicationProtocol is QueryContextAttributes(SECPKG_ATTR_APPLICATION_PROTOCOL):
// the ALPN protocol negotiated, "" when none was.
func (c *Context) ApplicationProtocol() (string, error) {
	p, err := c.established()
	if err != nil {
		return "", err
	}
	return p.applicationProtocol()
}

// StreamSizes is QueryContextAttributes(SECPKG_ATTR_STREAM_SIZES). For TLS 1.3
// the header is the 5-byte record header and the trailer the 16-byte AEAD tag
// plus the 1-byte inner content type (no padding is added); for TLS 1.2
// AES-GCM, 13 and 16 as on Windows.
func (c *Context) StreamSizes() (StreamSizes, error) {
	p, err := c.established()
	if err != nil {
		return StreamSizes{}, err
	}
	return p.streamSizes()
}

// ConnectionState gives the negotiated parameters as crypto/tls reports
// them; the zero value before the handshake completes.
func (c *Context) ConnectionState() tls.ConnectionState {
	p, err := c.established()
	if err != nil {
		return tls.ConnectionState{}
	}
	return p.connectionState()
}

// queryTLS answers QueryContextAttributes for Schannel's own attributes:
// StreamSizes, ConnectionInfo, []*x509.Certificate or string according to
// attribute (SECPKG_ATTR_*). Context.QueryContextAttributes (from
// sspi.Context) reaches it through the provider and answers
// SECPKG_ATTR_PACKAGE_INFO, SECPKG_ATTR_NEGOTIATION_INFO and
// SECPKG_ATTR_FLAGS itself.
func queryTLS(p tlsProvider, attribute uint32) (any, error) {
	if !p.Established() {
		switch attribute {
		case SECPKG_ATTR_STREAM_SIZES, SECPKG_ATTR_CONNECTION_INFO, SECPKG_ATTR_CIPHER_INFO,
			SECPKG_ATTR_SESSION_INFO, SECPKG_ATTR_REMOTE_CERT_CONTEXT, SECPKG_ATTR_APPLICATION_PROTOCOL,
			SECPKG_ATTR_KEYING_MATERIAL, SECPKG_ATTR_ENDPOINT_BINDINGS, SECPKG_ATTR_UNIQUE_BINDINGS:
			return nil, errNotEstablished
		}
	}
	switch attribute {
	case SECPKG_ATTR_STREAM_SIZES:
		return p.streamSizes()
	case SECPKG_ATTR_CONNECTION_INFO, SECPKG_ATTR_CIPHER_INFO, SECPKG_ATTR_SESSION_INFO:
		return p.connectionInfo()
	case SECPKG_ATTR_REMOTE_CERT_CONTEXT:
		return p.remoteCertificate()
	case SECPKG_ATTR_APPLICATION_PROTOCOL:
		return p.applicationProtocol()
	case SECPKG_ATTR_KEYING_MATERIAL:
		return p.keyingMaterial()
	case SECPKG_ATTR_ENDPOINT_BINDINGS, SECPKG_ATTR_UNIQUE_BINDINGS:
		return p.channelBindings(attribute)
	}
	return nil, sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: attribute %#x is not supported", attribute)
}

var errNotEstablished = sspi.Errorf(SEC_E_INVALID_HANDLE, "schannel: the handshake has not completed")

// established is the Schannel provider of a context whose handshake has
// completed.
func (c *Context) established() (tlsProvider, error) {
	p, err := c.tls()
	if err != nil {
		return nil, err
	}
	if !p.Established() {
		return nil, errNotEstablished
	}
	return p, nil
}

// setTLSAttribute answers SetContextAttributes for Schannel: the one
// attribute it takes that this package implements is
// SECPKG_ATTR_KEYING_MATERIAL_INFO, with a KeyingMaterialInfo (or a pointer
// to one).
func setTLSAttribute(p tlsProvider, attribute uint32, value any) error {
	if attribute != SECPKG_ATTR_KEYING_MATERIAL_INFO {
		return sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: attribute %#x cannot be set", attribute)
	}
	var info KeyingMaterialInfo
	switch v := value.(type) {
	case KeyingMaterialInfo:
		info = v
	case *KeyingMaterialInfo:
		if v == nil {
			return sspi.Errorf(SEC_E_INVALID_PARAMETER, "schannel: SECPKG_ATTR_KEYING_MATERIAL_INFO takes a KeyingMaterialInfo")
		}
		info = *v
	default:
		return sspi.Errorf(SEC_E_INVALID_PARAMETER, "schannel: SECPKG_ATTR_KEYING_MATERIAL_INFO takes a KeyingMaterialInfo")
	}
	if info.Length <= 0 {
		return sspi.Errorf(SEC_E_INVALID_PARAMETER, "schannel: cbKeyingMaterial must be greater than zero")
	}
	if len(info.Label)+1 > 0xffff || len(info.Context) > 0xffff {
		return sspi.Errorf(SEC_E_INVALID_PARAMETER, "schannel: cbLabel and cbContextValue are 16-bit counts")
	}
	return p.setKeyingMaterialInfo(info)
}
