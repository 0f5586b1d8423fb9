package wire

import (
	"strings"
	"unicode/utf8"
)

// DigestChallenge is one Digest challenge of a WWW-Authenticate or
// Proxy-Authenticate value (RFC 7616 section 3.3).
type DigestChallenge struct {
	Realm  string
	Domain string // space-separated URIs, as sent
	Nonce  string
	Opaque string
	Stale  bool
	// Algorithm is the name as sent ("SHA-256", "MD5-sess"); empty means
	// the directive was absent, which RFC 7616 reads as MD5.
	Algorithm string
	// Qop lists the qop options; nil when the directive was absent (the
	// RFC 2069 form without cnonce and nc).
	Qop      []string
	Charset  string // "UTF-8" or empty
	Userhash bool
}

// ParseWWWAuthenticate parses a whole WWW-Authenticate value and returns
// its Digest challenges in order, skipping other schemes. A value with no
// Digest challenge, or with a malformed one, is an error.
func ParseWWWAuthenticate(s string) ([]DigestChallenge, error) {
	chs, err := ParseChallenges(s)
	if err != nil {
		return nil, err
	}
	var out []DigestChallenge
	for _, ch := range chs {
		if !strings.EqualFold(ch.Scheme, "Digest") {
			continue
		}
		var d DigestChallenge
		if err := d.fromParams(ch); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, errorf("no Digest challenge")
	}
	return out, nil
}

func (c *DigestChallenge) fromParams(ch Challenge) error {
	if ch.Token68 != "" {
		return errorf("Digest challenge with a token68")
	}
	m, _, err := directives(ch.Params, "")
	if err != nil {
		return err
	}
	var d DigestChallenge
	var ok bool
	if d.Realm, ok = m["realm"]; !ok {
		return errorf("challenge without realm")
	}
	if d.Nonce, ok = m["nonce"]; !ok || d.Nonce == "" {
		return errorf("challenge without nonce")
	}
	d.Domain = m["domain"]
	d.Opaque = m["opaque"]
	if v, ok := m["stale"]; ok {
		if d.Stale, err = parseBool("stale", v); err != nil {
			return err
		}
	}
	if v, ok := m["userhash"]; ok {
		if d.Userhash, err = parseBool("userhash", v); err != nil {
			return err
		}
	}
	if v, ok := m["algorithm"]; ok {
		if d.Algorithm, err = tokenValue("algorithm", v); err != nil {
			return err
		}
	}
	if v, ok := m["qop"]; ok {
		if d.Qop, err = parseList("qop", v); err != nil {
			return err
		}
	}
	if v, ok := m["charset"]; ok {
		// RFC 7616 section 3.3: the only allowed value is "UTF-8".
		if !strings.EqualFold(v, "UTF-8") {
			return errorf("charset other than UTF-8")
		}
		d.Charset = "UTF-8"
	}
	*c = d
	return nil
}

// Challenge returns c as a generic challenge, directives in the order of
// RFC 7616 section 3.3.
func (c *DigestChallenge) Challenge() (Challenge, error) {
	if c.Nonce == "" {
		return Challenge{}, errorf("challenge without nonce")
	}
	ps := []Param{{Name: "realm", Value: c.Realm, Quoted: true}}
	if c.Domain != "" {
		ps = append(ps, Param{Name: "domain", Value: c.Domain, Quoted: true})
	}
	ps = append(ps, Param{Name: "nonce", Value: c.Nonce, Quoted: true})
	if c.Opaque != "" {
		ps = append(ps, Param{Name: "opaque", Value: c.Opaque, Quoted: true})
	}
	if c.Stale {
		ps = append(ps, Param{Name: "stale", Value: "true"})
	}
	if c.Algorithm != "" {
		ps = append(ps, Param{Name: "algorithm", Value: c.Algorithm})
	}
	if c.Qop != nil {
		q, err := joinList("qop", c.Qop, ",")
		if err != nil {
			return Challenge{}, err
		}
		if q == "" {
			return Challenge{}, errorf("qop is empty")
		}
		ps = append(ps, Param{Name: "qop", Value: q, Quoted: true})
	}
	if c.Charset != "" {
		ps = append(ps, Param{Name: "charset", Value: c.Charset})
	}
	if c.Userhash {
		ps = append(ps, Param{Name: "userhash", Value: "true"})
	}
	return Challenge{Scheme: "Digest", Params: ps}, nil
}

