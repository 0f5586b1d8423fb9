package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/gosspi/schannel"
)

// connect is openssl s_client with an SSPI log: it connects, prints the
// log, the peer's chain and what was negotiated on stderr, then copies
// stdin to the connection and the connection to stdout.
func (c *cli) connect(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	serverName := fs.String("servername", "", "the server name to send and verify (default: the host of host:port)")
	alpn := fs.String("alpn", "", "ALPN protocols to offer, comma-separated (e.g. h2,http/1.1)")
	caFile := fs.String("cafile", "", "PEM file of the CAs to trust (default: the system's roots)")
	insecure := fs.Bool("insecure", false, "do not verify the server's certificate")
	starttls := fs.String("starttls", "", "upgrade a plaintext session first; only \"smtp\" is known")
	verbose := fs.Bool("v", false, "log every EncryptMessage and DecryptMessage call, not only the notable ones")
	timeout := fs.Duration("timeout", 10*time.Second, "time allowed to connect and complete the handshake")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: schannel connect [flags] host:port\n\nConnects like openssl s_client. The SSPI log, the certificate chain and the\nnegotiated parameters go to stderr; then stdin is sent and what arrives is\nwritten to stdout. At the end of stdin close_notify is sent.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("connect needs host:port")
	}
	addr := fs.Arg(0)
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	config := &tls.Config{ServerName: *serverName, InsecureSkipVerify: *insecure}
	if config.ServerName == "" {
		config.ServerName = host
	}
	if *alpn != "" {
		config.NextProtos = strings.Split(*alpn, ",")
	}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return err
		}
		config.RootCAs = x509.NewCertPool()
		if !config.RootCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s holds no PEM certificate", *caFile)
		}
	}

	dialCtx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(dialCtx, "tcp", addr)
	if err != nil {
		return err
	}
	defer raw.Close()
	fmt.Fprintf(c.stderr, "connected to %s (%s)\n", addr, raw.RemoteAddr())
	switch *starttls {
	case "":
	case "smtp":
		if err := c.smtpStartTLS(raw, *timeout); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	default:
		return fmt.Errorf("-starttls %q: only smtp is known", *starttls)
	}

	conn := schannel.Client(raw, config)
	conn.SetTrace((&sspiLog{w: c.stderr, records: *verbose}).hook)
	fmt.Fprintln(c.stderr, "--- SSPI log")
	if err := conn.HandshakeContext(dialCtx); err != nil {
		return err
	}
	fmt.Fprintln(c.stderr, "---")
	printChain(c.stderr, conn.ConnectionState().PeerCertificates)
	fmt.Fprintln(c.stderr, "---")
	printParameters(c.stderr, conn)
	fmt.Fprintln(c.stderr, "---")
	return c.relay(ctx, conn)
}

// relay copies stdin to conn and conn to stdout. At the end of stdin it
// sends close_notify and waits for the server to finish; when the server
// closes first, it returns at once.
func (c *cli) relay(ctx context.Context, conn *schannel.Conn) error {
	received := make(chan error, 1)
	go func() {
		_, err := io.Copy(c.stdout, conn)
		received <- err
	}()
	sent := make(chan error, 1)
	go func() {
		_, err := io.Copy(conn, c.stdin)
		if err == nil {
			err = conn.CloseWrite()
		}
		sent <- err
	}()
	var err error
	select {
	case err = <-received:
	case err = <-sent:
		if err == nil {
			err = <-received
			break
		}
		// Sending can fail because the server has already answered and
		// closed (an HTTP "Connection: close"): then what it sent is what
		// counts. Its reader ends at once in that case; give it a moment.
		select {
		case rerr := <-received:
			if rerr == nil || errors.Is(rerr, io.ErrUnexpectedEOF) {
				err = rerr
			}
		case <-time.After(time.Second):
		}
	case <-ctx.Done():
		err = ctx.Err()
	}
	_ = conn.Close()
	if errors.Is(err, io.ErrUnexpectedEOF) {
		fmt.Fprintln(c.stderr, "--- the server closed the connection without close_notify")
		return nil
	}
	if err == nil {
		fmt.Fprintln(c.stderr, "--- closed (close_notify)")
	}
	return err
}

// smtpStartTLS runs the plaintext part of an SMTP session up to the reply
// to STARTTLS, printing the dialogue.
func (c *cli) smtpStartTLS(raw net.Conn, timeout time.Duration) error {
	_ = raw.SetDeadline(time.Now().Add(timeout))
	defer raw.SetDeadline(time.Time{})
	r := bufio.NewReader(raw)
	reply := func(want string) ([]string, error) {
		var lines []string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return lines, err
			}
			line = strings.TrimRight(line, "\r\n")
			fmt.Fprintf(c.stderr, "S: %s\n", line)
			lines = append(lines, line)
			if !strings.HasPrefix(line, want) {
				return lines, fmt.Errorf("expected a %s reply", want)
			}
			if len(line) < 4 || line[3] != '-' {
				return lines, nil
			}
		}
	}
	send := func(cmd string) error {
		fmt.Fprintf(c.stderr, "C: %s\n", cmd)
		_, err := fmt.Fprintf(raw, "%s\r\n", cmd)
		return err
	}
	if _, err := reply("220"); err != nil {
		return err
	}
	if err := send("EHLO schannel-cli"); err != nil {
		return err
	}
	lines, err := reply("250")
	if err != nil {
		return err
	}
	offered := false
	for _, l := range lines {
		offered = offered || strings.EqualFold(strings.TrimSpace(l[min(4, len(l)):]), "STARTTLS")
	}
	if !offered {
		return errors.New("the server does not offer STARTTLS")
	}
	if err := send("STARTTLS"); err != nil {
		return err
	}
	if _, err := reply("220"); err != nil {
		return err
	}
	if r.Buffered() > 0 {
		return errors.New("the server sent data before the TLS handshake")
	}
	return nil
}
