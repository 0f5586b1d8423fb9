package schannel_test

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smtpServer is a small SMTP server for the tests: banner first, then EHLO,
// STARTTLS, MAIL, RCPT, DATA and QUIT. wrap turns the plain connection into
// a TLS one (our Server or crypto/tls), at once for SMTPS or on STARTTLS.
type smtpServer struct {
	implicitTLS bool
	wrap        func(net.Conn) net.Conn
	messages    chan string
	// ehlo records each EHLO as "secure name" or "plain name"; auth the
	// AUTH PLAIN responses received over TLS (AUTH is offered only then).
	ehlo []string
	auth []string
}

func (s *smtpServer) serve(raw net.Conn) error {
	conn := raw
	if s.implicitTLS {
		conn = s.wrap(raw)
	}
	defer func() { _ = conn.Close() }()
	secure := s.implicitTLS
	text := textproto.NewConn(conn)
	// The banner goes out right after the handshake: for SMTPS it arrives
	// with or just after the server's last flight.
	if err := text.PrintfLine("220 test.local ESMTP ready"); err != nil {
		return err
	}
	for {
		line, err := text.ReadLine()
		if err != nil {
			return err
		}
		verb, _, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			_, name, _ := strings.Cut(line, " ")
			if !secure {
				s.ehlo = append(s.ehlo, "plain "+name)
				err = text.PrintfLine("250-test.local\r\n250-STARTTLS\r\n250 8BITMIME")
			} else {
				s.ehlo = append(s.ehlo, "secure "+name)
				err = text.PrintfLine("250-test.local\r\n250-AUTH PLAIN\r\n250 8BITMIME")
			}
		case "AUTH":
			if !secure {
				err = text.PrintfLine("530 must issue STARTTLS first")
				break
			}
			s.auth = append(s.auth, line)
			err = text.PrintfLine("235 authenticated")
		case "STARTTLS":
			if secure {
				err = text.PrintfLine("503 already secure")
				break
			}
			if err := text.PrintfLine("220 go ahead"); err != nil {
				return err
			}
			conn = s.wrap(raw)
			text = textproto.NewConn(conn)
			secure = true
		case "MAIL", "RCPT":
			err = text.PrintfLine("250 ok")
		case "DATA":
			if err := text.PrintfLine("354 end with <CRLF>.<CRLF>"); err != nil {
				return err
			}
			body, err := text.ReadDotBytes()
			if err != nil {
				return err
			}
			s.messages <- string(body)
			err = text.PrintfLine("250 queued")
			if err != nil {
				return err
			}
		case "QUIT":
			return text.PrintfLine("221 bye")
		default:
			err = text.PrintfLine("502 unknown command")
		}
		if err != nil {
			return err
		}
	}
}

// sendMail runs one mail transaction on an smtp.Client that is past EHLO.
func sendMail(t *testing.T, c *smtp.Client, msg string) {
	t.Helper()
	require.NoError(t, c.Mail("alice@example.com"))
	require.NoError(t, c.Rcpt("bob@example.com"))
	w, err := c.Data()
	require.NoError(t, err)
	_, err = fmt.Fprint(w, msg)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, c.Quit())
}

// assertSameMessage compares what the server received (textproto turns CRLF
// into LF and undoes dot-stuffing) with what was sent.
func assertSameMessage(t *testing.T, sent, received string) {
	t.Helper()
	want := strings.ReplaceAll(sent, "\r\n", "\n")
	assert.True(t, want == received, "the message arrived altered (%d bytes sent, %d received)", len(want), len(received))
}

func smtpMessage() string {
	var b strings.Builder
	b.WriteString("Subject: over schannel\r\n\r\n")
	for i := range 2000 { // several records' worth
		fmt.Fprintf(&b, "line %d of the message, with a dot at the start next:\r\n.dotted %d\r\n", i, i)
	}
	return b.String()
}

func smtpWrappers(p *testPKI) map[string]func(net.Conn) net.Conn {
	return map[string]func(net.Conn) net.Conn{
		"our server":        func(c net.Conn) net.Conn { return schannel.Server(c, p.serverConfig()) },
		"crypto/tls server": func(c net.Conn) net.Conn { return tls.Server(c, p.serverConfig()) },
	}
}

// TestSMTPImplicitTLS: net/smtp over a Conn dialed to an SMTPS server. The
// banner is the first thing the server writes after the handshake; the
// client's first Read must return it.
func TestSMTPImplicitTLS(t *testing.T) {
	p := pki(t)
	for name, wrap := range smtpWrappers(p) {
		t.Run(name, func(t *testing.T) {
			rc, rs := connTCPPair(t)
			srv := &smtpServer{implicitTLS: true, wrap: wrap, messages: make(chan string, 1)}
			done := connAsync(func() error { return srv.serve(rs) })

			conn := schannel.Client(rc, p.clientConfig())
			c, err := smtp.NewClient(conn, "example.com") // reads the banner
			require.NoError(t, err)
			require.NoError(t, c.Hello("client.local"))
			ok, _ := c.Extension("8BITMIME")
			assert.True(t, ok)
			msg := smtpMessage()
			sendMail(t, c, msg)
			assertSameMessage(t, msg, connWait(t, srv.messages))
			require.NoError(t, connWait(t, done))
		})
	}
}

