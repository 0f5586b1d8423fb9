package wire

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rfc7616Challenge is the WWW-Authenticate of RFC 7616 section 3.9.1: two
// Digest challenges in one value.
const rfc7616Challenge = `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, ` +
	`nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", ` +
	`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, ` +
	`nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`

// rfc7616Authorization is the SHA-256 Authorization of RFC 7616 section
// 3.9.1.
const rfc7616Authorization = `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", ` +
	`algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, ` +
	`cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, ` +
	`response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", ` +
	`opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`

// rfc7616UserhashAuthorization is the Authorization of RFC 7616 section
// 3.9.2 with the user name sent as username* instead of a userhash.
const rfc7616ExtAuthorization = `Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm="api@example.org", ` +
	`uri="/doc/index.html", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", ` +
	`nc=00000001, cnonce="NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", qop=auth, ` +
	`response="ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd", ` +
	`opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS"`

// The messages of RFC 2831 section 4 (IMAP).
const (
	rfc2831Challenge = `realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8`
	rfc2831Response  = `charset=utf-8,username="chris",realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",nc=00000001,` +
		`cnonce="OA6MHXh6VqTrRk",digest-uri="imap/elwood.innosoft.com",response=d388dad90d4bbd760a152321f2143af7,qop=auth`
	rfc2831RspAuth = `rspauth=ea40f60335c427b5527b84dbabcdfffd`
)

func TestParseWWWAuthenticateRFC7616(t *testing.T) {
	cs, err := ParseWWWAuthenticate(rfc7616Challenge)
	require.NoError(t, err)
	require.Len(t, cs, 2)
	assert.Equal(t, DigestChallenge{
		Realm:     "http-auth@example.org",
		Nonce:     "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
		Opaque:    "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
		Algorithm: "SHA-256",
		Qop:       []string{"auth", "auth-int"},
	}, cs[0])
	assert.Equal(t, "MD5", cs[1].Algorithm)
}

