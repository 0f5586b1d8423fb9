package engine

import (
	"io"
	"strings"
	"time"

	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/internal/digest/wire"
	"github.com/gosspi/schannel/sspi"
)

// ServerConfig is what a server offers and how it finds its users.
type ServerConfig struct {
	Mode  Mode
	Realm string
	// Lookup returns a user's secret; ok false for an unknown user.
	Lookup func(username string) (Secret, bool)
	// LookupUserhash maps a userhash back to the user name; it is needed
	// when Userhash is set (RFC 7616 section 3.4.4).
	LookupUserhash func(alg *crypto.Algorithm, userhash string) (string, bool)
	Userhash       bool
	// Algorithms are offered one challenge each, in this order (the
	// preferred first, RFC 7616 section 3.7); nil means SHA-256 then MD5.
	// SASL always uses md5-sess.
	Algorithms []*crypto.Algorithm
	// Qop lists the qop values offered; nil means auth.
	Qop []string
	// Ciphers are offered with auth-conf; nil means all.
	Ciphers []*crypto.Cipher
	// NonceLifetime is how long a nonce stays fresh; 0 means 5 minutes.
	NonceLifetime time.Duration
	// MaxNonces caps the nonces whose nc history is kept; 0 means 4096.
	MaxNonces int
	// Key authenticates nonces; nil means random, so nonces die with the
	// server. Several servers behind one name share a key.
	Key []byte
	// MaxBuf is the SASL maxbuf announced; 0 means 65536.
	MaxBuf uint32
	// Now is the clock; nil means time.Now.
	Now  func() time.Time
	Rand io.Reader
}

// Server is a server credential: the configuration, the nonce key and the
// replay table shared by all its contexts.
type Server struct {
	cfg    ServerConfig
	nonces *nonces
	opaque string
}

// NewServer checks cfg and returns a server.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Lookup == nil {
		return nil, fail(sspi.SEC_E_NO_CREDENTIALS, "server needs a user lookup")
	}
	if cfg.Userhash && cfg.LookupUserhash == nil {
		return nil, fail(sspi.SEC_E_NO_CREDENTIALS, "userhash needs LookupUserhash")
	}
	if cfg.Algorithms == nil {
		cfg.Algorithms = []*crypto.Algorithm{crypto.SHA256, crypto.MD5}
	}
	if cfg.Qop == nil {
		cfg.Qop = []string{QopAuth}
	}
	for _, q := range cfg.Qop {
		if q != QopAuth && q != QopAuthInt && (q != QopAuthConf || cfg.Mode != SASL) {
			return nil, fail(sspi.SEC_E_QOP_NOT_SUPPORTED, "qop %q cannot be offered", q)
		}
	}
	if cfg.Ciphers == nil {
		cfg.Ciphers = crypto.Ciphers()
	}
	if cfg.NonceLifetime <= 0 {
		cfg.NonceLifetime = 5 * time.Minute
	}
	if cfg.MaxNonces <= 0 {
		cfg.MaxNonces = 4096
	}
	if cfg.MaxBuf == 0 {
		cfg.MaxBuf = 65536
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Rand = randOr(cfg.Rand)
	if cfg.Key == nil {
		cfg.Key = make([]byte, 32)
		if _, err := io.ReadFull(cfg.Rand, cfg.Key); err != nil {
			return nil, fail(sspi.SEC_E_INTERNAL_ERROR, "nonce key: %v", err)
		}
	}
	opaque, err := randomHex(cfg.Rand, 16)
	if err != nil {
		return nil, fail(sspi.SEC_E_INTERNAL_ERROR, "opaque: %v", err)
	}
	return &Server{
		cfg:    cfg,
		nonces: &nonces{key: cfg.Key, lifetime: cfg.NonceLifetime, table: map[string]*ncWindow{}, max: cfg.MaxNonces},
		opaque: opaque,
	}, nil
}

func (s *Server) newNonce() (string, error) {
	var r [nonceRandLen]byte
	if _, err := io.ReadFull(s.cfg.Rand, r[:]); err != nil {
		return "", err
	}
	return s.nonces.issue(s.cfg.Now(), r), nil
}

