package schannel

import (
	"crypto/x509"

	"github.com/gosspi/schannel/sspi"
)

// Attributes and the buffer type of keying material export and channel
// bindings, with the numbers of Windows' sspi.h and schannel.h.
const (
	SECPKG_ATTR_UNIQUE_BINDINGS      = sspi.SECPKG_ATTR_UNIQUE_BINDINGS   // QueryContextAttributes: tls-unique as SEC_CHANNEL_BINDINGS
	SECPKG_ATTR_ENDPOINT_BINDINGS    = sspi.SECPKG_ATTR_ENDPOINT_BINDINGS // QueryContextAttributes: tls-server-end-point as SEC_CHANNEL_BINDINGS
	SECPKG_ATTR_KEYING_MATERIAL_INFO = 106                                // SetContextAttributes: SecPkgContext_KeyingMaterialInfo
	SECPKG_ATTR_KEYING_MATERIAL      = 107                                // QueryContextAttributes: SecPkgContext_KeyingMaterial

	// SECBUFFER_CHANNEL_BINDINGS carries a SEC_CHANNEL_BINDINGS structure
	// into another package's InitializeSecurityContext/AcceptSecurityContext.
	SECBUFFER_CHANNEL_BINDINGS = sspi.SECBUFFER_CHANNEL_BINDINGS
)

// KeyingMaterialInfo is SecPkgContext_KeyingMaterialInfo: what
// SetContextAttributes(SECPKG_ATTR_KEYING_MATERIAL_INFO) asks the next
// QueryContextAttributes(SECPKG_ATTR_KEYING_MATERIAL) to export.
//
// Label is pszLabel without its NUL (cbLabel follows from it). Context is
// pbContextValue/cbContextValue; as in crypto/tls, nil means "no context",
// which in TLS 1.2 (RFC 5705) differs from an empty, non-nil context. Windows
// cannot express the empty context (a zero cbContextValue must come with a
// NULL pointer). Length is cbKeyingMaterial and must be greater than zero.
type KeyingMaterialInfo struct {
	Label   string
	Context []byte
	Length  int
}

// Channel binding prefixes: RFC 5929 sections 3 and 4 name the bindings,
// RFC 9266 section 2 names tls-exporter; Schannel puts "name:" before the
// value, as GSS-API channel bindings expect (RFC 5056).
const (
	tlsUniquePrefix         = "tls-unique:"
	tlsServerEndPointPrefix = "tls-server-end-point:"
	tlsExporterPrefix       = "tls-exporter:"

	// tlsExporterLabel and tlsExporterLength are RFC 9266 section 2's.
	tlsExporterLabel  = "EXPORTER-Channel-Binding"
	tlsExporterLength = 32
)

// newChannelBindings is a SEC_CHANNEL_BINDINGS structure whose
// application data is prefix and value.
func newChannelBindings(prefix string, value []byte) []byte {
	return sspi.NewChannelBindings(append([]byte(prefix), value...))
}

// ChannelBindingsApplicationData returns the application data of a
// SEC_CHANNEL_BINDINGS structure ("tls-server-end-point:" and the hash, for
// one), checking that its offsets stay inside b. It is
// sspi.ChannelBindingsApplicationData.
func ChannelBindingsApplicationData(b []byte) ([]byte, error) {
	return sspi.ChannelBindingsApplicationData(b)
}

// tlsServerEndPoint computes tls-server-end-point from the server's leaf.
func tlsServerEndPoint(leafDER []byte) ([]byte, error) {
	if leafDER == nil {
		return nil, sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: no server certificate was sent in this handshake (a resumed TLS 1.2 session), so there is no tls-server-end-point")
	}
	leaf, err := x509.ParseCertificate(leafDER)
	if err != nil {
		return nil, sspi.Errorf(SEC_E_INTERNAL_ERROR, "schannel: the server certificate does not parse: %v", err)
	}
	return sspi.EndpointBindings(leaf)
}

// SetKeyingMaterialInfo is SetContextAttributes(SECPKG_ATTR_KEYING_MATERIAL_INFO):
// it says what the next KeyingMaterial call exports. It may be called before
// or after the handshake completes.
func (c *Context) SetKeyingMaterialInfo(info KeyingMaterialInfo) error {
	p, err := c.tls()
	if err != nil {
		return err
	}
	return setTLSAttribute(p, SECPKG_ATTR_KEYING_MATERIAL_INFO, info)
}

// KeyingMaterial is QueryContextAttributes(SECPKG_ATTR_KEYING_MATERIAL): the
// bytes (SecPkgContext_KeyingMaterial's pbKeyingMaterial) that the TLS
// exporter derives for the label, context and length set by
// SetKeyingMaterialInfo: RFC 8446 section 7.5 in TLS 1.3, RFC 5705 with the
// extended master secret in TLS 1.2.
func (c *Context) KeyingMaterial() ([]byte, error) {
	p, err := c.established()
	if err != nil {
		return nil, err
	}
	return p.keyingMaterial()
}

