package schannel

import (
	"crypto/tls"
	"crypto/x509"

	"github.com/gosspi/schannel/internal/sspi"
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
	if err := c.established(); err != nil {
		return ConnectionInfo{}, err
	}
	return c.p.connectionInfo()
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
	if err := c.established(); err != nil {
		return nil, err
	}
	return c.p.remoteCertificate()
}

// ApplicationProtocol is QueryContextAttributes(SECPKG_ATTR_APPLICATION_PROTOCOL):
// the ALPN protocol negotiated, "" when none was.
func (c *Context) ApplicationProtocol() (string, error) {
	if err := c.established(); err != nil {
		return "", err
	}
	return c.p.applicationProtocol()
}

// StreamSizes is QueryContextAttributes(SECPKG_ATTR_STREAM_SIZES). For TLS 1.3
// the header is the 5-byte record header and the trailer the 16-byte AEAD tag
// plus the 1-byte inner content type (no padding is added); for TLS 1.2
// AES-GCM, 13 and 16 as on Windows.
func (c *Context) StreamSizes() (StreamSizes, error) {
	if err := c.established(); err != nil {
		return StreamSizes{}, err
	}
	return c.p.streamSizes()
}

// ConnectionState gives the negotiated parameters as crypto/tls reports
// them; the zero value before the handshake completes.
func (c *Context) ConnectionState() tls.ConnectionState {
	if c.established() != nil {
		return tls.ConnectionState{}
	}
	return c.p.connectionState()
}

// QueryContextAttributes maps QueryContextAttributes for callers ported from
// C: it returns StreamSizes, ConnectionInfo, []*x509.Certificate, string or
// []byte (keying material, or a SEC_CHANNEL_BINDINGS structure for the
// binding attributes) according to attribute (SECPKG_ATTR_*).
func (c *Context) QueryContextAttributes(attribute uint32) (any, error) {
	switch attribute {
	case SECPKG_ATTR_STREAM_SIZES:
		return c.StreamSizes()
	case SECPKG_ATTR_CONNECTION_INFO, SECPKG_ATTR_CIPHER_INFO, SECPKG_ATTR_SESSION_INFO:
		return c.ConnectionInfo()
	case SECPKG_ATTR_REMOTE_CERT_CONTEXT:
		return c.RemoteCertificate()
	case SECPKG_ATTR_APPLICATION_PROTOCOL:
		return c.ApplicationProtocol()
	case SECPKG_ATTR_KEYING_MATERIAL:
		return c.KeyingMaterial()
	case SECPKG_ATTR_ENDPOINT_BINDINGS:
		return c.EndpointBindings()
	case SECPKG_ATTR_UNIQUE_BINDINGS:
		return c.UniqueBindings()
	}
	return nil, sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: attribute %#x is not supported", attribute)
}

// SetContextAttributes maps SetContextAttributes. The one attribute Schannel
// takes that this package implements is SECPKG_ATTR_KEYING_MATERIAL_INFO,
// with a KeyingMaterialInfo (or a pointer to one).
func (c *Context) SetContextAttributes(attribute uint32, value any) error {
	if attribute == SECPKG_ATTR_KEYING_MATERIAL_INFO {
		switch info := value.(type) {
		case KeyingMaterialInfo:
			return c.SetKeyingMaterialInfo(info)
		case *KeyingMaterialInfo:
			if info != nil {
				return c.SetKeyingMaterialInfo(*info)
			}
		}
		return sspi.Errorf(SEC_E_INVALID_PARAMETER, "schannel: SECPKG_ATTR_KEYING_MATERIAL_INFO takes a KeyingMaterialInfo")
	}
	return sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: attribute %#x cannot be set", attribute)
}

func (c *Context) established() error {
	if err := c.valid(); err != nil {
		return err
	}
	if !c.p.established() {
		return sspi.Errorf(SEC_E_INVALID_HANDLE, "schannel: the handshake has not completed")
	}
	return nil
}
