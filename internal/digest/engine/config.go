package engine

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"

	"github.com/gosspi/schannel/internal/digest/crypto"
)

// Mode selects the protocol: HTTP Digest (ISC_REQ_HTTP / ASC_REQ_HTTP) or
// SASL DIGEST-MD5 (the default on Windows, without those flags).
type Mode int

const (
	// HTTP is RFC 7616 HTTP Digest.
	HTTP Mode = iota
	// SASL is RFC 2831 DIGEST-MD5.
	SASL
)

// The qop values.
const (
	QopAuth     = "auth"
	QopAuthInt  = "auth-int"
	QopAuthConf = "auth-conf"
)

// Secret is what proves a user: the password, or per algorithm the stored
// H(username ":" realm ":" password) in hex, keyed by the non-sess
// algorithm name ("MD5", "SHA-256", "SHA-512-256"). The MD5 entry also
// serves SASL DIGEST-MD5, whose secret is the same hash.
type Secret struct {
	Password string
	HA1      map[string]string
}

// ha1 returns the stored H(A1) of user in realm for alg (non-sess form).
func (s *Secret) ha1(alg *crypto.Algorithm, user, realm string) (string, bool) {
	if s.Password != "" {
		return alg.HA1(user, realm, s.Password), true
	}
	h, ok := s.HA1[alg.Base().Name()]
	if !ok || len(h) != alg.HexLen() {
		return "", false
	}
	return strings.ToLower(h), true
}

// saslSecret returns H({user ":" realm ":" password}) for DIGEST-MD5, the
// strings converted to ISO 8859-1 when the exchange is in UTF-8 and they
// fit (RFC 2831 section 2.1.2.1).
func (s *Secret) saslSecret(user, realm string, utf8 bool) ([16]byte, bool) {
	if s.Password != "" {
		return crypto.SASLSecret(crypto.Latin1(user, utf8), crypto.Latin1(realm, utf8), crypto.Latin1(s.Password, utf8)), true
	}
	var out [16]byte
	b, err := hex.DecodeString(s.HA1[crypto.MD5.Name()])
	if err != nil || len(b) != 16 {
		return out, false
	}
	copy(out[:], b)
	return out, true
}

func (s *Secret) usable() bool { return s.Password != "" || len(s.HA1) > 0 }

// randomHex returns n random bytes in hex, for a cnonce.
func randomHex(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func randOr(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

func contains(list []string, v string) bool {
	for _, e := range list {
		if strings.EqualFold(e, v) {
			return true
		}
	}
	return false
}