// MarshalWWWAuthenticate encodes challenges as one header value, in the
// order given (RFC 7616 section 3.7: most preferred first).
func MarshalWWWAuthenticate(cs []DigestChallenge) (string, error) {
	chs := make([]Challenge, 0, len(cs))
	for i := range cs {
		ch, err := cs[i].Challenge()
		if err != nil {
			return "", err
		}
		chs = append(chs, ch)
	}
	return MarshalChallenges(chs)
}

// DigestResponse is the Digest credentials of an Authorization or
// Proxy-Authorization value (RFC 7616 section 3.4).
type DigestResponse struct {
	// Username is the user name, decoded from username* when the peer
	// sent that form; with Userhash it is the hex userhash.
	Username string
	Realm    string
	URI      string
	Nonce    string
	Response string // hex, as sent
	// Algorithm as sent; empty when absent (MD5).
	Algorithm string
	Cnonce    string
	Opaque    string
	// Qop is the chosen qop; empty when absent, and then Cnonce and NC
	// are absent too (RFC 2617 section 3.2.2).
	Qop      string
	NC       uint32
	Userhash bool
	// HashedDirs, ServiceName and ChannelBinding are Microsoft's channel
	// binding directives (draft-santesson-digestbind-01, MS-DPSP section
	// 2.1): hashed-dirs names the directives hashed into the cnonce
	// ("service-name,channel-binding"), service-name is the SPN the
	// client aimed at, channel-binding the hex MD5 of its channel
	// bindings. Empty when absent.
	HashedDirs     string
	ServiceName    string
	ChannelBinding string
}

// ParseAuthorization parses an Authorization value holding one Digest
// response.
func ParseAuthorization(s string) (*DigestResponse, error) {
	chs, err := ParseChallenges(s)
	if err != nil {
		return nil, err
	}
	if len(chs) != 1 || !strings.EqualFold(chs[0].Scheme, "Digest") || chs[0].Token68 != "" {
		return nil, errorf("Authorization is not one Digest response")
	}
	m, _, err := directives(chs[0].Params, "")
	if err != nil {
		return nil, err
	}
	var r DigestResponse
	user, plain := m["username"]
	ext, star := m["username*"]
	switch {
	case plain && star:
		return nil, errorf("both username and username*")
	case plain:
		r.Username = user
	case star:
		if r.Username, err = decodeExtValue(ext); err != nil {
			return nil, err
		}
	default:
		return nil, errorf("response without username")
	}
	for _, req := range []struct {
		name string
		dst  *string
	}{{"realm", &r.Realm}, {"uri", &r.URI}, {"nonce", &r.Nonce}, {"response", &r.Response}} {
		v, ok := m[req.name]
		if !ok {
			return nil, errorf("response without " + req.name)
		}
		*req.dst = v
	}
	if r.Nonce == "" {
		return nil, errorf("response without nonce")
	}
	if !isHex(r.Response) {
		return nil, errorf("response is not hex")
	}
	if v, ok := m["algorithm"]; ok {
		if r.Algorithm, err = tokenValue("algorithm", v); err != nil {
			return nil, err
		}
	}
	r.Opaque = m["opaque"]
	if v, ok := m["userhash"]; ok {
		if r.Userhash, err = parseBool("userhash", v); err != nil {
			return nil, err
		}
	}
	if r.Userhash && (star || !isHex(r.Username)) {
		// RFC 7616 section 3.4.4: a userhash is hex, sent as username.
		return nil, errorf("userhash with a user name that is not hex")
	}
	qop, hasQop := m["qop"]
	cnonce, hasCnonce := m["cnonce"]
	nc, hasNC := m["nc"]
	if hasQop {
		if r.Qop, err = tokenValue("qop", qop); err != nil {
			return nil, err
		}
		if !hasCnonce || !hasNC || cnonce == "" {
			return nil, errorf("qop without cnonce and nc")
		}
		r.Cnonce = cnonce
		if r.NC, err = parseNC(nc); err != nil {
			return nil, err
		}
	} else if hasCnonce || hasNC {
		return nil, errorf("cnonce or nc without qop")
	}
	r.HashedDirs, r.ServiceName, r.ChannelBinding = m["hashed-dirs"], m["service-name"], m["channel-binding"]
	if r.ChannelBinding != "" && (len(r.ChannelBinding) != 32 || !isHex(r.ChannelBinding)) {
		// channel-binding = <"> 32LHEX <"> (draft-santesson-digestbind-01).
		return nil, errorf("channel-binding is not 32 hex digits")
	}
	return &r, nil
}

