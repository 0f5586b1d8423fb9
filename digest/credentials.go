package digest

import (
	"crypto/rand"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/internal/digest/engine"
	"github.com/gosspi/schannel/sspi"
)

// Identity is the auth data of outbound (client) credentials, the
// counterpart of the SEC_WINNT_AUTH_IDENTITY a Windows client passes to
// AcquireCredentialsHandle for WDigest. sspi.AcquireCredentialsHandle also
// takes an *sspi.AuthIdentity (User, Domain as the realm, Password).
type Identity struct {
	// User is the user name; names outside ASCII go as username* (RFC
	// 8187) in HTTP and as UTF-8 in SASL.
	User string
	// Realm, when set, is the only realm these credentials answer; a
	// challenge for another realm fails with SEC_E_NO_CREDENTIALS.
	Realm string
	// Password, or HA1: per algorithm ("MD5", "SHA-256", "SHA-512-256")
	// the stored H(user ":" realm ":" password) in hex. The MD5 entry
	// also serves SASL DIGEST-MD5.
	Password string
	HA1      map[string]string
	// Authzid is the SASL authorization identity; empty to act as User.
	Authzid string
	// Algorithms limits the HTTP algorithms answered (RFC 7616 names,
	// "-sess" forms included); nil allows all, and the strongest offered
	// is chosen.
	Algorithms []string
	// Ciphers limits the SASL auth-conf ciphers ("rc4", "rc4-56",
	// "rc4-40", "des", "3des"); nil allows all, and the strongest offered
	// is chosen.
	Ciphers []string
	// MaxRounds caps the challenges answered in a row without success,
	// so that a server that never stops challenging ends in
	// SEC_E_LOGON_DENIED; 0 means 3.
	MaxRounds int
}

// Secret proves one user to a server: the password, or per algorithm the
// stored H(A1) in hex, keyed "MD5", "SHA-256", "SHA-512-256".
type Secret struct {
	Password string
	HA1      map[string]string
}

// ServerConfig is the auth data of inbound (server) credentials.
type ServerConfig struct {
	// Realm is the protection space announced in every challenge.
	Realm string
	// Users maps user names to passwords: the simple way to say who may
	// log in. Lookup, when set, is asked first.
	Users map[string]string
	// Lookup returns a user's secret; ok false for an unknown user.
	Lookup func(user string) (Secret, bool)
	// Userhash offers RFC 7616 userhash (section 3.4.4). Users are then
	// found from their hash through LookupUserhash, or through Users.
	Userhash bool
	// LookupUserhash maps a userhash computed with algorithm (its RFC 7616
	// name) back to the user name.
	LookupUserhash func(algorithm, userhash string) (string, bool)
	// Algorithms are offered one challenge each, preferred first (RFC 7616
	// section 3.7); nil means SHA-256 then MD5. SASL always uses
	// md5-sess.
	Algorithms []string
	// Qop lists the qop values offered ("auth", "auth-int", and in SASL
	// "auth-conf"). Nil lets the AcceptSecurityContext flags decide, as
	// on Windows: auth, auth-int with ASC_REQ_INTEGRITY, REPLAY_DETECT or
	// SEQUENCE_DETECT, auth-conf with ASC_REQ_CONFIDENTIALITY (SASL).
	Qop []string
	// Ciphers are offered with auth-conf; nil means all.
	Ciphers []string
	// NonceLifetime is how long a nonce stays fresh; an older one with a
	// correct response gets stale=true. 0 means 5 minutes.
	NonceLifetime time.Duration
	// MaxNonces caps the nonces whose nc history is kept (the replay
	// window); 0 means 4096.
	MaxNonces int
	// Key authenticates the stateless nonces; nil means a random key,
	// so nonces die with the credentials. Servers behind one name share
	// a key.
	Key []byte
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// credState is what a Digest credential handle holds.
type credState struct {
	client *engine.ClientConfig

	server  *ServerConfig
	key     []byte
	mu      sync.Mutex
	servers map[serverKey]*engine.Server
}

// serverKey picks the engine server of one mode and qop set: contexts with
// the same flags share nonces and the replay table.
type serverKey struct {
	mode engine.Mode
	qop  string
}

// AcquireCredentialsHandle maps AcquireCredentialsHandle for WDigest: use
// SECPKG_CRED_OUTBOUND with an *Identity for a client, SECPKG_CRED_INBOUND
// with a *ServerConfig for a server. It is
// sspi.AcquireCredentialsHandle("", "WDigest", use, authData).
func AcquireCredentialsHandle(use sspi.CredentialUse, authData any) (*sspi.Credentials, error) {
	return sspi.NewCredentials(digestPackage{}, packageInfo, "", use, authData)
}

// AcquireCredentials checks the auth data: an *Identity or *sspi.AuthIdentity
// outbound, a *ServerConfig inbound.
func (digestPackage) AcquireCredentials(_ string, use sspi.CredentialUse, authData any) (any, error) {
	switch use {
	case sspi.SECPKG_CRED_OUTBOUND:
		var id Identity
		switch a := authData.(type) {
		case *Identity:
			if a == nil {
				return nil, noCreds("outbound credentials need an *Identity")
			}
			id = *a
		case *sspi.AuthIdentity:
			if a == nil {
				// Windows would use the logged-on user's
				// password, which this package cannot reach.
				return nil, noCreds("no single sign-on: pass the user and password")
			}
			id = Identity{User: a.User, Realm: a.Domain, Password: a.Password}
		case nil:
			return nil, noCreds("no single sign-on: pass an *Identity")
		default:
			return nil, sspi.Errorf(sspi.SEC_E_UNKNOWN_CREDENTIALS, "digest: outbound auth data is a %T, not an *Identity", authData)
		}
		cfg, err := clientConfig(&id)
		if err != nil {
			return nil, err
		}
		return &credState{client: cfg}, nil
	case sspi.SECPKG_CRED_INBOUND:
		cfg, ok := authData.(*ServerConfig)
		if !ok || cfg == nil {
			return nil, sspi.Errorf(sspi.SEC_E_UNKNOWN_CREDENTIALS, "digest: inbound auth data is a %T, not a *ServerConfig", authData)
		}
		return newServerCred(cfg)
	}
	return nil, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "digest: a credential is either SECPKG_CRED_INBOUND or SECPKG_CRED_OUTBOUND")
}