// TestSMTPStartTLS: the session starts in plaintext through smtp.NewClient;
// after STARTTLS the same connection is upgraded with Client, and the
// smtp.Client carries on over it. net/smtp's own StartTLS is tied to
// crypto/tls, so the upgrade is done by hand, as with any other TLS stack.
func TestSMTPStartTLS(t *testing.T) {
	p := pki(t)
	for name, wrap := range smtpWrappers(p) {
		t.Run(name, func(t *testing.T) {
			rc, rs := connTCPPair(t)
			srv := &smtpServer{wrap: wrap, messages: make(chan string, 1)}
			done := connAsync(func() error { return srv.serve(rs) })

			c, err := smtp.NewClient(rc, "example.com")
			require.NoError(t, err)
			require.NoError(t, c.Hello("client.local"))
			ok, _ := c.Extension("STARTTLS")
			require.True(t, ok)
			id, err := c.Text.Cmd("STARTTLS")
			require.NoError(t, err)
			c.Text.StartResponse(id)
			_, _, err = c.Text.ReadResponse(220)
			c.Text.EndResponse(id)
			require.NoError(t, err)

			conn := schannel.Client(rc, p.clientConfig())
			require.NoError(t, conn.Handshake())
			c.Text = textproto.NewConn(conn)
			// RFC 3207: the client forgets what it knew and says EHLO again.
			id, err = c.Text.Cmd("EHLO client.local")
			require.NoError(t, err)
			c.Text.StartResponse(id)
			_, lines, err := c.Text.ReadResponse(250)
			c.Text.EndResponse(id)
			require.NoError(t, err)
			assert.NotContains(t, lines, "STARTTLS")

			msg := smtpMessage()
			sendMail(t, c, msg)
			assertSameMessage(t, msg, connWait(t, srv.messages))
			require.NoError(t, connWait(t, done))
			assert.Equal(t, uint16(tls.VersionTLS13), conn.ConnectionState().Version)
		})
	}
}

// TestSMTPStartTLSHelper: SMTPStartTLS upgrades the session in one call,
// says EHLO again (RFC 3207 4.2) so that the extensions offered over TLS are
// seen, and smtp.PlainAuth, passed through Conn.SMTPAuth, sends the
// password over it.
func TestSMTPStartTLSHelper(t *testing.T) {
	p := pki(t)
	for name, wrap := range smtpWrappers(p) {
		t.Run(name, func(t *testing.T) {
			rc, rs := connTCPPair(t)
			srv := &smtpServer{wrap: wrap, messages: make(chan string, 1)}
			done := connAsync(func() error { return srv.serve(rs) })

			c, err := smtp.NewClient(rc, "example.com")
			require.NoError(t, err)
			require.NoError(t, c.Hello("client.local"))
			c, tlsConn, err := schannel.SMTPStartTLS(c, rc, p.clientConfig(), "client.local")
			require.NoError(t, err)
			assert.Equal(t, uint16(tls.VersionTLS13), tlsConn.ConnectionState().Version)
			ok, _ := c.Extension("STARTTLS")
			assert.False(t, ok, "the extensions are those offered over TLS")
			ok, mechs := c.Extension("AUTH")
			require.True(t, ok)
			assert.Equal(t, "PLAIN", mechs)

			plain := smtp.PlainAuth("", "alice", "s3cret", "example.com")
			// net/smtp reports TLS only for *tls.Conn (and c.Auth quits the
			// session when Start fails), so check Start on its own.
			_, _, err = plain.Start(&smtp.ServerInfo{Name: "example.com", Auth: []string{"PLAIN"}})
			assert.Error(t, err, "PlainAuth refuses a connection it does not know is TLS")
			_, _, err = tlsConn.SMTPAuth(plain).Start(&smtp.ServerInfo{Name: "example.com", Auth: []string{"PLAIN"}})
			assert.NoError(t, err)
			require.NoError(t, c.Auth(tlsConn.SMTPAuth(plain)))

			msg := smtpMessage()
			sendMail(t, c, msg)
			assertSameMessage(t, msg, connWait(t, srv.messages))
			require.NoError(t, connWait(t, done))
			assert.Equal(t, []string{"plain client.local", "secure client.local"}, srv.ehlo)
			require.Len(t, srv.auth, 1)
			assert.Equal(t, "AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00alice\x00s3cret")), srv.auth[0])
		})
	}
}

// TestSMTPStartTLSRefused: a server that does not offer STARTTLS is an
// error, not a plaintext session.
func TestSMTPStartTLSRefused(t *testing.T) {
	p := pki(t)
	rc, rs := connTCPPair(t)
	srv := &smtpServer{implicitTLS: true, wrap: func(c net.Conn) net.Conn { return schannel.Server(c, p.serverConfig()) }, messages: make(chan string, 1)}
	go func() { _ = srv.serve(rs) }()
	conn := schannel.Client(rc, p.clientConfig())
	c, err := smtp.NewClient(conn, "example.com") // SMTPS: already TLS, no STARTTLS offered
	require.NoError(t, err)
	_, _, err = schannel.SMTPStartTLS(c, conn, p.clientConfig(), "")
	assert.ErrorContains(t, err, "does not offer STARTTLS")
}
