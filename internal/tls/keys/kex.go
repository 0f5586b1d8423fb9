package keys

import (
	"crypto/ecdh"
	"crypto/mlkem"
	"io"
)

// Named groups (RFC 8446 section 4.2.7, draft-ietf-tls-ecdhe-mlkem).
const (
	GroupP256           uint16 = 23
	GroupP384           uint16 = 24
	GroupP521           uint16 = 25
	GroupX25519         uint16 = 29
	GroupX25519MLKEM768 uint16 = 0x11EC
)

const x25519KeyLen = 32

// SupportedGroup reports whether g is a named group this package implements.
func SupportedGroup(g uint16) bool {
	switch g {
	case GroupX25519, GroupP256, GroupP384, GroupP521, GroupX25519MLKEM768:
		return true
	}
	return false
}

func nistCurve(g uint16) ecdh.Curve {
	switch g {
	case GroupP256:
		return ecdh.P256()
	case GroupP384:
		return ecdh.P384()
	case GroupP521:
		return ecdh.P521()
	}
	return nil
}

var (
	errUnsupportedGroup = &AlertError{AlertInternalError, "key exchange group not supported"}
	errBadKeyShare      = &AlertError{AlertIllegalParameter, "invalid key share"}
)

// PrivateShare is our ephemeral secret for one key exchange. It belongs to a
// single handshake; reusing it across handshakes would make their secrets
// related.
type PrivateShare struct {
	group  uint16
	ecdh   *ecdh.PrivateKey
	mlkem  *mlkem.DecapsulationKey768
	public []byte
}

// NewPrivateShare makes our key share for group.
//
// For X25519, alone or in the hybrid, it reads 32 bytes from rand and uses
// them as the private key, so a test can inject a known key such as RFC
// 8448's. P-256, P-384 and P-521 use ecdh GenerateKey(rand), which since Go 1.26
// ignores rand and always draws from the system source; ML-KEM-768 key
// generation takes no reader at all.
func NewPrivateShare(group uint16, rand io.Reader) (*PrivateShare, error) {
	switch group {
	case GroupX25519:
		priv, err := newX25519Key(rand)
		if err != nil {
			return nil, err
		}
		return &PrivateShare{group: group, ecdh: priv, public: priv.PublicKey().Bytes()}, nil
	case GroupP256, GroupP384, GroupP521:
		priv, err := nistCurve(group).GenerateKey(rand)
		if err != nil {
			return nil, err
		}
		return &PrivateShare{group: group, ecdh: priv, public: priv.PublicKey().Bytes()}, nil
	case GroupX25519MLKEM768:
		dk, err := mlkem.GenerateKey768()
		if err != nil {
			return nil, err
		}
		priv, err := newX25519Key(rand)
		if err != nil {
			return nil, err
		}
		// ML-KEM first for this group, unlike the NIST-curve hybrids
		// (draft-ietf-tls-ecdhe-mlkem, section 4.1).
		public := make([]byte, 0, mlkem.EncapsulationKeySize768+x25519KeyLen)
		public = append(public, dk.EncapsulationKey().Bytes()...)
		public = append(public, priv.PublicKey().Bytes()...)
		return &PrivateShare{group: group, ecdh: priv, mlkem: dk, public: public}, nil
	}
	return nil, errUnsupportedGroup
}

// X25519Fallback returns, for an X25519MLKEM768 share, an X25519 share made
// of the same X25519 key: a client that sends both (so that a server without
// ML-KEM needs no HelloRetryRequest) pays one X25519 key generation, not two.
// Only one of the two shares is ever used, the server choosing one group;
// crypto/tls and BoringSSL reuse the key the same way, and
// draft-ietf-tls-hybrid-design ("Reuse of key shares") allows it. For other
// groups it returns nil.
func (p *PrivateShare) X25519Fallback() *PrivateShare {
	if p.group != GroupX25519MLKEM768 {
		return nil
	}
	return &PrivateShare{group: GroupX25519, ecdh: p.ecdh, public: p.ecdh.PublicKey().Bytes()}
}

