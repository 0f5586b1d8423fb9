package engine

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"io"
	"slices"

	"github.com/gosspi/schannel/internal/tls/wire"
)

// Contexts of the TLS 1.3 CertificateVerify signature (RFC 8446 4.4.3).
const (
	serverSignatureContext = "TLS 1.3, server CertificateVerify"
	clientSignatureContext = "TLS 1.3, client CertificateVerify"
)

// signedContent is what a TLS 1.3 CertificateVerify signs: 64 spaces, the
// context string, a zero byte and the transcript hash.
func signedContent(context string, transcriptHash []byte) []byte {
	out := make([]byte, 0, 64+len(context)+1+len(transcriptHash))
	for range 64 {
		out = append(out, ' ')
	}
	out = append(out, context...)
	out = append(out, 0)
	return append(out, transcriptHash...)
}

// schemeHash is the hash a scheme signs with (0 for Ed25519, which hashes
// internally).
func schemeHash(scheme uint16) crypto.Hash {
	switch scheme {
	case wire.ECDSAWithP256AndSHA256, wire.PSSWithSHA256, wire.PKCS1WithSHA256:
		return crypto.SHA256
	case wire.ECDSAWithP384AndSHA384, wire.PSSWithSHA384, wire.PKCS1WithSHA384:
		return crypto.SHA384
	case wire.ECDSAWithP521AndSHA512, wire.PSSWithSHA512, wire.PKCS1WithSHA512:
		return crypto.SHA512
	}
	return 0
}

// signatureSchemes12 are the schemes we accept and offer for TLS 1.2
// signatures: PKCS#1 v1.5 is still legal there; SHA-1 is not accepted.
var signatureSchemes12 = []uint16{
	wire.ECDSAWithP256AndSHA256, wire.Ed25519, wire.ECDSAWithP384AndSHA384, wire.ECDSAWithP521AndSHA512,
	wire.PSSWithSHA256, wire.PSSWithSHA384, wire.PSSWithSHA512,
	wire.PKCS1WithSHA256, wire.PKCS1WithSHA384, wire.PKCS1WithSHA512,
}

// schemeFitsKey reports whether a signature with scheme can be made with, or
// checked against, pub. In TLS 1.3 an ECDSA scheme names the curve as well
// as the hash and PKCS#1 v1.5 is not allowed; TLS 1.2 is looser on both.
func schemeFitsKey(scheme uint16, pub crypto.PublicKey, tls12 bool) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch scheme {
		case wire.ECDSAWithP256AndSHA256:
			return tls12 || k.Curve == elliptic.P256()
		case wire.ECDSAWithP384AndSHA384:
			return tls12 || k.Curve == elliptic.P384()
		case wire.ECDSAWithP521AndSHA512:
			return tls12 || k.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return scheme == wire.Ed25519
	case *rsa.PublicKey:
		switch scheme {
		case wire.PSSWithSHA256, wire.PSSWithSHA384, wire.PSSWithSHA512:
			// PSS with a salt as long as the hash needs room for two hashes and two bytes.
			return k.Size() >= 2*schemeHash(scheme).Size()+2
		case wire.PKCS1WithSHA256, wire.PKCS1WithSHA384, wire.PKCS1WithSHA512:
			return tls12
		}
	}
	return false
}

// pickScheme chooses, in the peer's order of preference, a signature scheme
// we support and our key can make, as crypto/tls does: the peer lists what
// it prefers (RFC 8446 4.2.3: "in descending order of preference") and every
// scheme we support is one we are content with.
func pickScheme(peerSchemes []uint16, pub crypto.PublicKey, tls12 bool) (uint16, bool) {
	ours := signatureSchemes13
	if tls12 {
		ours = signatureSchemes12
	}
	for _, s := range peerSchemes {
		if slices.Contains(ours, s) && schemeFitsKey(s, pub, tls12) {
			return s, true
		}
	}
	return 0, false
}

func isPSS(scheme uint16) bool {
	return scheme == wire.PSSWithSHA256 || scheme == wire.PSSWithSHA384 || scheme == wire.PSSWithSHA512
}

var errSignatureMismatch = errors.New("tls: the CertificateVerify signature does not verify")

// verifySignature checks a CertificateVerify (or TLS 1.2 ServerKeyExchange)
// signature.
func verifySignature(scheme uint16, pub crypto.PublicKey, signed, sig []byte, tls12 bool) error {
	if !schemeFitsKey(scheme, pub, tls12) {
		return errors.New("tls: the peer signed with a scheme that does not fit its certificate's key")
	}
	h := schemeHash(scheme)
	var digest []byte
	if h != 0 {
		hasher := h.New()
		hasher.Write(signed)
		digest = hasher.Sum(nil)
	}
	ok := false
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(k, digest, sig)
	case ed25519.PublicKey:
		ok = ed25519.Verify(k, signed, sig)
	case *rsa.PublicKey:
		if isPSS(scheme) {
			ok = rsa.VerifyPSS(k, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}) == nil
		} else {
			ok = rsa.VerifyPKCS1v15(k, h, digest, sig) == nil
		}
	}
	if !ok {
		return errSignatureMismatch
	}
	return nil
}

// sign makes a signature with our private key.
func sign(scheme uint16, key crypto.Signer, signed []byte, rand io.Reader) ([]byte, error) {
	h := schemeHash(scheme)
	if h == 0 {
		return key.Sign(rand, signed, crypto.Hash(0))
	}
	hasher := h.New()
	hasher.Write(signed)
	digest := hasher.Sum(nil)
	var opts crypto.SignerOpts = h
	if isPSS(scheme) {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	return key.Sign(rand, digest, opts)
}