// ServerContext is one server context. In HTTP mode one context may verify
// any number of requests; in SASL mode it runs one authentication.
type ServerContext struct {
	s      *Server
	failed bool
	user   string
	// binding is the hex MD5 of the channel bindings the current Step
	// was given (Input.ChannelBinding), empty without.
	binding string

	// HTTP: the request the last successful Step verified and the
	// Authentication-Info it got, for ResponseAuthInfo.
	verified *crypto.Exchange
	info     wire.AuthInfo

	// SASL.
	nonce   string
	saslHA1 [16]byte
	resp    *wire.SASLResponse
	layer   *crypto.Layer
	peerBuf uint32
	done    bool
}

// NewContext returns a server context.
func (s *Server) NewContext() *ServerContext { return &ServerContext{s: s} }

// Username is the authenticated user, once Step returned SEC_E_OK.
func (c *ServerContext) Username() string { return c.user }

// Authzid is the SASL authorization identity the client asked for; empty
// when it acts as itself. Whether to allow it is the caller's decision.
func (c *ServerContext) Authzid() string {
	if c.resp == nil {
		return ""
	}
	return c.resp.Authzid
}

// Layer returns the security layer of an authenticated SASL context, or
// nil when the qop was auth.
func (c *ServerContext) Layer() *Layer { return newLayer(c.layer, c.peerBuf, c.done) }

// Step is AcceptSecurityContext. A failure that the client should hear
// about (SEC_E_LOGON_DENIED, SEC_E_OUT_OF_SEQUENCE) still returns a fresh
// challenge as token, the error token of Digest.
func (c *ServerContext) Step(in Input) ([]byte, sspi.Status, error) {
	if c.failed {
		return nil, sspi.SEC_E_INVALID_HANDLE, fail(sspi.SEC_E_INVALID_HANDLE, "context failed earlier")
	}
	var out []byte
	var status sspi.Status
	var err *sspi.Error
	if c.s.cfg.Mode == SASL {
		out, status, err = c.stepSASL(in)
		if err != nil {
			// A SASL exchange that failed is over.
			c.failed = true
			return nil, err.Status, err
		}
		return out, status, nil
	}
	c.binding = strings.ToLower(in.ChannelBinding)
	out, status, err = c.stepHTTP(in)
	if err != nil {
		// HTTP contexts live on: the client may try again on the next
		// request, and the challenge goes with the 401.
		return out, err.Status, err
	}
	return out, status, nil
}

// challengeHTTP returns the WWW-Authenticate value: one challenge per
// algorithm, sharing nonce and opaque.
func (c *ServerContext) challengeHTTP(stale bool) ([]byte, *sspi.Error) {
	nonce, err := c.s.newNonce()
	if err != nil {
		return nil, fail(sspi.SEC_E_INTERNAL_ERROR, "nonce: %v", err)
	}
	cfg := &c.s.cfg
	if c.binding != "" {
		// This server can check bindings: ask for them (crypto.Upgraded).
		nonce = crypto.UpgradedV1 + nonce
	}
	chs := make([]wire.DigestChallenge, 0, len(cfg.Algorithms))
	for _, alg := range cfg.Algorithms {
		chs = append(chs, wire.DigestChallenge{
			Realm: cfg.Realm, Nonce: nonce, Opaque: c.s.opaque, Stale: stale,
			Algorithm: alg.Name(), Qop: cfg.Qop, Charset: "UTF-8", Userhash: cfg.Userhash,
		})
	}
	v, werr := wire.MarshalWWWAuthenticate(chs)
	if werr != nil {
		return nil, fail(sspi.SEC_E_INTERNAL_ERROR, "%v", werr)
	}
	return []byte(v), nil
}

// deny fails with status and a fresh challenge to send.
func (c *ServerContext) deny(status sspi.Status, format string, args ...any) ([]byte, sspi.Status, *sspi.Error) {
	ch, err := c.challengeHTTP(false)
	if err != nil {
		return nil, 0, err
	}
	return ch, 0, fail(status, format, args...)
}

