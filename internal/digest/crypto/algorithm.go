package crypto

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"strings"
)

// Algorithm is an RFC 7616 section 3.3 algorithm.
type Algorithm struct {
	name    string
	newHash func() hash.Hash
	sess    bool
	// strength orders algorithms when a server offers several: the hash
	// first, and for one hash the plain form before -sess, which adds no
	// security and only some peers implement.
	strength int
}

var algorithms = [...]Algorithm{
	{"MD5", md5.New, false, 2},
	{"MD5-sess", md5.New, true, 1},
	{"SHA-256", sha256.New, false, 4},
	{"SHA-256-sess", sha256.New, true, 3},
	{"SHA-512-256", sha512.New512_256, false, 6},
	{"SHA-512-256-sess", sha512.New512_256, true, 5},
}

// The algorithms, for configurations and tests.
var (
	MD5            = &algorithms[0]
	MD5Sess        = &algorithms[1]
	SHA256         = &algorithms[2]
	SHA256Sess     = &algorithms[3]
	SHA512_256     = &algorithms[4]
	SHA512_256Sess = &algorithms[5]
)

// Algorithms returns every algorithm, strongest first.
func Algorithms() []*Algorithm {
	return []*Algorithm{SHA512_256, SHA512_256Sess, SHA256, SHA256Sess, MD5, MD5Sess}
}

// LookupAlgorithm finds an algorithm by its name, case-insensitively; an
// empty name is MD5 (RFC 7616 section 3.3).
func LookupAlgorithm(name string) (*Algorithm, bool) {
	if name == "" {
		return MD5, true
	}
	for i := range algorithms {
		if strings.EqualFold(algorithms[i].name, name) {
			return &algorithms[i], true
		}
	}
	return nil, false
}

// Name is the algorithm's name as RFC 7616 spells it.
func (a *Algorithm) Name() string { return a.name }

// Sess reports a -sess variant.
func (a *Algorithm) Sess() bool { return a.sess }

// Strength orders algorithms: higher is preferred.
func (a *Algorithm) Strength() int { return a.strength }

// Base returns the non-sess algorithm of the same hash: the one whose H(A1)
// a server stores.
func (a *Algorithm) Base() *Algorithm {
	if !a.sess {
		return a
	}
	b, _ := LookupAlgorithm(strings.TrimSuffix(a.name, "-sess"))
	return b
}

// HexLen is the length of H's output in hex.
func (a *Algorithm) HexLen() int { return 2 * a.newHash().Size() }

// H is H(data) of RFC 7616 section 3.4.1, in lower-case hex.
func (a *Algorithm) H(parts ...string) string {
	h := a.newHash()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{':'})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// KD is KD(secret, data) = H(concat(secret, ":", data)).
func (a *Algorithm) KD(secret, data string) string { return a.H(secret, data) }

// HA1 is H(A1) for the non-sess form: H(username ":" realm ":" password)
// (RFC 7616 section 3.4.2). It is what a server may store instead of the
// password.
func (a *Algorithm) HA1(username, realm, password string) string {
	return a.H(username, realm, password)
}

// SessionHA1 turns the stored H(user:realm:password) into the H(A1) of
// the exchange: itself, or for -sess H(H(...) ":" nonce ":" cnonce)
// (RFC 7616 section 3.4.2).
func (a *Algorithm) SessionHA1(storedHA1, nonce, cnonce string) string {
	if !a.sess {
		return storedHA1
	}
	return a.H(storedHA1, nonce, cnonce)
}

// Userhash is H(username ":" realm) (RFC 7616 section 3.4.4).
func (a *Algorithm) Userhash(username, realm string) string { return a.H(username, realm) }

// NewHash returns the algorithm's hash function, for an H(entity-body)
// computed as the body streams by; hex of its sum is EntityHash's result.
func (a *Algorithm) NewHash() hash.Hash { return a.newHash() }

// EntityHash is H(entity-body) for qop=auth-int.
func (a *Algorithm) EntityHash(body []byte) string {
	h := a.newHash()
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Exchange is what one response or rspauth depends on.
type Exchange struct {
	Alg *Algorithm
	// HA1 is the H(A1) of the exchange (after SessionHA1).
	HA1    string
	Nonce  string
	NC     string // 8 hex digits; empty without qop
	Cnonce string
	Qop    string // "", "auth" or "auth-int"
	Method string
	URI    string
	// EntityHash is H(entity-body), used with auth-int only.
	EntityHash string
}

// ha2 is H(A2) of RFC 7616 section 3.4.3: A2 = method ":" uri, with
// ":" H(entity-body) appended for auth-int.
func (e *Exchange) ha2(method string) string {
	if e.Qop == "auth-int" {
		return e.Alg.H(method, e.URI, e.EntityHash)
	}
	return e.Alg.H(method, e.URI)
}

func (e *Exchange) digest(method string) string {
	if e.Qop == "" {
		// RFC 2617 section 3.2.2.1, the RFC 2069 compatible form.
		return e.Alg.KD(e.HA1, e.Nonce+":"+e.ha2(method))
	}
	return e.Alg.KD(e.HA1, e.Nonce+":"+e.NC+":"+e.Cnonce+":"+e.Qop+":"+e.ha2(method))
}

// Response is request-digest, the response directive (RFC 7616 section
// 3.4.1).
func (e *Exchange) Response() string { return e.digest(e.Method) }

// RspAuth is the rspauth of Authentication-Info: the same digest with an
// empty method in A2 (RFC 7616 section 3.5).
func (e *Exchange) RspAuth() string { return e.digest("") }

// Equal compares two hex digests in constant time, case-insensitively.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(a)), []byte(strings.ToLower(b))) == 1
}
