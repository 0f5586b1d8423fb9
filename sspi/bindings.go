package sspi

import (
	"crypto"
	"crypto/x509"
	"encoding/binary"
	"errors"
)

// ChannelBindingsHeaderLen is sizeof(SEC_CHANNEL_BINDINGS): eight 32-bit
// fields, after which Schannel puts the application data.
const ChannelBindingsHeaderLen = 32

// NewChannelBindings lays out a SEC_CHANNEL_BINDINGS structure as Schannel
// fills it for SECPKG_ATTR_ENDPOINT_BINDINGS and SECPKG_ATTR_UNIQUE_BINDINGS:
// no addresses, and applicationData (for TLS, "tls-server-end-point:" and
// the hash, RFC 5056 style) right after the 32-byte header, all in the
// little-endian of Windows:
//
//	ULONG dwInitiatorAddrType, cbInitiatorLength, dwInitiatorOffset;
//	ULONG dwAcceptorAddrType, cbAcceptorLength, dwAcceptorOffset;
//	ULONG cbApplicationDataLength, dwApplicationDataOffset;
//
// The result is what a SECBUFFER_CHANNEL_BINDINGS buffer carries into the
// Kerberos, Negotiate and Digest packages.
func NewChannelBindings(applicationData []byte) []byte {
	b := make([]byte, ChannelBindingsHeaderLen, ChannelBindingsHeaderLen+len(applicationData))
	binary.LittleEndian.PutUint32(b[24:], uint32(len(applicationData)))
	binary.LittleEndian.PutUint32(b[28:], ChannelBindingsHeaderLen)
	return append(b, applicationData...)
}

// ChannelBindingsApplicationData returns the application data of a
// SEC_CHANNEL_BINDINGS structure, checking that its offsets stay inside b.
func ChannelBindingsApplicationData(b []byte) ([]byte, error) {
	if len(b) < ChannelBindingsHeaderLen {
		return nil, errors.New("sspi: SEC_CHANNEL_BINDINGS shorter than its 32-byte header")
	}
	length := uint64(binary.LittleEndian.Uint32(b[24:]))
	offset := uint64(binary.LittleEndian.Uint32(b[28:]))
	if offset+length > uint64(len(b)) {
		return nil, errors.New("sspi: SEC_CHANNEL_BINDINGS application data runs past the structure")
	}
	return b[offset : offset+length], nil
}

// EndpointHash is the hash RFC 5929 section 4.1 prescribes for
// tls-server-end-point: that of the certificate's signature algorithm, with
// SHA-256 in place of MD5 and SHA-1. Algorithms without a single hash
// (Ed25519) have no tls-server-end-point, and ok is false.
func EndpointHash(alg x509.SignatureAlgorithm) (h crypto.Hash, ok bool) {
	switch alg {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1,
		x509.SHA256WithRSA, x509.ECDSAWithSHA256, x509.SHA256WithRSAPSS, x509.DSAWithSHA256:
		return crypto.SHA256, true
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		return crypto.SHA384, true
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		return crypto.SHA512, true
	}
	return 0, false
}

// EndpointBindings is tls-server-end-point (RFC 5929 section 4.1) for a TLS
// server's certificate, as the SEC_CHANNEL_BINDINGS structure Schannel's
// QueryContextAttributes(SECPKG_ATTR_ENDPOINT_BINDINGS) returns: what an
// HTTP client over any TLS stack passes to Negotiate, Kerberos or Digest
// in a SECBUFFER_CHANNEL_BINDINGS buffer, and what a server gives its
// acceptor to check the bindings of the clients that connected to it. A
// certificate whose signature has no single hash fails with
// SEC_E_UNSUPPORTED_FUNCTION.
func EndpointBindings(cert *x509.Certificate) ([]byte, error) {
	h, ok := EndpointHash(cert.SignatureAlgorithm)
	if !ok {
		return nil, Errorf(SEC_E_UNSUPPORTED_FUNCTION, "sspi: RFC 5929 defines no tls-server-end-point for a certificate signed with %v", cert.SignatureAlgorithm)
	}
	sum := h.New()
	sum.Write(cert.Raw)
	return NewChannelBindings(append([]byte("tls-server-end-point:"), sum.Sum(nil)...)), nil
}