func newX25519Key(rand io.Reader) (*ecdh.PrivateKey, error) {
	var scalar [x25519KeyLen]byte
	if _, err := io.ReadFull(rand, scalar[:]); err != nil {
		return nil, err
	}
	priv, err := ecdh.X25519().NewPrivateKey(scalar[:])
	clear(scalar[:])
	return priv, err
}

// Group returns the named group of the share.
func (p *PrivateShare) Group() uint16 { return p.group }

// Public returns the key_exchange bytes to send: the X25519 key, the
// uncompressed NIST point, or for X25519MLKEM768 the ML-KEM-768 encapsulation
// key (1184 bytes) followed by the X25519 key (32 bytes).
func (p *PrivateShare) Public() []byte { return p.public }

// SharedSecret completes the exchange with the peer's key_exchange bytes. For
// X25519MLKEM768 the peer sends the ML-KEM ciphertext (1088 bytes) followed by
// its X25519 key, and the secret is the ML-KEM shared key followed by the
// X25519 shared secret. A malformed share is an illegal_parameter AlertError.
func (p *PrivateShare) SharedSecret(peerShare []byte) ([]byte, error) {
	if p.group != GroupX25519MLKEM768 {
		return ecdhSecret(p.ecdh, peerShare)
	}
	if len(peerShare) != mlkem.CiphertextSize768+x25519KeyLen {
		return nil, errBadKeyShare
	}
	kemSecret, err := p.mlkem.Decapsulate(peerShare[:mlkem.CiphertextSize768])
	if err != nil {
		return nil, errBadKeyShare
	}
	dhSecret, err := ecdhSecret(p.ecdh, peerShare[mlkem.CiphertextSize768:])
	if err != nil {
		return nil, err
	}
	return append(kemSecret, dhSecret...), nil
}

// ecdhSecret rejects what crypto/ecdh rejects: wrong lengths, points off the
// curve or at infinity, and X25519 inputs that yield the all-zero secret.
func ecdhSecret(priv *ecdh.PrivateKey, peer []byte) ([]byte, error) {
	pub, err := priv.Curve().NewPublicKey(peer)
	if err != nil {
		return nil, errBadKeyShare
	}
	secret, err := priv.ECDH(pub)
	if err != nil {
		return nil, errBadKeyShare
	}
	return secret, nil
}

// RespondToShare is the server side of the exchange: given the client's
// key_exchange bytes for group, it returns our key_exchange bytes and the
// shared secret. For X25519MLKEM768 it encapsulates to the client's ML-KEM key
// rather than generating one of its own.
func RespondToShare(group uint16, clientShare []byte, rand io.Reader) (serverShare, secret []byte, err error) {
	switch group {
	case GroupX25519, GroupP256, GroupP384, GroupP521:
		return respondECDH(group, clientShare, rand)
	case GroupX25519MLKEM768:
		return respondX25519MLKEM768(clientShare, rand)
	}
	return nil, nil, errUnsupportedGroup
}

func respondECDH(group uint16, clientShare []byte, rand io.Reader) (serverShare, secret []byte, err error) {
	ours, err := NewPrivateShare(group, rand)
	if err != nil {
		return nil, nil, err
	}
	secret, err = ours.SharedSecret(clientShare)
	if err != nil {
		return nil, nil, err
	}
	return ours.Public(), secret, nil
}

func respondX25519MLKEM768(clientShare []byte, rand io.Reader) (serverShare, secret []byte, err error) {
	if len(clientShare) != mlkem.EncapsulationKeySize768+x25519KeyLen {
		return nil, nil, errBadKeyShare
	}
	ek, err := mlkem.NewEncapsulationKey768(clientShare[:mlkem.EncapsulationKeySize768])
	if err != nil {
		return nil, nil, errBadKeyShare
	}
	priv, err := newX25519Key(rand)
	if err != nil {
		return nil, nil, err
	}
	dhSecret, err := ecdhSecret(priv, clientShare[mlkem.EncapsulationKeySize768:])
	if err != nil {
		return nil, nil, err
	}
	kemSecret, ciphertext := ek.Encapsulate()
	serverShare = make([]byte, 0, mlkem.CiphertextSize768+x25519KeyLen)
	serverShare = append(serverShare, ciphertext...)
	serverShare = append(serverShare, priv.PublicKey().Bytes()...)
	return serverShare, append(kemSecret, dhSecret...), nil
}
