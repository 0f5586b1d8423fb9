package digest_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"testing"

	"github.com/gosspi/schannel/digest"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSMTP serves one SMTP session on conn whose AUTH DIGEST-MD5 runs on
// AcceptSecurityContext; forge edits the rspauth it sends (nil: none),
// skipRspauth answers 235 without it. It returns the user who logged in.
func fakeSMTP(conn net.Conn, scred *sspi.Credentials, forge func([]byte) []byte, skipRspauth bool) <-chan string {
	done := make(chan string, 1)
	go func() {
		defer conn.Close()
		defer close(done)
		r := bufio.NewReader(conn)
		say := func(format string, args ...any) { fmt.Fprintf(conn, format+"\r\n", args...) }
		read := func() string {
			line, _ := r.ReadString('\n')
			return strings.TrimRight(line, "\r\n")
		}
		say("220 test ESMTP")
		var ctx *sspi.Context
		for {
			line := read()
			switch {
			case strings.HasPrefix(line, "EHLO"):
				say("250-test")
				say("250 AUTH DIGEST-MD5")
			case line == "AUTH DIGEST-MD5":
				out := tokenOut()
				var err error
				ctx, _, err = sspi.AcceptSecurityContext(scred, nil, nil, 0, out)
				if err != nil {
					say("454 %v", err)
					continue
				}
				say("334 %s", base64.StdEncoding.EncodeToString(out[0].Buffer))
				resp, _ := base64.StdEncoding.DecodeString(read())
				out = tokenOut()
				_, st, err := sspi.AcceptSecurityContext(scred, ctx, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, resp)}, 0, out)
				if err != nil || st != sspi.SEC_E_OK {
					say("535 authentication failed")
					continue
				}
				if !skipRspauth {
					rsp := out[0].Buffer
					if forge != nil {
						rsp = forge(rsp)
					}
					say("334 %s", base64.StdEncoding.EncodeToString(rsp))
					if read() != "" {
						say("501 expected an empty response")
						continue
					}
				}
				names, _ := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
				done <- names.(sspi.Names).UserName
				say("235 authenticated")
			case line == "QUIT":
				say("221 bye")
				return
			case line == "*":
				say("501 cancelled")
			default:
				if line == "" {
					return
				}
				say("502 %s", line)
			}
		}
	}()
	return done
}

func TestSMTPAuth(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pass   string
		forge  func([]byte) []byte
		skip   bool
		status sspi.Status
	}{
		{name: "ok", pass: testPassword},
		{name: "wrong password", pass: "x", status: sspi.SEC_E_LOGON_DENIED},
		{name: "wrong rspauth", pass: testPassword, forge: func(b []byte) []byte {
			return []byte("rspauth=00000000000000000000000000000000")
		}, status: sspi.SEC_E_MUTUAL_AUTH_FAILED},
		{name: "no rspauth", pass: testPassword, skip: true, status: sspi.SEC_E_MUTUAL_AUTH_FAILED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cconn, sconn := net.Pipe()
			done := fakeSMTP(sconn, serverCred(t, nil), tc.forge, tc.skip)
			c, err := smtp.NewClient(cconn, "mail.example.com")
			require.NoError(t, err)
			defer c.Close()
			err = c.Auth(digest.SMTPAuth(clientCred(t, func(id *digest.Identity) { id.Password = tc.pass }), "mail.example.com"))
			if tc.status == sspi.SEC_E_LOGON_DENIED {
				// The server says 535; net/smtp reports it.
				assert.ErrorContains(t, err, "535")
				return
			}
			if tc.status != sspi.SEC_E_OK {
				assert.ErrorIs(t, err, tc.status)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, testUser, <-done)
			require.NoError(t, c.Quit())
		})
	}
}

// TestSASLClientMechanism drives the generic mechanism directly, as an
// IMAP or LDAP client would, with the auth-conf layer afterwards.
func TestSASLClientMechanism(t *testing.T) {
	scred := serverCred(t, nil)
	m := digest.NewSASLClient(clientCred(t, nil), "imap", "elwood.innosoft.com", sspi.ISC_REQ_CONFIDENTIALITY)
	var mech digest.Mechanism = m
	name, initial, err := mech.Start()
	require.NoError(t, err)
	assert.Equal(t, "DIGEST-MD5", name)
	assert.Nil(t, initial)

	out := tokenOut()
	sctx, _, err := sspi.AcceptSecurityContext(scred, nil, nil, sspi.ASC_REQ_CONFIDENTIALITY, out)
	require.NoError(t, err)
	resp, err := mech.Next(out[0].Buffer)
	require.NoError(t, err)
	assert.Contains(t, string(resp), `digest-uri="imap/elwood.innosoft.com"`)
	assert.False(t, mech.Done())
	out = tokenOut()
	_, st, err := sspi.AcceptSecurityContext(scred, sctx, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, resp)}, sspi.ASC_REQ_CONFIDENTIALITY, out)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st)
	last, err := mech.Next(out[0].Buffer)
	require.NoError(t, err)
	assert.Empty(t, last)
	assert.True(t, mech.Done())

	bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("a1 SELECT INBOX")), sspi.NewSecBuffer(sspi.SECBUFFER_PADDING, make([]byte, 24))}
	_, err = m.Context().EncryptMessage(0, bufs)
	require.NoError(t, err)
	_, _, err = sctx.DecryptMessage(bufs)
	require.NoError(t, err)
	assert.Equal(t, "a1 SELECT INBOX", string(bufs[0].Buffer))
}
