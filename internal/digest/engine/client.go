package engine

import (
	"io"
	"strings"

	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/internal/digest/wire"
	"github.com/gosspi/schannel/sspi"
)

// ClientConfig is a client's identity and wishes.
type ClientConfig struct {
	Mode     Mode
	Username string
	// Realm, when set, is the only realm the credentials are for; a
	// challenge for another realm is not answered.
	Realm  string
	Secret Secret
	// Authzid is the SASL authorization identity; empty to act as
	// Username.
	Authzid string
	// Qop is the protection asked for: auth (the default), auth-int
	// (ISC_REQ_INTEGRITY and the replay/sequence flags), or auth-conf
	// (ISC_REQ_CONFIDENTIALITY, SASL only).
	Qop string
	// Algorithms limits the HTTP algorithms answered; nil allows all.
	Algorithms []*crypto.Algorithm
	// Ciphers limits the SASL ciphers; nil allows all. The strongest one
	// the server offers is used.
	Ciphers []*crypto.Cipher
	// MutualAuth makes an Authentication-Info without rspauth a failure
	// (ISC_REQ_MUTUAL_AUTH).
	MutualAuth bool
	// MaxRounds caps the challenges answered in a row without success,
	// so a server that never stops challenging ends in a status; 0
	// means 3.
	MaxRounds int
	// MaxBuf is the SASL maxbuf announced; 0 means 65536.
	MaxBuf uint32
	// Rand supplies cnonces; nil means crypto/rand.
	Rand io.Reader
}

// Input is the input of one Step: on Windows, the SecBuffers of
// InitializeSecurityContext or AcceptSecurityContext, and the target name.
type Input struct {
	// Token is the peer's token: a challenge, an Authorization, an
	// Authentication-Info, a SASL message. Empty asks a server for its
	// challenge.
	Token []byte
	// Method is the HTTP request method (HTTP mode).
	Method string
	// Target is the request URI in HTTP mode and the SPN (digest-uri,
	// "service/host") in SASL mode.
	Target string
	// EntityHash is H(entity-body) in hex for auth-int, when the caller
	// hashed the body itself (Windows' PKG_PARAMS buffer); it must use the
	// algorithm of the exchange. Otherwise Body is hashed: the request's
	// body, or on the client's Authentication-Info step the response's.
	EntityHash string
	Body       []byte
	// ResponseBody is, on a server's Step, the body of the response the
	// Authentication-Info goes with, for an auth-int rspauth.
	ResponseBody []byte
	// ChannelBinding is the hex MD5 of the caller's channel bindings
	// (crypto.BindingHash), empty when it gave none; ServiceName is the
	// client's SPN ("HTTP/host", Windows' SECBUFFER_TARGET_HOST). A
	// client sends them when the server's nonce asks for bound
	// responses; a server that has bindings issues such nonces and
	// checks them (crypto.Upgraded and the comment above it).
	ChannelBinding string
	ServiceName    string
}

func (in *Input) entityHash(alg *crypto.Algorithm) string {
	if in.EntityHash != "" {
		return strings.ToLower(in.EntityHash)
	}
	return alg.EntityHash(in.Body)
}

type clientState int

const (
	clientStart    clientState = iota
	clientAnswered             // sent a response to a fresh challenge
	clientLater                // sent a later request (NextRequest) or authenticated
	clientWaitRsp              // SASL: waiting for rspauth
	clientDone                 // SASL: authenticated
	clientFailed
)

// Client is one client context.
type Client struct {
	cfg    ClientConfig
	state  clientState
	rounds int

	// The HTTP exchange in use: the chosen challenge, H(A1) of the
	// session and the last request made, for rspauth.
	ch     wire.DigestChallenge
	alg    *crypto.Algorithm
	qop    string
	ha1    string
	cnonce string
	nc     uint32
	// bound is the service-name and channel-binding hashed into cnonce
	// when the server's nonce asked for them; empty otherwise.
	boundName, boundCB string
	last               crypto.Exchange
	// pending are the requests made whose Authentication-Info has not
	// been checked yet, oldest first, at most maxPending: each rspauth
	// is checked against its own request, found by nc, so requests on
	// one context may be in flight together.
	pending []crypto.Exchange

	// SASL.
	saslHA1  [16]byte
	saslResp wire.SASLResponse
	cipher   *crypto.Cipher
	layer    *crypto.Layer
	peerBuf  uint32
}