func TestParseChallengesMixedSchemes(t *testing.T) {
	chs, err := ParseChallenges(`Negotiate, Basic realm="a, b", NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=, ` +
		`Digest realm = "r\"q\\", nonce=abc ,, stale=TRUE,Newauth`)
	require.NoError(t, err)
	require.Len(t, chs, 5)
	assert.Equal(t, Challenge{Scheme: "Negotiate"}, chs[0])
	assert.Equal(t, Challenge{Scheme: "Basic", Params: []Param{{"realm", "a, b", true}}}, chs[1])
	assert.Equal(t, "TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=", chs[2].Token68)
	assert.Equal(t, []Param{{"realm", `r"q\`, true}, {"nonce", "abc", false}, {"stale", "TRUE", false}}, chs[3].Params)
	assert.Equal(t, Challenge{Scheme: "Newauth"}, chs[4])

	cs, err := ParseWWWAuthenticate(`Basic realm="x", Digest realm="r\"q\\", nonce=abc, stale=TRUE`)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, DigestChallenge{Realm: `r"q\`, Nonce: "abc", Stale: true}, cs[0])
	out, err := MarshalWWWAuthenticate(cs)
	require.NoError(t, err)
	assert.Equal(t, `Digest realm="r\"q\\", nonce="abc", stale=true`, out)
}

func TestParseWWWAuthenticateMalformed(t *testing.T) {
	long := strings.Repeat("a", MaxValueLen+1)
	for _, tc := range []struct{ name, in string }{
		{"empty", ``},
		{"unbalanced quotes", `Digest realm="r, nonce="n"`},
		{"unterminated", `Digest realm="r", nonce="n`},
		{"escape at end", `Digest realm="r", nonce="n\`},
		{"duplicate nonce", `Digest realm="r", nonce="n", nonce="m"`},
		{"duplicate in other case", `Digest realm="r", nonce="n", Realm="s"`},
		{"missing nonce", `Digest realm="r", qop="auth"`},
		{"empty nonce", `Digest realm="r", nonce=""`},
		{"missing realm", `Digest nonce="n"`},
		{"huge value", `Digest realm="r", nonce="` + long + `"`},
		{"huge token", `Digest realm="r", nonce=` + long},
		{"huge header", `Digest realm="r", nonce="n", ` + strings.Repeat(`x="`+strings.Repeat("y", 1000)+`", `, 17)},
		{"too many parameters", `Digest realm="r", nonce="n"` + strings.Repeat(`, x=y`, MaxParams)},
		{"control character", "Digest realm=\"r\x01\", nonce=\"n\""},
		{"bad stale", `Digest realm="r", nonce="n", stale=maybe`},
		{"bad charset", `Digest realm="r", nonce="n", charset=latin1`},
		{"empty qop", `Digest realm="r", nonce="n", qop=""`},
		{"qop with space in token", `Digest realm="r", nonce="n", qop="auth int"`},
		{"algorithm not a token", `Digest realm="r", nonce="n", algorithm="MD 5"`},
		{"token68 Digest", `Digest abc==`},
		{"no Digest", `Basic realm="r"`},
		{"missing value", `Digest realm=, nonce="n"`},
		{"scheme glued to quote", `Digest"realm"`},
		{"garbage after value", `Digest realm="r"x, nonce="n"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseWWWAuthenticate(tc.in)
			var wireErr *Error
			require.Error(t, err)
			assert.True(t, errors.As(err, &wireErr), "got %T", err)
		})
	}
}

func TestParseAuthorization(t *testing.T) {
	r, err := ParseAuthorization(rfc7616Authorization)
	require.NoError(t, err)
	assert.Equal(t, DigestResponse{
		Username:  "Mufasa",
		Realm:     "http-auth@example.org",
		URI:       "/dir/index.html",
		Nonce:     "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
		Response:  "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
		Algorithm: "SHA-256",
		Cnonce:    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
		Opaque:    "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
		Qop:       "auth",
		NC:        1,
	}, *r)
	out, err := r.Marshal()
	require.NoError(t, err)
	assert.Equal(t, rfc7616Authorization, out, "Marshal writes the RFC's own order")

	r, err = ParseAuthorization(rfc7616ExtAuthorization)
	require.NoError(t, err)
	assert.Equal(t, "J\u00e4s\u00f8n Doe", r.Username)
	out, err = r.Marshal()
	require.NoError(t, err)
	assert.Equal(t, rfc7616ExtAuthorization, out)
}

func TestParseAuthorizationMalformed(t *testing.T) {
	const ok = `Digest username="u", realm="r", uri="/", nonce="n", nc=00000001, cnonce="c", qop=auth, response="0a"`
	_, err := ParseAuthorization(ok)
	require.NoError(t, err)
	for _, tc := range []struct{ name, in string }{
		{"two users", ok + `, username*=UTF-8''u`},
		{"no user", strings.Replace(ok, `username="u", `, "", 1)},
		{"no uri", strings.Replace(ok, `uri="/", `, "", 1)},
		{"no response", strings.Replace(ok, `, response="0a"`, "", 1)},
		{"response not hex", strings.Replace(ok, `"0a"`, `"0x"`, 1)},
		{"nc short", strings.Replace(ok, `00000001`, `0001`, 1)},
		{"nc zero", strings.Replace(ok, `00000001`, `00000000`, 1)},
		{"nc not hex", strings.Replace(ok, `00000001`, `0000000g`, 1)},
		{"qop without cnonce", strings.Replace(ok, `cnonce="c", `, "", 1)},
		{"nc without qop", strings.Replace(ok, `qop=auth, `, "", 1)},
		{"duplicate nc", ok + `, nc=00000002`},
		{"latin1 username*", strings.Replace(ok, `username="u"`, `username*=ISO-8859-1''%E4`, 1)},
		{"bad escape", strings.Replace(ok, `username="u"`, `username*=UTF-8''%E`, 1)},
		{"invalid UTF-8", strings.Replace(ok, `username="u"`, `username*=UTF-8''%FF`, 1)},
		{"userhash not hex", ok + `, userhash=true`},
		{"two challenges", ok + `, Digest realm="r"`},
		{"Basic", `Basic dTpw`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAuthorization(tc.in)
			var wireErr *Error
			assert.True(t, errors.As(err, &wireErr), "got %v", err)
		})
	}
}

func TestAuthInfo(t *testing.T) {
	a, err := ParseAuthInfo(`rspauth="0A", nextnonce="nn", qop=auth, cnonce="c", nc=0000000a`)
	require.NoError(t, err)
	assert.Equal(t, AuthInfo{NextNonce: "nn", Qop: "auth", RspAuth: "0A", Cnonce: "c", NC: 10}, *a)
	out, err := a.Marshal()
	require.NoError(t, err)
	assert.Equal(t, `nextnonce="nn", qop=auth, rspauth="0A", cnonce="c", nc=0000000a`, out)
	for _, bad := range []string{`rspauth="zz"`, `nc=1`, `rspauth="0a", rspauth="0a"`, `qop="a b"`, `"x"`} {
		_, err := ParseAuthInfo(bad)
		assert.Error(t, err, bad)
	}
}

func TestSASLRFC2831Section4(t *testing.T) {
	c, err := ParseSASLChallenge(rfc2831Challenge)
	require.NoError(t, err)
	assert.Equal(t, SASLChallenge{Realms: []string{"elwood.innosoft.com"}, Nonce: "OA6MG9tEQGm2hh",
		Qop: []string{"auth"}, Charset: "utf-8"}, *c)
	out, err := c.Marshal()
	require.NoError(t, err)
	assert.Equal(t, rfc2831Challenge, out)

	r, err := ParseSASLResponse(rfc2831Response)
	require.NoError(t, err)
	assert.Equal(t, SASLResponse{Username: "chris", Realm: "elwood.innosoft.com", Nonce: "OA6MG9tEQGm2hh",
		Cnonce: "OA6MHXh6VqTrRk", NC: 1, Qop: "auth", DigestURI: "imap/elwood.innosoft.com",
		Response: "d388dad90d4bbd760a152321f2143af7", Charset: "utf-8"}, *r)
	out, err = r.Marshal()
	require.NoError(t, err)
	assert.Equal(t, rfc2831Response, out)

	rsp, err := ParseRspAuth(rfc2831RspAuth)
	require.NoError(t, err)
	assert.Equal(t, "ea40f60335c427b5527b84dbabcdfffd", rsp)
}

func TestSASLChallengeMultiRealmCipher(t *testing.T) {
	in := `realm="a",realm="b",nonce="n",qop="auth,auth-int,auth-conf",cipher="rc4-40,rc4-56,rc4,des,3des",maxbuf=4096,algorithm=md5-sess`
	c, err := ParseSASLChallenge(in)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, c.Realms)
	assert.Equal(t, []string{"rc4-40", "rc4-56", "rc4", "des", "3des"}, c.Ciphers)
	assert.Equal(t, uint32(4096), c.MaxBuf)
}

