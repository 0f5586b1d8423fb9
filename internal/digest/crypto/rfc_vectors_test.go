package crypto

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRFC7616Section3_9_1 is the example of RFC 7616 section 3.9.1, whose
// challenge offers SHA-256 and MD5 with the same nonce.
func TestRFC7616Section3_9_1(t *testing.T) {
	for _, tc := range []struct {
		alg  *Algorithm
		want string
	}{
		{MD5, "8ca523f5e9506fed4657c9700eebdbec"},
		{SHA256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	} {
		t.Run(tc.alg.Name(), func(t *testing.T) {
			e := Exchange{
				Alg:    tc.alg,
				HA1:    tc.alg.HA1("Mufasa", "http-auth@example.org", "Circle of Life"),
				Nonce:  "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
				NC:     "00000001",
				Cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
				Qop:    "auth",
				Method: "GET",
				URI:    "/dir/index.html",
			}
			assert.Equal(t, tc.want, e.Response())
		})
	}
}

// TestRFC7616Section3_9_2 is the userhash example of RFC 7616 section
// 3.9.2: SHA-512-256, a user name outside ASCII, charset UTF-8. The value
// is the one of the RFC 7616 errata; the printed one is wrong. (The
// example's response is not checked: it was computed from that wrong value.)
func TestRFC7616Section3_9_2(t *testing.T) {
	const user, realm = "J\u00e4s\u00f8n Doe", "api@example.org"
	assert.Equal(t, "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b",
		SHA512_256.Userhash(user, realm))
}

// TestRFC2617Section3_5 is the example of RFC 2617 section 3.5.
func TestRFC2617Section3_5(t *testing.T) {
	e := Exchange{
		Alg:    MD5,
		HA1:    MD5.HA1("Mufasa", "testrealm@host.com", "Circle Of Life"),
		Nonce:  "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		NC:     "00000001",
		Cnonce: "0a4f113b",
		Qop:    "auth",
		Method: "GET",
		URI:    "/dir/index.html",
	}
	assert.Equal(t, "6629fae49393a05397450978507c4ef1", e.Response())
}

// TestRFC2831Section4 is the IMAP example of RFC 2831 section 4: the
// client's response and the server's rspauth.
func TestRFC2831Section4(t *testing.T) {
	secret := SASLSecret("chris", "elwood.innosoft.com", "secret")
	ha1 := SASLHA1(secret, "OA6MG9tEQGm2hh", "OA6MHXh6VqTrRk", "")
	assert.Equal(t, "d388dad90d4bbd760a152321f2143af7",
		SASLResponse(ha1, "OA6MG9tEQGm2hh", "00000001", "OA6MHXh6VqTrRk", "auth", "imap/elwood.innosoft.com", true))
	assert.Equal(t, "ea40f60335c427b5527b84dbabcdfffd",
		SASLResponse(ha1, "OA6MG9tEQGm2hh", "00000001", "OA6MHXh6VqTrRk", "auth", "imap/elwood.innosoft.com", false))
}