// maxPending caps the requests a client context remembers for their
// rspauth. Responses that never carry Authentication-Info would otherwise
// make the list grow; past the cap the oldest request is forgotten, and
// an rspauth for it fails.
const maxPending = 64

// NewClient returns a client context.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Username == "" || !cfg.Secret.usable() {
		return nil, fail(sspi.SEC_E_NO_CREDENTIALS, "client needs a user name and a password or H(A1)")
	}
	switch cfg.Qop {
	case "":
		cfg.Qop = QopAuth
	case QopAuth, QopAuthInt:
	case QopAuthConf:
		if cfg.Mode != SASL {
			return nil, fail(sspi.SEC_E_QOP_NOT_SUPPORTED, "auth-conf exists only in SASL")
		}
	default:
		return nil, fail(sspi.SEC_E_QOP_NOT_SUPPORTED, "unknown qop %q", cfg.Qop)
	}
	if cfg.MaxRounds <= 0 {
		cfg.MaxRounds = 3
	}
	if cfg.MaxBuf == 0 {
		cfg.MaxBuf = 65536
	}
	cfg.Rand = randOr(cfg.Rand)
	return &Client{cfg: cfg}, nil
}

// Step is InitializeSecurityContext: it takes the server's latest token
// and returns the token to send, with the status.
func (c *Client) Step(in Input) ([]byte, sspi.Status, error) {
	if c.state == clientFailed {
		return nil, sspi.SEC_E_INVALID_HANDLE, fail(sspi.SEC_E_INVALID_HANDLE, "context failed earlier")
	}
	var out []byte
	var status sspi.Status
	var err *sspi.Error
	if c.cfg.Mode == SASL {
		out, status, err = c.stepSASL(in)
	} else {
		out, status, err = c.stepHTTP(in)
	}
	if err != nil {
		c.state = clientFailed
		return nil, err.Status, err
	}
	return out, status, nil
}

func (c *Client) stepHTTP(in Input) ([]byte, sspi.Status, *sspi.Error) {
	tok := string(in.Token)
	if len(tok) == 0 {
		// An empty Authentication-Info would pass for success unchecked.
		return nil, 0, fail(sspi.SEC_E_INVALID_TOKEN, "HTTP mode needs the server's challenge or Authentication-Info")
	}
	if c.state != clientStart {
		// A bare parameter list is Authentication-Info; a challenge
		// starts with its scheme and never parses as one.
		if _, err := wire.ParseParams(tok); err == nil {
			return c.authInfo(tok, in)
		}
	}
	chs, err := wire.ParseWWWAuthenticate(tok)
	if err != nil {
		return nil, 0, fail(sspi.SEC_E_INVALID_TOKEN, "%v", err)
	}
	ch, ferr := c.choose(chs)
	if ferr != nil {
		return nil, 0, ferr
	}
	switch c.state {
	case clientAnswered:
		// The server refused a response made for a fresh challenge: only
		// a stale nonce excuses that (RFC 7616 section 3.3).
		if !ch.Stale {
			return nil, 0, fail(sspi.SEC_E_LOGON_DENIED, "server refused the credentials")
		}
		c.rounds++
	case clientStart, clientLater:
		c.rounds = 1
	}
	if c.rounds > c.cfg.MaxRounds {
		return nil, 0, fail(sspi.SEC_E_LOGON_DENIED, "server still challenging after %d responses", c.cfg.MaxRounds)
	}
	if err := c.adopt(ch, in); err != nil {
		return nil, 0, err
	}
	out, ferr := c.authorization(in)
	if ferr != nil {
		return nil, 0, ferr
	}
	c.state = clientAnswered
	return out, sspi.SEC_I_CONTINUE_NEEDED, nil
}

