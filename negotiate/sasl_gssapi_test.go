package negotiate

import (
	"encoding/base64"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/sspi"
)

// saslServer is the acceptor side of RFC 4752, for the tests: the
// Kerberos exchange, then the offer of layers and maximum size, then the
// client's choice.
type saslServer struct {
	t      *testing.T
	cred   *sspi.Credentials
	offer  []byte // layers and maximum size, before wrapping
	ctx    *sspi.Context
	choice []byte
}

func (s *saslServer) step(resp []byte) ([]byte, bool) {
	t := s.t
	switch {
	case s.ctx == nil:
		out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		ctx, st, err := sspi.AcceptSecurityContext(s.cred, nil, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, resp)}, sspi.ASC_REQ_ALLOCATE_MEMORY, out)
		require.NoError(t, err)
		require.Equal(t, sspi.SEC_E_OK, st)
		s.ctx = ctx
		return out[0].Buffer, false
	case s.choice == nil && len(resp) == 0:
		w, err := Wrap(s.ctx, s.offer, false)
		require.NoError(t, err)
		s.choice = []byte{}
		return w, false
	default:
		msg, _, err := Unwrap(s.ctx, resp)
		require.NoError(t, err)
		s.choice = msg
		return nil, true
	}
}

// TestSASLGSSAPILayers: each security layer of RFC 4752 negotiated, then
// a message protected both ways with it.
func TestSASLGSSAPILayers(t *testing.T) {
	newRealm(t)
	for _, c := range []struct {
		name         string
		client, srv  byte
		want         byte
		conf         bool
		wantMaxSend  uint32
		wantErrorMsg string
	}{
		{"none", 0, SASLLayerNone | SASLLayerIntegrity, SASLLayerNone, false, 0x010000, ""},
		{"integrity", SASLLayerIntegrity | SASLLayerNone, 0x07, SASLLayerIntegrity, false, 0x010000, ""},
		{"confidentiality", 0x07, 0x07, SASLLayerConfidentiality, true, 0x010000, ""},
		{"no common layer", SASLLayerConfidentiality, SASLLayerNone, 0, false, 0, "offers security layers 0x1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := &saslServer{t: t, cred: kerberosCred(t, sspi.SECPKG_CRED_INBOUND), offer: []byte{c.srv, 0x01, 0x00, 0x00}}
			cl := &GSSAPIClient{Service: "host", Host: "localhost", Layers: c.client, AuthzID: "admin"}
			var challenge []byte
			for i := 0; ; i++ {
				require.Less(t, i, 5)
				resp, done, err := cl.Step(challenge)
				if c.wantErrorMsg != "" && err != nil {
					assert.ErrorContains(t, err, c.wantErrorMsg)
					return
				}
				require.NoError(t, err)
				var srvDone bool
				challenge, srvDone = srv.step(resp)
				if done {
					require.True(t, srvDone)
					break
				}
			}
			require.Empty(t, c.wantErrorMsg)
			assert.Equal(t, c.want, cl.Layer)
			assert.Equal(t, c.wantMaxSend, cl.MaxSendSize)
			require.Len(t, srv.choice, 4+len("admin"))
			assert.Equal(t, c.want, srv.choice[0])
			assert.Equal(t, "admin", string(srv.choice[4:]))
			if c.want == SASLLayerNone {
				assert.Equal(t, []byte{0, 0, 0}, srv.choice[1:4], "no layer, no maximum size")
				return
			}
			w, err := Wrap(cl.Context, []byte("MAIL FROM:<user>"), c.conf)
			require.NoError(t, err)
			assert.Equal(t, c.conf, !strings.Contains(string(w), "MAIL FROM"))
			msg, conf, err := Unwrap(srv.ctx, w)
			require.NoError(t, err)
			assert.Equal(t, "MAIL FROM:<user>", string(msg))
			assert.Equal(t, c.conf, conf)
		})
	}
}

// TestSASLGSSAPIForgedOffer: a security-layer offer that is not a valid
// Wrap token of the context, or of the wrong length, is refused.
func TestSASLGSSAPIForgedOffer(t *testing.T) {
	newRealm(t)
	for _, c := range []struct {
		name   string
		offer  []byte
		mangle bool
		status sspi.Status
	}{
		{"flipped", []byte{1, 0, 16, 0}, true, sspi.SEC_E_MESSAGE_ALTERED},
		{"five bytes", []byte{1, 0, 16, 0, 0}, false, sspi.SEC_E_INVALID_TOKEN},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := &saslServer{t: t, cred: kerberosCred(t, sspi.SECPKG_CRED_INBOUND), offer: c.offer}
			cl := &GSSAPIClient{Service: "host", Host: "localhost"}
			resp, _, err := cl.Step(nil)
			require.NoError(t, err)
			ch, _ := srv.step(resp)
			resp, _, err = cl.Step(ch)
			require.NoError(t, err)
			ch, _ = srv.step(resp)
			if c.mangle {
				ch[len(ch)-1] ^= 1
			}
			_, _, err = cl.Step(ch)
			assert.ErrorIs(t, err, c.status)
		})
	}
}

