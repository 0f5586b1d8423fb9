package engine

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

// acceptPeerChain parses the peer's chain (DER, leaf first), checks it and
// keeps it and its leaf's key for the CertificateVerify or ServerKeyExchange.
func (c *Context) acceptPeerChain(ders [][]byte) *sspi.Error {
	if len(ders) == 0 {
		// Callers check this first; the leaf is indexed below all the same.
		return fail(wire.AlertDecodeError, "the peer sent no certificate")
	}
	certs := make([]*x509.Certificate, 0, len(ders))
	for _, der := range ders {
		cert, err := parseCertificateCached(der)
		if err != nil {
			return failWith(sspi.SEC_E_CERT_UNKNOWN, wire.AlertBadCertificate, fmt.Errorf("tls: parsing the peer's certificate: %w", err))
		}
		certs = append(certs, cert)
	}
	c.info.PeerCertificates = certs
	if ku := certs[0].KeyUsage; ku != 0 && ku&x509.KeyUsageDigitalSignature == 0 {
		// RFC 5280 section 4.2.1.3: a key whose KeyUsage lacks
		// digitalSignature may not sign the handshake, which every key
		// exchange we do needs. BoringSSL and Windows refuse it too, even
		// when the chain is not verified.
		return fail(wire.AlertBadCertificate, "the peer's certificate may not be used for digital signatures (KeyUsage %#x)", ku)
	}
	if err := c.verifyPeerChain(certs); err != nil {
		return err
	}
	c.hs.peerPublic = certs[0].PublicKey
	return nil
}

// checkEntryExtensions refuses extensions in a TLS 1.3 CertificateEntry:
// only status_request and signed_certificate_timestamp may appear there,
// and only when asked for (RFC 8446 section 4.4.2), which we never do.
func checkEntryExtensions(entries []wire.CertificateEntry) *sspi.Error {
	for _, e := range entries {
		if len(e.Extensions) > 0 {
			typ := int(e.Extensions[0])<<8 | int(e.Extensions[1])
			return fail(wire.AlertUnsupportedExtension, "extension %d in a CertificateEntry, which was not asked for", typ)
		}
	}
	return nil
}

// entryData lists the certificates of a TLS 1.3 Certificate message.
func entryData(entries []wire.CertificateEntry) [][]byte {
	ders := make([][]byte, len(entries))
	for i, e := range entries {
		ders[i] = e.Data
	}
	return ders
}

// verifyPeerChain checks the peer's chain through crypto/x509 unless the
// configuration leaves that to the caller, then runs VerifyPeerCertificate.
func (c *Context) verifyPeerChain(certs []*x509.Certificate) *sspi.Error {
	chains, err := c.verifyChainX509(certs)
	if err != nil {
		return err
	}
	c.info.VerifiedChains = chains
	return c.runVerifyPeerCertificate(certs)
}

// verifiesChains reports whether this side checks the peer's chain through
// crypto/x509, rather than leaving it to the caller.
func (c *Context) verifiesChains() bool {
	if c.isServer {
		return c.clientAuth() >= tls.VerifyClientCertIfGiven
	}
	return !c.set.cfg.InsecureSkipVerify && !c.opts.ManualCredValidation
}