func noCreds(format string, args ...any) error {
	return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "digest: "+format, args...)
}

func clientConfig(id *Identity) (*engine.ClientConfig, error) {
	if id.User == "" {
		return nil, noCreds("the identity has no user name")
	}
	if id.Password == "" && len(id.HA1) == 0 {
		return nil, noCreds("the identity has neither a password nor H(A1)")
	}
	for name, h := range id.HA1 {
		alg, ok := crypto.LookupAlgorithm(name)
		if !ok || name == "" || alg.Sess() {
			return nil, noCreds("H(A1) for %q: not a known algorithm without -sess", name)
		}
		if len(h) != alg.HexLen() {
			return nil, noCreds("H(A1) for %s has %d hex digits, not %d", name, len(h), alg.HexLen())
		}
	}
	algs, err := lookupAlgorithms(id.Algorithms)
	if err != nil {
		return nil, err
	}
	ciphers, err := lookupCiphers(id.Ciphers)
	if err != nil {
		return nil, err
	}
	return &engine.ClientConfig{
		Username: id.User, Realm: id.Realm, Authzid: id.Authzid,
		Secret:     engine.Secret{Password: id.Password, HA1: copyMap(id.HA1)},
		Algorithms: algs, Ciphers: ciphers, MaxRounds: id.MaxRounds,
	}, nil
}

func newServerCred(cfg *ServerConfig) (*credState, error) {
	c := *cfg
	if c.Realm == "" {
		return nil, noCreds("the server configuration has no realm")
	}
	if c.Lookup == nil && c.Users == nil {
		return nil, noCreds("the server configuration has neither Users nor Lookup")
	}
	if c.Userhash && c.LookupUserhash == nil && c.Users == nil {
		return nil, noCreds("userhash needs LookupUserhash or Users")
	}
	if _, err := lookupAlgorithms(c.Algorithms); err != nil {
		return nil, err
	}
	if _, err := lookupCiphers(c.Ciphers); err != nil {
		return nil, err
	}
	for _, q := range c.Qop {
		if q != engine.QopAuth && q != engine.QopAuthInt && q != engine.QopAuthConf {
			return nil, sspi.Errorf(sspi.SEC_E_QOP_NOT_SUPPORTED, "digest: unknown qop %q", q)
		}
	}
	key := c.Key
	if key == nil {
		key = make([]byte, 32)
		if _, err := io.ReadFull(rand.Reader, key); err != nil {
			return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "digest: nonce key: %v", err)
		}
	}
	return &credState{server: &c, key: key, servers: map[serverKey]*engine.Server{}}, nil
}

