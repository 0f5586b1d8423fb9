package wire

import (
	"strconv"
	"strings"
)

// RFC 2831 sections 2.1.1 and 2.1.2 bound the sizes of the two messages;
// the engine enforces them on what it receives, since a parsed message may
// grow a little when marshalled again (quotes added).
const (
	MaxSASLChallenge = 2048
	MaxSASLResponse  = 4096
	// MaxSASLBuf is the largest maxbuf a peer may announce: the SASL
	// framing carries a 4-byte length, and larger buffers serve no one.
	MaxSASLBuf = 1<<24 - 1
)

// SASLChallenge is an RFC 2831 digest-challenge (section 2.1.1).
type SASLChallenge struct {
	Realms []string
	Nonce  string
	// Qop lists qop-options; nil when absent, which means "auth".
	Qop    []string
	Stale  bool
	MaxBuf uint32 // 0 when absent (the default is 65536)
	// Charset is "utf-8" or empty (ISO 8859-1).
	Charset string
	// Ciphers lists cipher-opts; present exactly when Qop offers auth-conf.
	Ciphers []string
}

// ParseSASLChallenge parses a digest-challenge.
func ParseSASLChallenge(s string) (*SASLChallenge, error) {
	ps, err := ParseParams(s)
	if err != nil {
		return nil, err
	}
	m, realms, err := directives(ps, "realm")
	if err != nil {
		return nil, err
	}
	c := SASLChallenge{Realms: realms}
	var ok bool
	if c.Nonce, ok = m["nonce"]; !ok || c.Nonce == "" {
		return nil, errorf("digest-challenge without nonce")
	}
	// RFC 2831 section 2.1.1: algorithm must be present, as md5-sess.
	if alg, ok := m["algorithm"]; !ok || !strings.EqualFold(alg, "md5-sess") {
		return nil, errorf("digest-challenge without algorithm=md5-sess")
	}
	if v, ok := m["qop"]; ok {
		if c.Qop, err = parseList("qop", v); err != nil {
			return nil, err
		}
	}
	if v, ok := m["stale"]; ok {
		if c.Stale, err = parseBool("stale", v); err != nil {
			return nil, err
		}
	}
	if v, ok := m["maxbuf"]; ok {
		if c.MaxBuf, err = parseMaxBuf(v); err != nil {
			return nil, err
		}
	}
	if v, ok := m["charset"]; ok {
		if !strings.EqualFold(v, "utf-8") {
			return nil, errorf("charset other than utf-8")
		}
		c.Charset = "utf-8"
	}
	v, hasCipher := m["cipher"]
	if hasCipher {
		if c.Ciphers, err = parseList("cipher", v); err != nil {
			return nil, err
		}
	}
	if offers(c.Qop, "auth-conf") != hasCipher {
		return nil, errorf("cipher present without auth-conf, or auth-conf without cipher")
	}
	return &c, nil
}

// Marshal encodes c as a digest-challenge.
func (c *SASLChallenge) Marshal() (string, error) {
	if c.Nonce == "" {
		return "", errorf("digest-challenge without nonce")
	}
	var ps []Param
	for _, r := range c.Realms {
		ps = append(ps, Param{Name: "realm", Value: r, Quoted: true})
	}
	ps = append(ps, Param{Name: "nonce", Value: c.Nonce, Quoted: true})
	if c.Qop != nil {
		q, err := joinList("qop", c.Qop, ",")
		if err != nil || q == "" {
			return "", errorf("bad qop list")
		}
		ps = append(ps, Param{Name: "qop", Value: q, Quoted: true})
	}
	if c.Stale {
		ps = append(ps, Param{Name: "stale", Value: "true"})
	}
	if c.MaxBuf != 0 {
		if c.MaxBuf > MaxSASLBuf {
			return "", errorf("maxbuf above the cap")
		}
		ps = append(ps, Param{Name: "maxbuf", Value: strconv.FormatUint(uint64(c.MaxBuf), 10)})
	}
	ps = append(ps, Param{Name: "algorithm", Value: "md5-sess"})
	if c.Charset != "" {
		ps = append(ps, Param{Name: "charset", Value: "utf-8"})
	}
	if (c.Ciphers != nil) != offers(c.Qop, "auth-conf") {
		return "", errorf("cipher present without auth-conf, or auth-conf without cipher")
	}
	if c.Ciphers != nil {
		list, err := joinList("cipher", c.Ciphers, ",")
		if err != nil || list == "" {
			return "", errorf("bad cipher list")
		}
		ps = append(ps, Param{Name: "cipher", Value: list, Quoted: true})
	}
	return MarshalParams(ps, ",")
}

// SASLResponse is an RFC 2831 digest-response (section 2.1.2).
type SASLResponse struct {
	Username  string
	Realm     string // empty when absent
	Nonce     string
	Cnonce    string
	NC        uint32
	Qop       string // empty when absent ("auth")
	DigestURI string
	Response  string // 32 hex digits
	MaxBuf    uint32 // 0 when absent
	Charset   string // "utf-8" or empty
	Cipher    string // present exactly with qop=auth-conf
	Authzid   string // empty when absent
}