func (c *ServerContext) stepHTTP(in Input) ([]byte, sspi.Status, *sspi.Error) {
	if len(in.Token) == 0 {
		ch, err := c.challengeHTTP(false)
		if err != nil {
			return nil, 0, err
		}
		return ch, sspi.SEC_I_CONTINUE_NEEDED, nil
	}
	cfg := &c.s.cfg
	r, werr := wire.ParseAuthorization(string(in.Token))
	if werr != nil {
		return c.deny(sspi.SEC_E_INVALID_TOKEN, "%v", werr)
	}
	alg, ok := crypto.LookupAlgorithm(r.Algorithm)
	if !ok || !offeredAlg(cfg.Algorithms, alg) {
		return c.deny(sspi.SEC_E_INVALID_TOKEN, "algorithm %q was not offered", r.Algorithm)
	}
	if r.Qop == "" || !contains(cfg.Qop, r.Qop) {
		return c.deny(sspi.SEC_E_QOP_NOT_SUPPORTED, "qop %q was not offered", r.Qop)
	}
	if r.Opaque != c.s.opaque {
		return c.deny(sspi.SEC_E_INVALID_TOKEN, "opaque is not ours")
	}
	// An empty Target leaves the uri to the caller, who may compare it
	// with a request-target in a form the engine cannot know.
	if in.Target != "" && r.URI != in.Target {
		// RFC 7616 section 3.4.6: the uri must be the request-target.
		return c.deny(sspi.SEC_E_INVALID_TOKEN, "uri %q is not the request-target %q", r.URI, in.Target)
	}
	if r.Realm != cfg.Realm {
		return c.deny(sspi.SEC_E_LOGON_DENIED, "realm %q is not %q", r.Realm, cfg.Realm)
	}
	if r.Userhash && !cfg.Userhash {
		// Offering userhash lets the client hash its name; it may
		// still send it plain (RFC 7616 section 3.4.4).
		return c.deny(sspi.SEC_E_LOGON_DENIED, "userhash was not offered")
	}
	now := cfg.Now()
	state, issued := c.s.nonces.check(r.Nonce, now)
	if state == nonceForged {
		return c.deny(sspi.SEC_E_LOGON_DENIED, "nonce was not issued here")
	}
	user := r.Username
	if r.Userhash {
		if user, ok = cfg.LookupUserhash(alg, r.Username); !ok {
			return c.deny(sspi.SEC_E_LOGON_DENIED, "unknown userhash")
		}
	}
	secret, known := cfg.Lookup(user)
	stored, ok := secret.ha1(alg, user, cfg.Realm)
	if !known || !ok {
		// Spend the time a known user costs, so that the answer's
		// delay does not tell which user names exist.
		stored, _ = (&Secret{Password: "\x00"}).ha1(alg, user, cfg.Realm)
	}
	e := crypto.Exchange{
		Alg: alg, HA1: alg.SessionHA1(stored, r.Nonce, r.Cnonce), Nonce: r.Nonce,
		NC: wire.FormatNC(r.NC), Cnonce: r.Cnonce, Qop: r.Qop, Method: in.Method, URI: r.URI,
	}
	if r.Qop == QopAuthInt {
		e.EntityHash = in.entityHash(alg)
	}
	if !crypto.Equal(r.Response, e.Response()) || !known || !ok {
		return c.deny(sspi.SEC_E_LOGON_DENIED, "wrong response, unknown user or no H(A1) for %s", alg.Name())
	}
	if err := c.checkBinding(r); err != nil {
		return c.deny(sspi.SEC_E_BAD_BINDINGS, "%v", err.Error())
	}
	// The response is right: a too old nonce, or one whose nc history
	// is lost, asks for a retry with a new nonce (RFC 7616 section 3.3).
	if state == nonceExpired {
		return c.stale()
	}
	switch c.s.nonces.use(r.Nonce, issued, r.NC) {
	case ncLost:
		return c.stale()
	case ncReplay:
		return c.deny(sspi.SEC_E_OUT_OF_SEQUENCE, "nc %08x was used before on this nonce", r.NC)
	}
	info := wire.AuthInfo{Qop: r.Qop, Cnonce: r.Cnonce, NC: r.NC}
	if r.Qop == QopAuthInt {
		e.EntityHash = alg.EntityHash(in.ResponseBody)
	}
	info.RspAuth = e.RspAuth()
	if now.UnixNano()-issued > int64(cfg.NonceLifetime/2) {
		// Past half its life: hand the next nonce over now, so the
		// client never meets stale=true (RFC 7616 section 3.5).
		next, err := c.s.newNonce()
		if err != nil {
			return nil, 0, fail(sspi.SEC_E_INTERNAL_ERROR, "nonce: %v", err)
		}
		info.NextNonce = next
	}
	v, werr := info.Marshal()
	if werr != nil {
		return nil, 0, fail(sspi.SEC_E_INTERNAL_ERROR, "%v", werr)
	}
	c.user = user
	c.verified, c.info = &e, info
	return []byte(v), sspi.SEC_E_OK, nil
}

