package engine

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gosspi/schannel/internal/digest/wire"
	"github.com/gosspi/schannel/sspi"
)

// The statuses each side may return; anything else, or a panic, fails.
var (
	clientStatuses = map[sspi.Status]bool{
		sspi.SEC_E_OK: true, sspi.SEC_I_CONTINUE_NEEDED: true, sspi.SEC_E_INVALID_TOKEN: true,
		sspi.SEC_E_LOGON_DENIED: true, sspi.SEC_E_MUTUAL_AUTH_FAILED: true, sspi.SEC_E_ALGORITHM_MISMATCH: true,
		sspi.SEC_E_QOP_NOT_SUPPORTED: true, sspi.SEC_E_INVALID_HANDLE: true,
	}
	serverStatuses = map[sspi.Status]bool{
		sspi.SEC_E_OK: true, sspi.SEC_I_CONTINUE_NEEDED: true, sspi.SEC_E_INVALID_TOKEN: true,
		sspi.SEC_E_LOGON_DENIED: true, sspi.SEC_E_OUT_OF_SEQUENCE: true, sspi.SEC_E_QOP_NOT_SUPPORTED: true,
		sspi.SEC_E_INVALID_HANDLE: true, sspi.SEC_E_BAD_BINDINGS: true,
	}
)

func seeded() *rand.ChaCha8 { return rand.NewChaCha8([32]byte{1}) }

func checkStatus(t *testing.T, allowed map[sspi.Status]bool, st sspi.Status, err error) {
	t.Helper()
	if !allowed[st] {
		t.Fatalf("unexpected status %v (%v)", st, err)
	}
	if (err != nil) != st.Failed() {
		t.Fatalf("status %v with error %v", st, err)
	}
}

// FuzzClientHTTP feeds the client a challenge and then whatever the server
// might send next.
func FuzzClientHTTP(f *testing.F) {
	f.Add(`Digest realm="r", nonce="n", qop="auth, auth-int", algorithm=SHA-256, userhash=true, Digest realm="r", nonce="n"`, `rspauth="00", nextnonce="m"`)
	f.Add(`Digest realm="r", nonce="n", qop="auth-int"`, `Digest realm="r", nonce="m", stale=true`)
	f.Fuzz(func(t *testing.T, first, second string) {
		c, err := NewClient(ClientConfig{Username: "u", Secret: Secret{Password: "p"}, Rand: seeded()})
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{first, second} {
			out, st, err := c.Step(get([]byte(tok)))
			checkStatus(t, clientStatuses, st, err)
			if st == sspi.SEC_I_CONTINUE_NEEDED {
				if _, err := wire.ParseAuthorization(string(out)); err != nil {
					t.Fatalf("client sent an Authorization it cannot parse: %q: %v", out, err)
				}
			}
		}
	})
}

// FuzzClientSASL does the same in SASL mode.
func FuzzClientSASL(f *testing.F) {
	f.Add(`realm="r",nonce="n",qop="auth,auth-int,auth-conf",cipher="rc4,des",algorithm=md5-sess,charset=utf-8`, `rspauth=0123456789abcdef0123456789abcdef`)
	f.Fuzz(func(t *testing.T, first, second string) {
		c, err := NewClient(ClientConfig{Mode: SASL, Username: "u", Secret: Secret{Password: "p"}, Rand: seeded()})
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{first, second} {
			_, st, err := c.Step(spn([]byte(tok)))
			checkStatus(t, clientStatuses, st, err)
		}
	})
}

// FuzzServerHTTP is structure-aware: it builds a valid Authorization, bound
// to a channel, sets one of its fields to the fuzzer's value and checks
// that the server gives an allowed status, and SEC_E_OK only when the
// change is one the protocol ignores.
func FuzzServerHTTP(f *testing.F) {
	for i := range 15 {
		f.Add(uint8(i), "x")
	}
	f.Add(uint8(3), "SHA-256")
	f.Add(uint8(5), "auth-int")
	f.Fuzz(func(t *testing.T, field uint8, value string) {
		clk := newClock()
		srv := newTestServer(t, clk, func(cfg *ServerConfig) { cfg.Rand = seeded() })
		sc := srv.NewContext()
		bound := func(tok []byte) Input {
			in := get(tok)
			in.ChannelBinding = bindingA
			return in
		}
		ch, _, _ := sc.Step(bound(nil))
		c := newTestClient(t, func(cfg *ClientConfig) { cfg.Rand = seeded() })
		cin := bound(ch)
		cin.ServiceName = "HTTP/www.example.org"
		auth, _, err := c.Step(cin)
		if err != nil {
			t.Fatal(err)
		}
		r, err := wire.ParseAuthorization(string(auth))
		if err != nil {
			t.Fatal(err)
		}
		orig := *r
		ignorable := false
		switch field % 15 {
		case 0:
			r.Username = value
		case 1:
			r.Realm = value
		case 2:
			r.URI = value
		case 3:
			r.Algorithm = value
			ignorable = strings.EqualFold(value, orig.Algorithm)
		case 4:
			r.Response = value
			ignorable = strings.EqualFold(value, orig.Response)
		case 5:
			r.Qop = value
		case 6:
			r.Cnonce = value
		case 7:
			if len(value) > 0 {
				r.NC = uint32(value[0])
			}
		case 8:
			r.Nonce = value
		case 9:
			r.Opaque = value
		case 10:
			r.Userhash = len(value)%2 == 1
		case 11:
			r.Username, r.Userhash = value, true
		case 12:
			r.ServiceName = value
		case 13:
			r.ChannelBinding = value
			ignorable = strings.EqualFold(value, orig.ChannelBinding)
		case 14:
			r.HashedDirs = value
			ignorable = strings.EqualFold(strings.ReplaceAll(value, " ", ""), orig.HashedDirs)
		}
		tok, err := r.Marshal()
		if err != nil {
			return // not a value the wire format can carry
		}
		_, st, err := sc.Step(bound([]byte(tok)))
		checkStatus(t, serverStatuses, st, err)
		if st == sspi.SEC_E_OK && *r != orig && !ignorable {
			t.Fatalf("server accepted a changed response:\n%+v\n%+v", orig, *r)
		}
	})
}

// FuzzServerSASL feeds the SASL server an arbitrary digest-response.
func FuzzServerSASL(f *testing.F) {
	f.Add(`charset=utf-8,username="Mufasa",realm="test@example.org",nonce="n",nc=00000001,cnonce="c",digest-uri="imap/elwood.innosoft.com",response=d388dad90d4bbd760a152321f2143af7,qop=auth-conf,cipher=rc4`)
	f.Fuzz(func(t *testing.T, tok string) {
		srv := newTestServer(t, newClock(), func(cfg *ServerConfig) {
			cfg.Mode, cfg.Rand = SASL, seeded()
			cfg.Qop = []string{QopAuth, QopAuthInt, QopAuthConf}
		})
		sc := srv.NewContext()
		if _, _, err := sc.Step(spn(nil)); err != nil {
			t.Fatal(err)
		}
		_, st, err := sc.Step(spn([]byte(tok)))
		checkStatus(t, serverStatuses, st, err)
		if st == sspi.SEC_E_OK {
			t.Fatalf("server accepted a response made without the password: %q", tok)
		}
	})
}
