package engine

import (
	"bytes"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

// exporterState is what the keying material exporters and channel bindings
// need once the handshake is over. It is written once, by finishHandshake,
// and only read afterwards, so it may be read alongside Encrypt and Decrypt.
type exporterState struct {
	// secret13 is the TLS 1.3 exporter_master_secret (RFC 8446 7.1).
	secret13 []byte
	// master12 and the randoms key the TLS 1.2 exporter (RFC 5705); this
	// engine always negotiates the extended master secret (RFC 7627), which
	// makes the exporter safe across resumption.
	master12                   []byte
	clientRandom, serverRandom []byte
	// firstFinished is the verify_data of the first Finished of a TLS 1.2
	// handshake: tls-unique (RFC 5929 3.1).
	firstFinished []byte
	// serverLeaf is the server's leaf certificate (DER) as this handshake
	// presented it, for tls-server-end-point; nil when none was sent (a
	// resumed TLS 1.2 session on the server side).
	serverLeaf []byte
}

// noteFinished12 records the first Finished of a TLS 1.2 handshake, whoever
// sent it: the client's in a full handshake, the server's on resumption.
func (c *Context) noteFinished12(verifyData []byte) {
	if c.hs.firstFinished == nil {
		c.hs.firstFinished = bytes.Clone(verifyData)
	}
}

// saveExporterState is called by finishHandshake while c.hs still exists.
func (c *Context) saveExporterState() {
	hs := c.hs
	c.exporter = exporterState{firstFinished: hs.firstFinished, serverLeaf: hs.serverLeaf}
	if !c.isServer && len(c.info.PeerCertificates) > 0 {
		c.exporter.serverLeaf = c.info.PeerCertificates[0].Raw
	}
	if c.vers == wire.VersionTLS13 {
		c.exporter.secret13 = hs.exporterSecret
		return
	}
	c.exporter.master12 = hs.masterSecret
	c.exporter.clientRandom = hs.clientRandom
	c.exporter.serverRandom = hs.serverRandom
}

// ExportKeyingMaterial is the TLS exporter with crypto/tls's semantics: RFC
// 8446 7.5 in TLS 1.3, RFC 5705 in TLS 1.2, where a nil context means "no
// context" and differs from an empty one.
func (c *Context) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, *sspi.Error) {
	if c.state != stateConnected || c.suite == nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "schannel: keying material is exported once the handshake has completed")
	}
	var (
		out []byte
		err error
	)
	if c.vers == wire.VersionTLS13 {
		out, err = keys.ExportKeyingMaterial(c.suite.Hash, c.exporter.secret13, label, context, length)
	} else {
		out, err = keys.ExportKeyingMaterial12(c.suite.Hash, c.exporter.master12, c.exporter.clientRandom, c.exporter.serverRandom, label, context, length)
	}
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_PARAMETER, "schannel: %v", err)
	}
	return out, nil
}

// TLSUnique is the tls-unique channel binding (RFC 5929 3.1): the first
// Finished of the handshake. TLS 1.3 has none (RFC 8446 C.5).
func (c *Context) TLSUnique() []byte {
	if c.state != stateConnected {
		return nil
	}
	return c.exporter.firstFinished
}

// ServerLeaf is the server certificate of the handshake (DER), the input of
// tls-server-end-point (RFC 5929 4.1); nil when the handshake carried none.
func (c *Context) ServerLeaf() []byte {
	if c.state != stateConnected {
		return nil
	}
	return c.exporter.serverLeaf
}