// verifyChainX509 checks the peer's chain through crypto/x509 when this side
// verifies chains; it returns the verified chains, or none when it does not.
func (c *Context) verifyChainX509(certs []*x509.Certificate) ([][]*x509.Certificate, *sspi.Error) {
	if !c.verifiesChains() {
		return nil, nil
	}
	cfg := c.set.cfg
	opts := x509.VerifyOptions{
		Intermediates: x509.NewCertPool(),
		CurrentTime:   c.set.now(),
	}
	for _, inter := range certs[1:] {
		opts.Intermediates.AddCert(inter)
	}
	if c.isServer {
		opts.Roots = cfg.ClientCAs
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		opts.Roots = cfg.RootCAs
		opts.DNSName = strings.TrimSuffix(c.info.ServerName, ".")
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	chains, err := certs[0].Verify(opts)
	if err != nil {
		return nil, certificateFailure(err)
	}
	return chains, nil
}

// runVerifyPeerCertificate calls tls.Config.VerifyPeerCertificate, if set.
func (c *Context) runVerifyPeerCertificate(certs []*x509.Certificate) *sspi.Error {
	cfg := c.set.cfg
	if cfg.VerifyPeerCertificate == nil {
		return nil
	}
	raw := make([][]byte, len(certs))
	for i, cert := range certs {
		raw[i] = cert.Raw
	}
	if err := cfg.VerifyPeerCertificate(raw, c.info.VerifiedChains); err != nil {
		return failWith(sspi.SEC_E_CERT_UNKNOWN, wire.AlertBadCertificate, fmt.Errorf("tls: VerifyPeerCertificate: %w", err))
	}
	return nil
}

// certificateFailure maps an x509 verification error to the status Windows
// reports for the same problem.
func certificateFailure(err error) *sspi.Error {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknownAuthority):
		return failWith(sspi.SEC_E_UNTRUSTED_ROOT, wire.AlertUnknownCA, err)
	case errors.As(err, &hostname):
		return failWith(sspi.SEC_E_WRONG_PRINCIPAL, wire.AlertBadCertificate, err)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return failWith(sspi.SEC_E_CERT_EXPIRED, wire.AlertCertificateExpired, err)
	}
	return failWith(sspi.SEC_E_CERT_UNKNOWN, wire.AlertBadCertificate, err)
}

// checkCertificateVerify verifies the peer's CertificateVerify under context
// and adds it to the transcript.
func (c *Context) checkCertificateVerify(msg []byte, context string) *sspi.Error {
	var cv wire.CertificateVerify
	if err := cv.Unmarshal(msg); err != nil {
		return asFailure(err)
	}
	tls12 := c.vers == wire.VersionTLS12
	var signed []byte
	if tls12 {
		signed = c.hs.messages
	} else {
		signed = signedContent(context, c.hs.transcript.Sum())
	}
	if err := c.checkPeerSignature(cv.Scheme, signed, cv.Signature); err != nil {
		return err
	}
	c.record(msg)
	return nil
}

// checkPeerSignature verifies a signature by the peer's certificate key with
// a scheme we offered.
func (c *Context) checkPeerSignature(scheme uint16, signed, sig []byte) *sspi.Error {
	tls12 := c.vers == wire.VersionTLS12
	offered := signatureSchemes13
	if tls12 {
		offered = signatureSchemes12
	}
	if !slices.Contains(offered, scheme) {
		return fail(wire.AlertIllegalParameter, "the peer signed with scheme %#04x, which was not offered", scheme)
	}
	if err := verifySignature(scheme, c.hs.peerPublic, signed, sig, tls12); err != nil {
		return fail(wire.AlertDecryptError, "%v", err)
	}
	c.info.SignatureScheme = scheme
	return nil
}

// sendCertificateAndVerify writes our TLS 1.3 Certificate and CertificateVerify.
func (c *Context) sendCertificateAndVerify(requestContext []byte, cert *tls.Certificate, scheme uint16, context string) *sspi.Error {
	msg := &wire.Certificate13{Context: requestContext}
	if cert != nil {
		for _, der := range cert.Certificate {
			msg.Entries = append(msg.Entries, wire.CertificateEntry{Data: der})
		}
	}
	if err := c.sendMessage(msg); err != nil || cert == nil {
		return err
	}
	sig, err := c.signWithCertificate(cert, scheme, signedContent(context, c.hs.transcript.Sum()))
	if err != nil {
		return err
	}
	return c.sendMessage(&wire.CertificateVerify{Scheme: scheme, Signature: sig})
}

// signWithCertificate signs with the certificate's private key.
func (c *Context) signWithCertificate(cert *tls.Certificate, scheme uint16, signed []byte) ([]byte, *sspi.Error) {
	signer, ok := cert.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "schannel: the certificate's private key (%T) cannot sign", cert.PrivateKey)
	}
	sig, err := sign(scheme, signer, signed, c.set.rand)
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: signing: %v", err)
	}
	return sig, nil
}

// leafPublicKey returns the public key of a tls.Certificate's leaf.
func leafPublicKey(cert *tls.Certificate) (crypto.PublicKey, error) {
	if cert.Leaf != nil {
		return cert.Leaf.PublicKey, nil
	}
	if len(cert.Certificate) == 0 {
		return nil, errors.New("schannel: tls.Certificate has no certificate")
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, err
	}
	return leaf.PublicKey, nil
}
