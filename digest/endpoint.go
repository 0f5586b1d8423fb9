package digest

import (
	"crypto"
	"crypto/x509"
	"encoding/binary"
	"errors"
)

// EndpointBindings is tls-server-end-point (RFC 5929 section 4.1) for a
// server certificate, laid out as the SEC_CHANNEL_BINDINGS structure a
// SECBUFFER_CHANNEL_BINDINGS buffer holds: what Middleware.ChannelBindings
// returns for a TLS server, and what Transport sends from the server's
// certificate. The hash is the certificate signature's, SHA-256 for MD5
// and SHA-1.
func EndpointBindings(cert *x509.Certificate) ([]byte, error) {
	var hf crypto.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1,
		x509.SHA256WithRSA, x509.ECDSAWithSHA256, x509.SHA256WithRSAPSS, x509.DSAWithSHA256, x509.PureEd25519:
		hf = crypto.SHA256
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		hf = crypto.SHA384
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		hf = crypto.SHA512
	default:
		return nil, errors.New("digest: no tls-server-end-point for a certificate signed with " + cert.SignatureAlgorithm.String())
	}
	h := hf.New()
	h.Write(cert.Raw)
	app := append([]byte("tls-server-end-point:"), h.Sum(nil)...)
	// Six zero address fields, then cbApplicationDataLength and
	// dwApplicationDataOffset (32), uint32 little-endian.
	b := make([]byte, 32, 32+len(app))
	binary.LittleEndian.PutUint32(b[24:], uint32(len(app)))
	binary.LittleEndian.PutUint32(b[28:], 32)
	return append(b, app...), nil
}