// TestSMTPGSSAPIAuth: net/smtp's Client.Auth with GSSAPIAuth against an
// SMTP server that speaks AUTH GSSAPI (RFC 4954 with RFC 4752).
func TestSMTPGSSAPIAuth(t *testing.T) {
	r := newRealm(t)
	r.Admin(t, "addprinc -randkey smtp/localhost")
	r.Admin(t, "ktadd -k "+r.Keytab+" smtp/localhost")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	srv := &saslServer{t: t, cred: kerberosCred(t, sspi.SECPKG_CRED_INBOUND), offer: []byte{SASLLayerNone | SASLLayerIntegrity, 0, 0x10, 0}}
	served := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			served <- err.Error()
			return
		}
		defer c.Close()
		tp := textproto.NewConn(c)
		tp.PrintfLine("220 localhost ESMTP test")
		for {
			line, err := tp.ReadLine()
			if err != nil {
				served <- "read: " + err.Error()
				return
			}
			verb, arg, _ := strings.Cut(line, " ")
			switch strings.ToUpper(verb) {
			case "EHLO":
				tp.PrintfLine("250-localhost\r\n250 AUTH GSSAPI")
			case "AUTH":
				mech, initial, _ := strings.Cut(arg, " ")
				if mech != "GSSAPI" {
					tp.PrintfLine("504 no")
					continue
				}
				tok, _ := base64.StdEncoding.DecodeString(initial)
				for {
					ch, done := srv.step(tok)
					if done {
						tp.PrintfLine("235 2.7.0 Authentication successful")
						break
					}
					tp.PrintfLine("334 %s", base64.StdEncoding.EncodeToString(ch))
					l, err := tp.ReadLine()
					if err != nil {
						served <- err.Error()
						return
					}
					tok, _ = base64.StdEncoding.DecodeString(l)
				}
			case "QUIT":
				tp.PrintfLine("221 bye")
				names, _ := srv.ctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
				served <- names.(sspi.Names).UserName
				return
			default:
				tp.PrintfLine("500 what")
			}
		}
	}()
	conn, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	c, err := smtp.NewClient(conn, "localhost")
	require.NoError(t, err)
	require.NoError(t, c.Auth(GSSAPIAuth("localhost", "")))
	require.NoError(t, c.Quit())
	assert.Equal(t, "user@TEST.LOCAL", <-served)
	assert.Equal(t, byte(SASLLayerNone), srv.choice[0])
}

// TestSASLGSSAPIClientServer: our GSSAPIClient against our GSSAPIServer
// at each layer, and a server that refuses a layer it did not offer.
func TestSASLGSSAPIClientServer(t *testing.T) {
	newRealm(t)
	for _, c := range []struct {
		name           string
		client, server byte
		want           byte
	}{
		{"none", 0, 0, SASLLayerNone},
		{"integrity", 0x03, 0x03, SASLLayerIntegrity},
		{"confidentiality", 0x07, 0x07, SASLLayerConfidentiality},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := &GSSAPIClient{Service: "host", Host: "localhost", Layers: c.client, AuthzID: "admin", MaxReceiveSize: 4096}
			srv := &GSSAPIServer{Credentials: kerberosCred(t, sspi.SECPKG_CRED_INBOUND), Layers: c.server, MaxReceiveSize: 8192}
			resp, _, err := cl.Step(nil)
			require.NoError(t, err)
			for i := 0; ; i++ {
				require.Less(t, i, 5)
				ch, done, err := srv.Step(resp)
				require.NoError(t, err)
				if done {
					break
				}
				resp, _, err = cl.Step(ch)
				require.NoError(t, err)
			}
			assert.Equal(t, "user@TEST.LOCAL", srv.User)
			assert.Equal(t, "admin", srv.AuthzID)
			assert.Equal(t, c.want, srv.Layer)
			assert.Equal(t, c.want, cl.Layer)
			assert.Equal(t, uint32(8192), cl.MaxSendSize)
			if c.want != SASLLayerNone {
				assert.Equal(t, uint32(4096), srv.MaxSendSize)
			}
		})
	}
	t.Run("layer not offered", func(t *testing.T) {
		srv := &GSSAPIServer{Credentials: kerberosCred(t, sspi.SECPKG_CRED_INBOUND), Layers: SASLLayerNone}
		kc := kerberosCred(t, sspi.SECPKG_CRED_OUTBOUND)
		kctx, _, apreq, err := isc(kc, nil, "host/localhost", fullReq, nil)
		require.NoError(t, err)
		aprep, _, err := srv.Step(apreq)
		require.NoError(t, err)
		_, _, _, err = isc(kc, kctx, "host/localhost", fullReq, aprep)
		require.NoError(t, err)
		_, _, err = srv.Step(nil)
		require.NoError(t, err)
		choice, err := Wrap(kctx, []byte{SASLLayerConfidentiality, 0, 16, 0}, false)
		require.NoError(t, err)
		_, _, err = srv.Step(choice)
		assert.ErrorContains(t, err, "chose security layer 0x4")
	})
}
