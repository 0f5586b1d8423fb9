package engine

import (
	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/internal/digest/wire"
	"github.com/gosspi/schannel/sspi"
)

// stepSASL runs the server side of RFC 2831: the digest-challenge for an
// empty token, then the digest-response checked and answered with
// rspauth.
func (c *ServerContext) stepSASL(in Input) ([]byte, sspi.Status, *sspi.Error) {
	if c.done {
		return nil, 0, fail(sspi.SEC_E_INVALID_TOKEN, "SASL context already authenticated")
	}
	if c.nonce == "" {
		if len(in.Token) != 0 {
			return nil, 0, fail(sspi.SEC_E_INVALID_TOKEN, "DIGEST-MD5 has no initial response")
		}
		return c.saslChallenge(false)
	}
	if len(in.Token) >= wire.MaxSASLResponse {
		return nil, 0, fail(sspi.SEC_E_INVALID_TOKEN, "digest-response of %d bytes, RFC 2831 allows less than %d", len(in.Token), wire.MaxSASLResponse)
	}
	cfg := &c.s.cfg
	r, werr := wire.ParseSASLResponse(string(in.Token))
	if werr != nil {
		return nil, 0, fail(sspi.SEC_E_INVALID_TOKEN, "%v", werr)
	}
	if r.Nonce != c.nonce {
		return nil, 0, fail(sspi.SEC_E_LOGON_DENIED, "nonce is not the one of this exchange")
	}
	if r.NC != 1 {
		// RFC 2831 section 2.1.2: the first response on a nonce has nc 1.
		return nil, 0, fail(sspi.SEC_E_OUT_OF_SEQUENCE, "nc %08x, expected 00000001", r.NC)
	}
	if in.Target != "" && r.DigestURI != in.Target {
		return nil, 0, fail(sspi.SEC_E_INVALID_TOKEN, "digest-uri %q is not %q", r.DigestURI, in.Target)
	}
	if r.Realm != cfg.Realm {
		return nil, 0, fail(sspi.SEC_E_LOGON_DENIED, "realm %q is not %q", r.Realm, cfg.Realm)
	}
	qop := r.Qop
	if qop == "" {
		qop = QopAuth
	}
	if !contains(cfg.Qop, qop) {
		return nil, 0, fail(sspi.SEC_E_QOP_NOT_SUPPORTED, "qop %q was not offered", qop)
	}
	var cipher *crypto.Cipher
	if qop == QopAuthConf {
		ci, ok := crypto.LookupCipher(r.Cipher)
		if !ok || !offeredCipher(cfg.Ciphers, ci) {
			return nil, 0, fail(sspi.SEC_E_QOP_NOT_SUPPORTED, "cipher %q was not offered", r.Cipher)
		}
		cipher = ci
	}
	secret, ok := cfg.Lookup(r.Username)
	if !ok {
		return nil, 0, fail(sspi.SEC_E_LOGON_DENIED, "unknown user")
	}
	utf8 := r.Charset != ""
	inner, ok := secret.saslSecret(crypto.Latin1(r.Username, utf8), crypto.Latin1(r.Realm, utf8), utf8)
	if !ok {
		return nil, 0, fail(sspi.SEC_E_LOGON_DENIED, "no MD5 H(A1) for the user")
	}
	ha1 := crypto.SASLHA1(inner, r.Nonce, r.Cnonce, r.Authzid)
	nc := wire.FormatNC(r.NC)
	if !crypto.Equal(r.Response, crypto.SASLResponse(ha1, r.Nonce, nc, r.Cnonce, r.Qop, r.DigestURI, true)) {
		return nil, 0, fail(sspi.SEC_E_LOGON_DENIED, "wrong response")
	}
	if state, _ := c.s.nonces.check(r.Nonce, cfg.Now()); state != nonceFresh {
		// Right response, old nonce: a new challenge with stale=true
		// (RFC 2831 section 2.1.1).
		return c.saslChallenge(true)
	}
	rspauth, werr := wire.MarshalRspAuth(crypto.SASLResponse(ha1, r.Nonce, nc, r.Cnonce, r.Qop, r.DigestURI, false))
	if werr != nil {
		return nil, 0, fail(sspi.SEC_E_INTERNAL_ERROR, "%v", werr)
	}
	if qop != QopAuth {
		l, err := crypto.NewLayer(ha1, false, cipher)
		if err != nil {
			return nil, 0, fail(sspi.SEC_E_INTERNAL_ERROR, "%v", err)
		}
		c.layer = l
	}
	c.peerBuf = r.MaxBuf
	if c.peerBuf == 0 {
		c.peerBuf = 65536
	}
	c.user, c.resp, c.saslHA1, c.done = r.Username, r, ha1, true
	return []byte(rspauth), sspi.SEC_E_OK, nil
}

func (c *ServerContext) saslChallenge(stale bool) ([]byte, sspi.Status, *sspi.Error) {
	cfg := &c.s.cfg
	nonce, err := c.s.newNonce()
	if err != nil {
		return nil, 0, fail(sspi.SEC_E_INTERNAL_ERROR, "nonce: %v", err)
	}
	ch := wire.SASLChallenge{Nonce: nonce, Qop: cfg.Qop, Stale: stale, MaxBuf: cfg.MaxBuf, Charset: "utf-8"}
	if cfg.Realm != "" {
		ch.Realms = []string{cfg.Realm}
	}
	if contains(cfg.Qop, QopAuthConf) {
		for _, ci := range cfg.Ciphers {
			ch.Ciphers = append(ch.Ciphers, ci.Name())
		}
	}
	v, werr := ch.Marshal()
	if werr != nil {
		return nil, 0, fail(sspi.SEC_E_INTERNAL_ERROR, "%v", werr)
	}
	c.nonce = nonce
	return []byte(v), sspi.SEC_I_CONTINUE_NEEDED, nil
}

func offeredCipher(list []*crypto.Cipher, ci *crypto.Cipher) bool {
	for _, c := range list {
		if c == ci {
			return true
		}
	}
	return false
}