// EndpointBindings is QueryContextAttributes(SECPKG_ATTR_ENDPOINT_BINDINGS):
// tls-server-end-point (RFC 5929 section 4.1) as a SEC_CHANNEL_BINDINGS
// structure, ready to be passed on as a SECBUFFER_CHANNEL_BINDINGS buffer.
func (c *Context) EndpointBindings() ([]byte, error) {
	p, err := c.established()
	if err != nil {
		return nil, err
	}
	return p.channelBindings(SECPKG_ATTR_ENDPOINT_BINDINGS)
}

// UniqueBindings is QueryContextAttributes(SECPKG_ATTR_UNIQUE_BINDINGS):
// tls-unique (RFC 5929 section 3) as a SEC_CHANNEL_BINDINGS structure. It
// exists in TLS 1.2 only; TLS 1.3 has no tls-unique (RFC 8446 appendix C.5)
// and the call fails with SEC_E_UNSUPPORTED_FUNCTION.
func (c *Context) UniqueBindings() ([]byte, error) {
	p, err := c.established()
	if err != nil {
		return nil, err
	}
	return p.channelBindings(SECPKG_ATTR_UNIQUE_BINDINGS)
}

// TLSExporterBindings is tls-exporter (RFC 9266): 32 bytes of the TLS
// exporter with the label "EXPORTER-Channel-Binding" and an empty context,
// as a SEC_CHANNEL_BINDINGS structure whose application data starts with
// "tls-exporter:". Windows has no attribute for it; it is the channel
// binding RFC 9266 defines for TLS 1.3, and it works in TLS 1.2 too because
// the extended master secret is always negotiated.
func (c *Context) TLSExporterBindings() ([]byte, error) {
	p, err := c.established()
	if err != nil {
		return nil, err
	}
	if err := p.setKeyingMaterialInfo(KeyingMaterialInfo{Label: tlsExporterLabel, Context: []byte{}, Length: tlsExporterLength}); err != nil {
		return nil, err
	}
	value, err := p.keyingMaterial()
	if err != nil {
		return nil, err
	}
	return newChannelBindings(tlsExporterPrefix, value), nil
}

// ExportKeyingMaterial returns length bytes of keying material for label and
// context, exactly as crypto/tls's ConnectionState.ExportKeyingMaterial
// computes them (RFC 8446 section 7.5; RFC 5705 with the extended master
// secret in TLS 1.2, where a nil context differs from an empty one). It is
// SetContextAttributes(SECPKG_ATTR_KEYING_MATERIAL_INFO) followed by
// QueryContextAttributes(SECPKG_ATTR_KEYING_MATERIAL).
//
// Use it rather than ConnectionState().ExportKeyingMaterial: the
// tls.ConnectionState this package returns cannot carry the exporter, whose
// hook is a private field of crypto/tls, so that method panics on it (it
// calls a nil function).
func (c *Conn) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	if !c.established.Load() {
		return nil, sspi.Errorf(SEC_E_INVALID_HANDLE, "schannel: keying material is exported once the handshake completes")
	}
	// The context is not safe for two calls at once, except Encrypt alongside
	// Decrypt: these calls queue behind DecryptMessage like the others.
	c.engMu.Lock()
	defer c.engMu.Unlock()
	if err := c.ctx.SetKeyingMaterialInfo(KeyingMaterialInfo{Label: label, Context: context, Length: length}); err != nil {
		return nil, err
	}
	return c.ctx.KeyingMaterial()
}

// ChannelBinding returns one of the connection's channel bindings as a
// SEC_CHANNEL_BINDINGS structure, the form other security packages take as
// a SECBUFFER_CHANNEL_BINDINGS buffer: SECPKG_ATTR_ENDPOINT_BINDINGS
// (tls-server-end-point), SECPKG_ATTR_UNIQUE_BINDINGS (tls-unique, TLS 1.2
// only) or 0 for tls-exporter (RFC 9266), which Windows has no attribute
// for. ChannelBindingsApplicationData extracts the "name:value" bytes.
func (c *Conn) ChannelBinding(attribute uint32) ([]byte, error) {
	if !c.established.Load() {
		return nil, sspi.Errorf(SEC_E_INVALID_HANDLE, "schannel: channel bindings exist once the handshake completes")
	}
	c.engMu.Lock()
	defer c.engMu.Unlock()
	switch attribute {
	case 0:
		return c.ctx.TLSExporterBindings()
	case SECPKG_ATTR_ENDPOINT_BINDINGS:
		return c.ctx.EndpointBindings()
	case SECPKG_ATTR_UNIQUE_BINDINGS:
		return c.ctx.UniqueBindings()
	}
	return nil, sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: attribute %d is not a channel binding", attribute)
}

// TLSExporterBinding is ChannelBinding(0): tls-exporter (RFC 9266).
func (c *Conn) TLSExporterBinding() ([]byte, error) { return c.ChannelBinding(0) }
