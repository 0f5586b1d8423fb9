package engine

import (
	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/internal/digest/wire"
	"github.com/gosspi/schannel/sspi"
)

// stepSASL runs RFC 2831: an optional empty first call, the
// digest-challenge answered with a digest-response, then the
// response-auth checked.
func (c *Client) stepSASL(in Input) ([]byte, sspi.Status, *sspi.Error) {
	switch c.state {
	case clientStart:
		if len(in.Token) == 0 {
			// DIGEST-MD5 has no initial response; the caller sends
			// nothing and waits for the challenge.
			return nil, sspi.SEC_I_CONTINUE_NEEDED, nil
		}
		return c.saslChallenge(in, false)
	case clientWaitRsp:
		if rsp, err := wire.ParseRspAuth(string(in.Token)); err == nil {
			return c.saslRspAuth(rsp)
		}
		// Anything else must be a new challenge; RFC 2831 section 2.2
		// allows one only with stale=true.
		return c.saslChallenge(in, true)
	}
	return nil, 0, fail(sspi.SEC_E_INVALID_TOKEN, "SASL context already authenticated")
}

func (c *Client) saslChallenge(in Input, again bool) ([]byte, sspi.Status, *sspi.Error) {
	if len(in.Token) >= wire.MaxSASLChallenge {
		return nil, 0, fail(sspi.SEC_E_INVALID_TOKEN, "digest-challenge of %d bytes, RFC 2831 allows less than %d", len(in.Token), wire.MaxSASLChallenge)
	}
	ch, err := wire.ParseSASLChallenge(string(in.Token))
	if err != nil {
		return nil, 0, fail(sspi.SEC_E_INVALID_TOKEN, "%v", err)
	}
	if again {
		if !ch.Stale {
			return nil, 0, fail(sspi.SEC_E_LOGON_DENIED, "server refused the credentials")
		}
		c.rounds++
		if c.rounds > c.cfg.MaxRounds {
			return nil, 0, fail(sspi.SEC_E_LOGON_DENIED, "server still challenging after %d responses", c.cfg.MaxRounds)
		}
	} else {
		c.rounds = 1
	}
	if in.Target == "" {
		return nil, 0, fail(sspi.SEC_E_TARGET_UNKNOWN, "SASL mode needs the SPN (service/host) as target")
	}
	realm := c.cfg.Realm
	if realm == "" && len(ch.Realms) > 0 {
		realm = ch.Realms[0]
	}
	offered := ch.Qop
	if offered == nil {
		offered = []string{QopAuth}
	}
	if !contains(offered, c.cfg.Qop) {
		return nil, 0, fail(sspi.SEC_E_QOP_NOT_SUPPORTED, "server offers qop %v, %s asked", offered, c.cfg.Qop)
	}
	r := wire.SASLResponse{
		Username: c.cfg.Username, Realm: realm, Nonce: ch.Nonce, NC: 1,
		Qop: c.cfg.Qop, DigestURI: in.Target, MaxBuf: c.cfg.MaxBuf,
		Charset: ch.Charset, Authzid: c.cfg.Authzid,
	}
	c.cipher = nil
	if c.cfg.Qop == QopAuthConf {
		if c.cipher = c.pickCipher(ch.Ciphers); c.cipher == nil {
			return nil, 0, fail(sspi.SEC_E_ALGORITHM_MISMATCH, "no common cipher in %v", ch.Ciphers)
		}
		r.Cipher = c.cipher.Name()
	}
	utf8 := ch.Charset != ""
	secret, ok := c.cfg.Secret.saslSecret(crypto.Latin1(c.cfg.Username, utf8), crypto.Latin1(realm, utf8), utf8)
	if !ok {
		return nil, 0, fail(sspi.SEC_E_NO_CREDENTIALS, "no MD5 H(A1) for DIGEST-MD5")
	}
	var rerr error
	if r.Cnonce, rerr = randomHex(c.cfg.Rand, 16); rerr != nil {
		return nil, 0, fail(sspi.SEC_E_INTERNAL_ERROR, "cnonce: %v", rerr)
	}
	c.saslHA1 = crypto.SASLHA1(secret, r.Nonce, r.Cnonce, r.Authzid)
	r.Response = crypto.SASLResponse(c.saslHA1, r.Nonce, wire.FormatNC(r.NC), r.Cnonce, r.Qop, r.DigestURI, true)
	s, err := r.Marshal()
	if err != nil {
		return nil, 0, fail(sspi.SEC_E_INVALID_TOKEN, "%v", err)
	}
	c.saslResp, c.peerBuf = r, ch.MaxBuf
	if c.peerBuf == 0 {
		c.peerBuf = 65536
	}
	c.state = clientWaitRsp
	return []byte(s), sspi.SEC_I_CONTINUE_NEEDED, nil
}

// pickCipher returns the strongest cipher both sides allow.
func (c *Client) pickCipher(offered []string) *crypto.Cipher {
	for _, ci := range crypto.Ciphers() {
		if !contains(offered, ci.Name()) {
			continue
		}
		if c.cfg.Ciphers == nil {
			return ci
		}
		for _, allowed := range c.cfg.Ciphers {
			if allowed == ci {
				return ci
			}
		}
	}
	return nil
}

func (c *Client) saslRspAuth(rsp string) ([]byte, sspi.Status, *sspi.Error) {
	r := &c.saslResp
	want := crypto.SASLResponse(c.saslHA1, r.Nonce, wire.FormatNC(r.NC), r.Cnonce, r.Qop, r.DigestURI, false)
	if !crypto.Equal(rsp, want) {
		return nil, 0, fail(sspi.SEC_E_MUTUAL_AUTH_FAILED, "wrong rspauth")
	}
	if r.Qop != QopAuth {
		l, err := crypto.NewLayer(c.saslHA1, true, c.cipher)
		if err != nil {
			return nil, 0, fail(sspi.SEC_E_INTERNAL_ERROR, "%v", err)
		}
		c.layer = l
	}
	c.state = clientDone
	return nil, sspi.SEC_E_OK, nil
}

// Layer returns the security layer of an authenticated SASL context, or
// nil when the qop was auth.
func (c *Client) Layer() *Layer { return newLayer(c.layer, c.peerBuf, c.state == clientDone) }

// Qop returns the qop in use.
func (c *Client) Qop() string {
	if c.cfg.Mode == SASL {
		return c.saslResp.Qop
	}
	return c.qop
}

// Algorithm returns the HTTP algorithm in use, nil before the first
// challenge.
func (c *Client) Algorithm() *crypto.Algorithm { return c.alg }