// ParseSASLResponse parses a digest-response.
func ParseSASLResponse(s string) (*SASLResponse, error) {
	ps, err := ParseParams(s)
	if err != nil {
		return nil, err
	}
	m, _, err := directives(ps, "")
	if err != nil {
		return nil, err
	}
	var r SASLResponse
	for _, req := range []struct {
		name string
		dst  *string
	}{{"username", &r.Username}, {"nonce", &r.Nonce}, {"cnonce", &r.Cnonce},
		{"digest-uri", &r.DigestURI}, {"response", &r.Response}} {
		v, ok := m[req.name]
		if !ok {
			return nil, errorf("digest-response without " + req.name)
		}
		*req.dst = v
	}
	if r.Nonce == "" || r.Cnonce == "" {
		return nil, errorf("digest-response with an empty nonce or cnonce")
	}
	if len(r.Response) != 32 || !isHex(r.Response) {
		return nil, errorf("response is not 32 hex digits")
	}
	nc, ok := m["nc"]
	if !ok {
		return nil, errorf("digest-response without nc")
	}
	if r.NC, err = parseNC(nc); err != nil {
		return nil, err
	}
	r.Realm = m["realm"]
	r.Authzid = m["authzid"]
	if v, ok := m["qop"]; ok {
		if r.Qop, err = tokenValue("qop", v); err != nil {
			return nil, err
		}
	}
	if v, ok := m["maxbuf"]; ok {
		if r.MaxBuf, err = parseMaxBuf(v); err != nil {
			return nil, err
		}
	}
	if v, ok := m["charset"]; ok {
		if !strings.EqualFold(v, "utf-8") {
			return nil, errorf("charset other than utf-8")
		}
		r.Charset = "utf-8"
	}
	v, hasCipher := m["cipher"]
	if hasCipher {
		if r.Cipher, err = tokenValue("cipher", v); err != nil {
			return nil, err
		}
	}
	if hasCipher != (r.Qop == "auth-conf") {
		return nil, errorf("cipher present without auth-conf, or auth-conf without cipher")
	}
	return &r, nil
}

// Marshal encodes r as a digest-response.
func (r *SASLResponse) Marshal() (string, error) {
	if r.Nonce == "" || r.Cnonce == "" || r.NC == 0 {
		return "", errorf("digest-response without nonce, cnonce or nc")
	}
	if len(r.Response) != 32 || !isHex(r.Response) {
		return "", errorf("response is not 32 hex digits")
	}
	if (r.Cipher != "") != (r.Qop == "auth-conf") {
		return "", errorf("cipher present without auth-conf, or auth-conf without cipher")
	}
	var ps []Param
	if r.Charset != "" {
		ps = append(ps, Param{Name: "charset", Value: "utf-8"})
	}
	ps = append(ps, Param{Name: "username", Value: r.Username, Quoted: true})
	if r.Realm != "" {
		ps = append(ps, Param{Name: "realm", Value: r.Realm, Quoted: true})
	}
	ps = append(ps,
		Param{Name: "nonce", Value: r.Nonce, Quoted: true},
		Param{Name: "nc", Value: FormatNC(r.NC)},
		Param{Name: "cnonce", Value: r.Cnonce, Quoted: true},
		Param{Name: "digest-uri", Value: r.DigestURI, Quoted: true},
		Param{Name: "response", Value: r.Response})
	if r.Qop != "" {
		ps = append(ps, Param{Name: "qop", Value: r.Qop})
	}
	if r.MaxBuf != 0 {
		if r.MaxBuf > MaxSASLBuf {
			return "", errorf("maxbuf above the cap")
		}
		ps = append(ps, Param{Name: "maxbuf", Value: strconv.FormatUint(uint64(r.MaxBuf), 10)})
	}
	if r.Cipher != "" {
		ps = append(ps, Param{Name: "cipher", Value: r.Cipher})
	}
	if r.Authzid != "" {
		ps = append(ps, Param{Name: "authzid", Value: r.Authzid, Quoted: true})
	}
	return MarshalParams(ps, ",")
}

// ParseRspAuth parses the server's response-auth, "rspauth=" 32 hex digits
// (RFC 2831 section 2.1.3).
func ParseRspAuth(s string) (string, error) {
	ps, err := ParseParams(s)
	if err != nil {
		return "", err
	}
	if len(ps) != 1 || ps[0].Name != "rspauth" {
		return "", errorf("response-auth is not one rspauth directive")
	}
	if len(ps[0].Value) != 32 || !isHex(ps[0].Value) {
		return "", errorf("rspauth is not 32 hex digits")
	}
	return ps[0].Value, nil
}

// MarshalRspAuth encodes a response-auth.
func MarshalRspAuth(rspauth string) (string, error) {
	if len(rspauth) != 32 || !isHex(rspauth) {
		return "", errorf("rspauth is not 32 hex digits")
	}
	return "rspauth=" + rspauth, nil
}

func parseMaxBuf(v string) (uint32, error) {
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n == 0 || n > MaxSASLBuf || v[0] == '0' {
		return 0, errorf("maxbuf is not a number from 1 to 16777215")
	}
	return uint32(n), nil
}

func offers(list []string, v string) bool {
	for _, e := range list {
		if strings.EqualFold(e, v) {
			return true
		}
	}
	return false
}
