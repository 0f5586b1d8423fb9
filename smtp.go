package schannel

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"strings"
)

// SMTPStartTLS upgrades the SMTP session of c to TLS over this package's
// Conn, as smtp.Client.StartTLS does over crypto/tls (which it is tied to):
// it sends STARTTLS, runs the handshake on raw (the connection c was made
// with) and returns a new smtp.Client over the TLS connection that has
// already said EHLO again, as RFC 3207 section 4.2 requires; its Extension
// reports what the server offers after the upgrade. c must not be used
// afterwards. localName is the EHLO name ("" means "localhost", net/smtp's
// default); config.ServerName should name the server.
//
//	c, tlsConn, err := schannel.SMTPStartTLS(c, raw, &tls.Config{ServerName: "smtp.example.com"}, "me.example.com")
//
// smtp.PlainAuth sends a password only over a connection net/smtp knows to
// be TLS; pass it through tlsConn.SMTPAuth.
func SMTPStartTLS(c *smtp.Client, raw net.Conn, config *tls.Config, localName string) (*smtp.Client, *Conn, error) {
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return nil, nil, errors.New("schannel: the SMTP server does not offer STARTTLS")
	}
	id, err := c.Text.Cmd("STARTTLS")
	if err != nil {
		return nil, nil, err
	}
	c.Text.StartResponse(id)
	_, msg, err := c.Text.ReadResponse(220)
	c.Text.EndResponse(id)
	if err != nil {
		return nil, nil, fmt.Errorf("schannel: STARTTLS refused: %w", err)
	}
	tlsConn := Client(raw, config)
	if err := tlsConn.Handshake(); err != nil {
		return nil, nil, err
	}
	host := "localhost"
	if config != nil && config.ServerName != "" {
		host = config.ServerName
	}
	// smtp.NewClient reads a greeting, which a server does not send again
	// after STARTTLS: it is given the one that answered STARTTLS.
	greeting := "220 " + strings.ReplaceAll(msg, "\n", " ") + "\r\n"
	next, err := smtp.NewClient(&greetedConn{Conn: tlsConn, greeting: []byte(greeting)}, host)
	if err != nil {
		return nil, nil, err
	}
	if localName == "" {
		localName = "localhost"
	}
	if err := next.Hello(localName); err != nil {
		return nil, nil, err
	}
	// Hello only records the name; an extension query sends EHLO now. A
	// failed EHLO is remembered by the client and returned by its next
	// command.
	_, _ = next.Extension("STARTTLS")
	return next, tlsConn, nil
}

// greetedConn returns a greeting before what the connection carries.
type greetedConn struct {
	net.Conn
	greeting []byte
}

func (g *greetedConn) Read(p []byte) (int, error) {
	if len(g.greeting) > 0 {
		n := copy(p, g.greeting)
		g.greeting = g.greeting[n:]
		return n, nil
	}
	return g.Conn.Read(p)
}

// SMTPAuth returns a, told that the connection is TLS when this Conn's
// handshake has completed: net/smtp reports TLS only for *tls.Conn, so
// smtp.PlainAuth would otherwise refuse to send the password to any host but
// localhost.
func (c *Conn) SMTPAuth(a smtp.Auth) smtp.Auth { return &connAuth{Auth: a, conn: c} }

type connAuth struct {
	smtp.Auth
	conn *Conn
}

func (a *connAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if a.conn.established.Load() {
		info := *server
		info.TLS = true
		server = &info
	}
	return a.Auth.Start(server)
}
