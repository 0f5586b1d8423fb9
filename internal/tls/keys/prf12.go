package keys

import (
	"crypto"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
)

// Lengths fixed by RFC 5246.
const (
	masterSecretLen12 = 48
	verifyDataLen12   = 12
)

// PRF12 is the TLS 1.2 PRF, P_hash(secret, label + seed), truncated to n bytes
// (RFC 5246, section 5). h is the suite's PRF hash.
func PRF12(h crypto.Hash, secret []byte, label string, seed []byte, n int) []byte {
	labelSeed := make([]byte, 0, len(label)+len(seed))
	labelSeed = append(labelSeed, label...)
	labelSeed = append(labelSeed, seed...)

	mac := hmac.New(h.New, secret)
	out := make([]byte, 0, n+h.Size())
	a := labelSeed // A(0)
	for len(out) < n {
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(nil) // A(i) = HMAC(secret, A(i-1))
		mac.Reset()
		mac.Write(a)
		mac.Write(labelSeed)
		out = mac.Sum(out)
	}
	// The tail past n is key material the caller never sees; do not leave it
	// in the backing array.
	clear(out[n:])
	return out[:n:n]
}

// MasterSecret12 derives the TLS 1.2 master secret the original way, from the
// hello randoms (RFC 5246, section 8.1). Prefer ExtendedMasterSecret whenever
// the peer offers it.
func MasterSecret12(h crypto.Hash, preMaster, clientRandom, serverRandom []byte) []byte {
	seed := make([]byte, 0, len(clientRandom)+len(serverRandom))
	seed = append(seed, clientRandom...)
	seed = append(seed, serverRandom...)
	return PRF12(h, preMaster, "master secret", seed, masterSecretLen12)
}

// ExtendedMasterSecret derives the master secret from the session hash (the
// transcript through ClientKeyExchange), which binds it to the whole
// handshake and defeats the triple handshake attack (RFC 7627, section 4).
func ExtendedMasterSecret(h crypto.Hash, preMaster, sessionHash []byte) []byte {
	return PRF12(h, preMaster, "extended master secret", sessionHash, masterSecretLen12)
}

// KeyBlock12 expands the master secret into the per-direction AEAD keys and
// fixed IVs of suite s (RFC 5246, section 6.3). AEAD suites have no MAC keys;
// the IVs are 4 bytes for GCM (RFC 5288) and 12 for ChaCha20-Poly1305
// (RFC 7905).
func KeyBlock12(s *Suite, master, clientRandom, serverRandom []byte) (clientKey, serverKey, clientIV, serverIV []byte) {
	seed := make([]byte, 0, len(serverRandom)+len(clientRandom))
	seed = append(seed, serverRandom...)
	seed = append(seed, clientRandom...)
	ivLen := s.fixedIVLen12()
	block := PRF12(s.Hash, master, "key expansion", seed, 2*s.KeyLen+2*ivLen)
	clientKey, block = block[:s.KeyLen:s.KeyLen], block[s.KeyLen:]
	serverKey, block = block[:s.KeyLen:s.KeyLen], block[s.KeyLen:]
	clientIV, block = block[:ivLen:ivLen], block[ivLen:]
	serverIV = block[:ivLen:ivLen]
	return clientKey, serverKey, clientIV, serverIV
}

// VerifyData12 returns the 12-byte Finished verify_data for label ("client
// finished" or "server finished") over handshakeHash (RFC 5246, section 7.4.9).
func VerifyData12(h crypto.Hash, master []byte, label string, handshakeHash []byte) []byte {
	return PRF12(h, master, label, handshakeHash, verifyDataLen12)
}

// reservedExporterLabels are PRF labels of the protocol itself; exporting
// under them would hand the application the connection's own keys
// (RFC 5705, section 4).
var reservedExporterLabels = map[string]bool{
	"client finished":        true,
	"server finished":        true,
	"master secret":          true,
	"key expansion":          true,
	"extended master secret": true,
}

// ExportKeyingMaterial12 is the TLS 1.2 keying material exporter (RFC 5705).
// A nil context means "no context", which is distinct from an empty one.
func ExportKeyingMaterial12(h crypto.Hash, master, clientRandom, serverRandom []byte, label string, context []byte, length int) ([]byte, error) {
	if reservedExporterLabels[label] {
		return nil, fmt.Errorf("keys: exporter label %q is reserved", label)
	}
	if len(context) > 0xffff {
		return nil, errors.New("keys: exporter context too long")
	}
	if length < 0 {
		return nil, errors.New("keys: negative exporter length")
	}
	seed := make([]byte, 0, len(clientRandom)+len(serverRandom)+2+len(context))
	seed = append(seed, clientRandom...)
	seed = append(seed, serverRandom...)
	if context != nil {
		seed = binary.BigEndian.AppendUint16(seed, uint16(len(context)))
		seed = append(seed, context...)
	}
	return PRF12(h, master, label, seed, length), nil
}