// Marshal encodes r as an Authorization value. A user name that is not
// printable ASCII goes as username* (RFC 7616 section 3.4.4).
func (r *DigestResponse) Marshal() (string, error) {
	if r.Nonce == "" {
		return "", errorf("response without nonce")
	}
	if !isHex(r.Response) {
		return "", errorf("response is not hex")
	}
	if r.Userhash && !isHex(r.Username) {
		return "", errorf("userhash with a user name that is not hex")
	}
	var ps []Param
	if needsExtValue(r.Username) && utf8.ValidString(r.Username) {
		// A name that is not UTF-8 (an old client's Latin-1, taken
		// as obs-text) has no username* form: it goes back quoted.
		ps = append(ps, Param{Name: "username*", Value: encodeExtValue(r.Username)})
	} else {
		ps = append(ps, Param{Name: "username", Value: r.Username, Quoted: true})
	}
	ps = append(ps,
		Param{Name: "realm", Value: r.Realm, Quoted: true},
		Param{Name: "uri", Value: r.URI, Quoted: true})
	if r.Algorithm != "" {
		ps = append(ps, Param{Name: "algorithm", Value: r.Algorithm})
	}
	ps = append(ps, Param{Name: "nonce", Value: r.Nonce, Quoted: true})
	if r.Qop != "" {
		if r.Cnonce == "" || r.NC == 0 {
			return "", errorf("qop without cnonce and nc")
		}
		ps = append(ps,
			Param{Name: "nc", Value: FormatNC(r.NC)},
			Param{Name: "cnonce", Value: r.Cnonce, Quoted: true},
			Param{Name: "qop", Value: r.Qop})
	} else if r.Cnonce != "" || r.NC != 0 {
		return "", errorf("cnonce or nc without qop")
	}
	ps = append(ps, Param{Name: "response", Value: r.Response, Quoted: true})
	if r.Opaque != "" {
		ps = append(ps, Param{Name: "opaque", Value: r.Opaque, Quoted: true})
	}
	if r.Userhash {
		ps = append(ps, Param{Name: "userhash", Value: "true"})
	}
	for _, p := range []Param{
		{Name: "hashed-dirs", Value: r.HashedDirs, Quoted: true},
		{Name: "service-name", Value: r.ServiceName, Quoted: true},
		{Name: "channel-binding", Value: r.ChannelBinding, Quoted: true},
	} {
		if p.Value != "" {
			ps = append(ps, p)
		}
	}
	return MarshalChallenges([]Challenge{{Scheme: "Digest", Params: ps}})
}

// AuthInfo is an Authentication-Info (or Proxy-Authentication-Info) value
// (RFC 7616 section 3.5). Every directive is optional.
type AuthInfo struct {
	NextNonce string
	Qop       string
	RspAuth   string // hex
	Cnonce    string
	NC        uint32 // 0 when absent
}

// ParseAuthInfo parses an Authentication-Info value.
func ParseAuthInfo(s string) (*AuthInfo, error) {
	ps, err := ParseParams(s)
	if err != nil {
		return nil, err
	}
	m, _, err := directives(ps, "")
	if err != nil {
		return nil, err
	}
	var a AuthInfo
	a.NextNonce = m["nextnonce"]
	a.Cnonce = m["cnonce"]
	if v, ok := m["qop"]; ok {
		if a.Qop, err = tokenValue("qop", v); err != nil {
			return nil, err
		}
	}
	if v, ok := m["rspauth"]; ok {
		if !isHex(v) {
			return nil, errorf("rspauth is not hex")
		}
		a.RspAuth = v
	}
	if v, ok := m["nc"]; ok {
		if a.NC, err = parseNC(v); err != nil {
			return nil, err
		}
	}
	return &a, nil
}

// Marshal encodes a as an Authentication-Info value.
func (a *AuthInfo) Marshal() (string, error) {
	var ps []Param
	if a.NextNonce != "" {
		ps = append(ps, Param{Name: "nextnonce", Value: a.NextNonce, Quoted: true})
	}
	if a.Qop != "" {
		ps = append(ps, Param{Name: "qop", Value: a.Qop})
	}
	if a.RspAuth != "" {
		if !isHex(a.RspAuth) {
			return "", errorf("rspauth is not hex")
		}
		ps = append(ps, Param{Name: "rspauth", Value: a.RspAuth, Quoted: true})
	}
	if a.Cnonce != "" {
		ps = append(ps, Param{Name: "cnonce", Value: a.Cnonce, Quoted: true})
	}
	if a.NC != 0 {
		ps = append(ps, Param{Name: "nc", Value: FormatNC(a.NC)})
	}
	return MarshalParams(ps, ", ")
}