// ResponseAuthInfo returns again the Authentication-Info of the request
// the last successful Step verified, with its rspauth over the response
// body in in (EntityHash, or Body hashed). With qop=auth-int, rspauth
// covers H(entity-body) of the response (RFC 7616 section 3.5), which a
// server knows only once it has written the response; RFC 7615 section 3
// lets the field travel as a trailer, after the body. The nextnonce, if
// any, is the one Step gave.
func (c *ServerContext) ResponseAuthInfo(in Input) ([]byte, error) {
	if c.s.cfg.Mode != HTTP || c.verified == nil {
		return nil, fail(sspi.SEC_E_INVALID_HANDLE, "no verified HTTP request to answer")
	}
	e, info := *c.verified, c.info
	if e.Qop == QopAuthInt {
		e.EntityHash = in.entityHash(e.Alg)
	}
	info.RspAuth = e.RspAuth()
	v, err := info.Marshal()
	if err != nil {
		return nil, fail(sspi.SEC_E_INTERNAL_ERROR, "%v", err)
	}
	return []byte(v), nil
}

func (c *ServerContext) stale() ([]byte, sspi.Status, *sspi.Error) {
	ch, err := c.challengeHTTP(true)
	if err != nil {
		return nil, 0, err
	}
	return ch, sspi.SEC_I_CONTINUE_NEEDED, nil
}

func offeredAlg(list []*crypto.Algorithm, alg *crypto.Algorithm) bool {
	for _, a := range list {
		if a == alg {
			return true
		}
	}
	return false
}

// checkBinding checks Microsoft's channel binding directives (crypto's
// comment on UpgradedPrefix): the cnonce must carry the tag of
// service-name and channel-binding, which the response digest covers, and
// channel-binding must be the hash of this end's bindings (32 zeros when
// the server has none: a client bound to a channel the server does not
// see is talking to someone else). A response without the directives is
// a client that does not bind, accepted as Windows accepts it unless its
// hardening asks otherwise; the service-name is not checked against a
// list of this server's names.
func (c *ServerContext) checkBinding(r *wire.DigestResponse) *sspi.Error {
	if r.HashedDirs == "" && r.ServiceName == "" && r.ChannelBinding == "" {
		return nil
	}
	if !strings.EqualFold(strings.ReplaceAll(r.HashedDirs, " ", ""), crypto.HashedDirs) || r.ChannelBinding == "" {
		return fail(sspi.SEC_E_BAD_BINDINGS, "hashed-dirs %q with service-name %q and channel-binding %q", r.HashedDirs, r.ServiceName, r.ChannelBinding)
	}
	if !crypto.CheckUpgradedCnonce(r.Cnonce, r.ServiceName, r.ChannelBinding) {
		return fail(sspi.SEC_E_BAD_BINDINGS, "the cnonce does not carry service-name and channel-binding")
	}
	want := c.binding
	if want == "" {
		want = crypto.ZeroBinding
	}
	if !crypto.Equal(r.ChannelBinding, want) {
		return fail(sspi.SEC_E_BAD_BINDINGS, "channel-binding is not this channel's")
	}
	return nil
}