// engineServer returns the engine server for a mode and the qop values
// the flags ask for, made on first use.
func (s *credState) engineServer(mode engine.Mode, qop []string) (*engine.Server, error) {
	k := serverKey{mode: mode, qop: fmt.Sprint(qop)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if srv, ok := s.servers[k]; ok {
		return srv, nil
	}
	cfg := s.server
	algs, _ := lookupAlgorithms(cfg.Algorithms) // checked at acquire time
	ciphers, _ := lookupCiphers(cfg.Ciphers)
	ecfg := engine.ServerConfig{
		Mode: mode, Realm: cfg.Realm, Userhash: cfg.Userhash, Algorithms: algs,
		Qop: qop, Ciphers: ciphers, NonceLifetime: cfg.NonceLifetime,
		MaxNonces: cfg.MaxNonces, Key: s.key, Now: cfg.Now,
		Lookup: func(user string) (engine.Secret, bool) {
			if cfg.Lookup != nil {
				if sec, ok := cfg.Lookup(user); ok {
					return engine.Secret{Password: sec.Password, HA1: sec.HA1}, true
				}
			}
			if pw, ok := cfg.Users[user]; ok {
				return engine.Secret{Password: pw}, true
			}
			return engine.Secret{}, false
		},
	}
	if cfg.Userhash {
		ecfg.LookupUserhash = func(alg *crypto.Algorithm, h string) (string, bool) {
			if cfg.LookupUserhash != nil {
				if u, ok := cfg.LookupUserhash(alg.Name(), h); ok {
					return u, true
				}
			}
			// Users is a small static table: hashing each name is
			// cheaper than keeping a second map in step with it.
			for u := range cfg.Users {
				if crypto.Equal(alg.Userhash(u, cfg.Realm), h) {
					return u, true
				}
			}
			return "", false
		}
	}
	srv, err := engine.NewServer(ecfg)
	if err != nil {
		return nil, err
	}
	if len(s.servers) < 16 {
		s.servers[k] = srv
	}
	return srv, nil
}

func lookupAlgorithms(names []string) ([]*crypto.Algorithm, error) {
	if names == nil {
		return nil, nil
	}
	out := make([]*crypto.Algorithm, 0, len(names))
	for _, n := range names {
		alg, ok := crypto.LookupAlgorithm(n)
		if !ok || n == "" {
			return nil, sspi.Errorf(sspi.SEC_E_ALGORITHM_MISMATCH, "digest: unknown algorithm %q", n)
		}
		out = append(out, alg)
	}
	return out, nil
}

func lookupCiphers(names []string) ([]*crypto.Cipher, error) {
	if names == nil {
		return nil, nil
	}
	out := make([]*crypto.Cipher, 0, len(names))
	for _, n := range names {
		c, ok := crypto.LookupCipher(n)
		if !ok {
			return nil, sspi.Errorf(sspi.SEC_E_ALGORITHM_MISMATCH, "digest: unknown cipher %q", n)
		}
		out = append(out, c)
	}
	return out, nil
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Userhash returns the RFC 7616 section 3.4.4 userhash of user in realm
// with algorithm (an RFC 7616 name): what a server that offers userhash
// keeps to find its users.
func Userhash(algorithm, user, realm string) (string, error) {
	alg, ok := crypto.LookupAlgorithm(algorithm)
	if !ok {
		return "", sspi.Errorf(sspi.SEC_E_ALGORITHM_MISMATCH, "digest: unknown algorithm %q", algorithm)
	}
	return alg.Userhash(user, realm), nil
}

// HA1 returns H(user ":" realm ":" password) in hex with algorithm: what a
// server or client may store instead of the password.
func HA1(algorithm, user, realm, password string) (string, error) {
	alg, ok := crypto.LookupAlgorithm(algorithm)
	if !ok {
		return "", sspi.Errorf(sspi.SEC_E_ALGORITHM_MISMATCH, "digest: unknown algorithm %q", algorithm)
	}
	return alg.Base().HA1(user, realm, password), nil
}