// choose picks the strongest challenge the client can answer (RFC 7616
// section 3.7 lets the client pick).
func (c *Client) choose(chs []wire.DigestChallenge) (*wire.DigestChallenge, *sspi.Error) {
	var best *wire.DigestChallenge
	var bestAlg *crypto.Algorithm
	why := fail(sspi.SEC_E_ALGORITHM_MISMATCH, "no challenge with a known algorithm")
	for i := range chs {
		ch := &chs[i]
		alg, ok := crypto.LookupAlgorithm(ch.Algorithm)
		if !ok || !c.allowed(alg) {
			continue
		}
		if c.cfg.Realm != "" && ch.Realm != c.cfg.Realm {
			why = fail(sspi.SEC_E_NO_CREDENTIALS, "credentials are for realm %q, not %q", c.cfg.Realm, ch.Realm)
			continue
		}
		if _, ok := c.cfg.Secret.ha1(alg, c.cfg.Username, ch.Realm); !ok {
			why = fail(sspi.SEC_E_NO_CREDENTIALS, "no H(A1) for %s", alg.Name())
			continue
		}
		if pickQop(ch.Qop, c.cfg.Qop) == "-" {
			why = fail(sspi.SEC_E_QOP_NOT_SUPPORTED, "server offers qop %v, %s asked", ch.Qop, c.cfg.Qop)
			continue
		}
		if best == nil || alg.Strength() > bestAlg.Strength() {
			best, bestAlg = ch, alg
		}
	}
	if best == nil {
		return nil, why
	}
	return best, nil
}

func (c *Client) allowed(alg *crypto.Algorithm) bool {
	if c.cfg.Algorithms == nil {
		return true
	}
	for _, a := range c.cfg.Algorithms {
		if a == alg {
			return true
		}
	}
	return false
}

// pickQop returns the qop to use, "" for the RFC 2069 form, or "-" when
// nothing offered fits what was asked.
func pickQop(offered []string, want string) string {
	switch {
	case offered == nil && want == QopAuth:
		return ""
	case contains(offered, want):
		return want
	case want == QopAuth && contains(offered, QopAuthInt):
		// The server insists on integrity; giving it costs nothing.
		return QopAuthInt
	}
	return "-"
}

// adopt starts a session on challenge ch: new nonce, new cnonce, nc 0.
// When the nonce asks for bound responses and the caller named its
// service, the cnonce carries the channel binding (crypto.UpgradedCnonce);
// without a service name the response is an ordinary one, which such a
// server may still accept.
func (c *Client) adopt(ch *wire.DigestChallenge, in Input) *sspi.Error {
	alg, _ := crypto.LookupAlgorithm(ch.Algorithm) // choose checked it
	stored, _ := c.cfg.Secret.ha1(alg, c.cfg.Username, ch.Realm)
	cnonce, err := randomHex(c.cfg.Rand, 16)
	if err != nil {
		return fail(sspi.SEC_E_INTERNAL_ERROR, "cnonce: %v", err)
	}
	c.boundName, c.boundCB = "", ""
	if crypto.Upgraded(ch.Nonce) && in.ServiceName != "" && pickQop(ch.Qop, c.cfg.Qop) != "" {
		c.boundName, c.boundCB = in.ServiceName, strings.ToLower(in.ChannelBinding)
		if c.boundCB == "" {
			c.boundCB = crypto.ZeroBinding
		}
		cnonce = crypto.UpgradedCnonce(c.boundName, c.boundCB, cnonce)
	}
	c.ch, c.alg, c.cnonce, c.nc = *ch, alg, cnonce, 0
	c.qop = pickQop(ch.Qop, c.cfg.Qop)
	c.ha1 = alg.SessionHA1(stored, ch.Nonce, cnonce)
	return nil
}

// authorization builds the Authorization for the next request on the
// current nonce.
func (c *Client) authorization(in Input) ([]byte, *sspi.Error) {
	if in.Method == "" {
		return nil, fail(sspi.SEC_E_INVALID_TOKEN, "HTTP mode needs the request method")
	}
	if in.Target == "" {
		return nil, fail(sspi.SEC_E_TARGET_UNKNOWN, "HTTP mode needs the request URI as target")
	}
	if c.nc == ^uint32(0) {
		return nil, fail(sspi.SEC_E_CONTEXT_EXPIRED, "nc exhausted")
	}
	c.nc++
	e := crypto.Exchange{Alg: c.alg, HA1: c.ha1, Nonce: c.ch.Nonce, Qop: c.qop, Method: in.Method, URI: in.Target}
	r := wire.DigestResponse{
		Username: c.cfg.Username, Realm: c.ch.Realm, URI: in.Target, Nonce: c.ch.Nonce,
		Algorithm: c.ch.Algorithm, Opaque: c.ch.Opaque, Qop: c.qop,
	}
	if c.qop != "" {
		e.NC, e.Cnonce = wire.FormatNC(c.nc), c.cnonce
		r.NC, r.Cnonce = c.nc, c.cnonce
	}
	if c.qop == QopAuthInt {
		e.EntityHash = in.entityHash(c.alg)
	}
	if c.ch.Userhash {
		r.Username, r.Userhash = c.alg.Userhash(c.cfg.Username, c.ch.Realm), true
	}
	if c.boundName != "" {
		r.HashedDirs, r.ServiceName, r.ChannelBinding = crypto.HashedDirs, c.boundName, c.boundCB
	}
	r.Response = e.Response()
	s, err := r.Marshal()
	if err != nil {
		return nil, fail(sspi.SEC_E_INVALID_TOKEN, "%v", err)
	}
	c.last = e
	if len(c.pending) == maxPending {
		c.pending = append(c.pending[:0], c.pending[1:]...)
	}
	c.pending = append(c.pending, e)
	return []byte(s), nil
}

