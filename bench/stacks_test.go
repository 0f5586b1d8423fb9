package bench_test

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
)

// stack is one TLS implementation under test.
type stack struct {
	name   string
	client func(net.Conn, *tls.Config) net.Conn
	server func(net.Conn, *tls.Config) net.Conn
}

var stacks = []stack{
	{"schannel",
		func(c net.Conn, cfg *tls.Config) net.Conn { return schannel.Client(c, cfg) },
		func(c net.Conn, cfg *tls.Config) net.Conn { return schannel.Server(c, cfg) }},
	{"cryptotls",
		func(c net.Conn, cfg *tls.Config) net.Conn { return tls.Client(c, cfg) },
		func(c net.Conn, cfg *tls.Config) net.Conn { return tls.Server(c, cfg) }},
}

type handshaker interface{ Handshake() error }

// fixture is a CA and server certificates of each key type, made once.
type fixture struct {
	ca    *certgen.CA
	certs map[certgen.KeyType]tls.Certificate
}

var shared *fixture

func pki(b testing.TB) *fixture {
	if shared == nil {
		ca, err := certgen.NewCA("bench CA")
		if err != nil {
			b.Fatal(err)
		}
		shared = &fixture{ca: ca, certs: map[certgen.KeyType]tls.Certificate{}}
		for _, k := range []certgen.KeyType{certgen.ECDSAP256, certgen.RSA2048} {
			shared.certs[k] = ca.MustIssue(certgen.LeafOptions{Names: []string{"bench.example"}, Key: k})
		}
	}
	return shared
}

func (f *fixture) configs(key certgen.KeyType) (client, server *tls.Config) {
	return &tls.Config{RootCAs: f.ca.Pool, ServerName: "bench.example"},
		&tls.Config{Certificates: []tls.Certificate{f.certs[key]}}
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(b testing.TB, ln net.Listener) (net.Conn, net.Conn) {
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	c1, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	c2 := <-accepted
	if c2 == nil {
		b.Fatal("accept failed")
	}
	return c1, c2
}

func listen(b testing.TB) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	return ln
}

// connect makes an established client/server pair of st over loopback TCP.
func connect(b testing.TB, st stack, ln net.Listener, clientCfg, serverCfg *tls.Config) (net.Conn, net.Conn) {
	raw1, raw2 := tcpPair(b, ln)
	client, server := st.client(raw1, clientCfg), st.server(raw2, serverCfg)
	errs := make(chan error, 1)
	go func() { errs <- server.(handshaker).Handshake() }()
	if err := client.(handshaker).Handshake(); err != nil {
		b.Fatal(err)
	}
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return client, server
}