func TestSASLMalformed(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"no nonce", `realm="r",algorithm=md5-sess`},
		{"no algorithm", `nonce="n"`},
		{"md5 algorithm", `nonce="n",algorithm=md5`},
		{"two nonces", `nonce="n",nonce="m",algorithm=md5-sess`},
		{"auth-conf without cipher", `nonce="n",qop="auth-conf",algorithm=md5-sess`},
		{"cipher without auth-conf", `nonce="n",qop="auth",cipher="rc4",algorithm=md5-sess`},
		{"maxbuf zero", `nonce="n",maxbuf=0,algorithm=md5-sess`},
		{"maxbuf huge", `nonce="n",maxbuf=99999999999,algorithm=md5-sess`},
		{"unbalanced", `nonce="n,algorithm=md5-sess`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSASLChallenge(tc.in)
			var wireErr *Error
			assert.True(t, errors.As(err, &wireErr), "got %v", err)
		})
	}
	for _, tc := range []struct{ name, in string }{
		{"no cnonce", strings.Replace(rfc2831Response, `cnonce="OA6MHXh6VqTrRk",`, "", 1)},
		{"no nc", strings.Replace(rfc2831Response, `nc=00000001,`, "", 1)},
		{"no digest-uri", strings.Replace(rfc2831Response, `digest-uri="imap/elwood.innosoft.com",`, "", 1)},
		{"short response", strings.Replace(rfc2831Response, `response=d388`, `response=d38`, 1)},
		{"two usernames", rfc2831Response + `,username="x"`},
		{"auth-conf without cipher", strings.Replace(rfc2831Response, `qop=auth`, `qop=auth-conf`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSASLResponse(tc.in)
			var wireErr *Error
			assert.True(t, errors.As(err, &wireErr), "got %v", err)
		})
	}
	for _, bad := range []string{``, `rspauth=0a`, `rspauth=ea40f60335c427b5527b84dbabcdfffd,x=y`} {
		_, err := ParseRspAuth(bad)
		assert.Error(t, err, bad)
	}
}