// NextRequest is MakeSignature in HTTP mode: the Authorization of a later
// request on the same nonce, with nc one higher and no round trip.
func (c *Client) NextRequest(in Input) ([]byte, error) {
	if c.cfg.Mode != HTTP || (c.state != clientAnswered && c.state != clientLater) {
		return nil, fail(sspi.SEC_E_INVALID_HANDLE, "no HTTP session to make a request on")
	}
	out, err := c.authorization(in)
	if err != nil {
		return nil, err
	}
	c.state = clientLater
	return out, nil
}

// authInfo checks an Authentication-Info: rspauth proves the server knew
// the secret (RFC 7616 section 3.5), nextnonce replaces the nonce.
func (c *Client) authInfo(tok string, in Input) ([]byte, sspi.Status, *sspi.Error) {
	a, err := wire.ParseAuthInfo(tok)
	if err != nil {
		return nil, 0, fail(sspi.SEC_E_INVALID_TOKEN, "%v", err)
	}
	if a.RspAuth == "" {
		if c.cfg.MutualAuth {
			return nil, 0, fail(sspi.SEC_E_MUTUAL_AUTH_FAILED, "Authentication-Info without rspauth")
		}
	} else if err := c.checkRspAuth(a, in); err != nil {
		return nil, 0, err
	}
	if a.NextNonce != "" && a.NextNonce != c.ch.Nonce {
		c.ch.Nonce, c.nc = a.NextNonce, 0
		c.ha1, _ = c.cfg.Secret.ha1(c.alg, c.cfg.Username, c.ch.Realm)
		c.ha1 = c.alg.SessionHA1(c.ha1, c.ch.Nonce, c.cnonce)
	}
	c.state, c.rounds = clientLater, 0
	return nil, sspi.SEC_E_OK, nil
}

// checkRspAuth finds the request an Authentication-Info answers and checks
// its rspauth (RFC 7616 section 3.5). With nc (and cnonce) the request is
// looked up among those still pending, so each of several requests in
// flight on the context is checked against its own digest; a request is
// checked once. Without nc (the RFC 2069 form) it can only be the last.
func (c *Client) checkRspAuth(a *wire.AuthInfo, in Input) *sspi.Error {
	var candidates []int
	if a.NC == 0 {
		if c.last.Alg == nil {
			return fail(sspi.SEC_E_MUTUAL_AUTH_FAILED, "rspauth before any request")
		}
	} else {
		nc := wire.FormatNC(a.NC)
		for i := range c.pending {
			e := &c.pending[i]
			if e.NC == nc && (a.Cnonce == "" || a.Cnonce == e.Cnonce) {
				candidates = append(candidates, i)
			}
		}
		if len(candidates) == 0 {
			return fail(sspi.SEC_E_MUTUAL_AUTH_FAILED, "rspauth for nc %08x, which no pending request has", a.NC)
		}
	}
	check := func(e crypto.Exchange) *sspi.Error {
		if a.Qop != "" && a.Qop != e.Qop {
			return fail(sspi.SEC_E_MUTUAL_AUTH_FAILED, "rspauth for qop %q, sent %q", a.Qop, e.Qop)
		}
		if e.Qop == QopAuthInt {
			e.EntityHash = in.entityHash(e.Alg)
		}
		if !crypto.Equal(a.RspAuth, e.RspAuth()) {
			return fail(sspi.SEC_E_MUTUAL_AUTH_FAILED, "wrong rspauth")
		}
		return nil
	}
	if candidates == nil {
		return check(c.last)
	}
	// Two nonces of one context (after a nextnonce) may share an nc:
	// the rspauth, which covers the nonce, tells them apart.
	var err *sspi.Error
	for _, i := range candidates {
		if err = check(c.pending[i]); err == nil {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			return nil
		}
	}
	return err
}
