//go:build linux

// Package interop_test proves the schannel Conn against real TLS peers that
// run as separate processes on loopback: OpenSSL (s_server, s_client), GnuTLS
// (gnutls-serv, gnutls-cli), curl, nginx, Chromium and Postfix.
//
// A peer whose binary is missing makes its tests skip, unless
// SCHANNEL_INTEROP=require, when they fail instead (CI installs the Debian
// packages listed in .ci/interop-deps and sets it).
//
// Every test records what it proved in a table of cells. Run with -update
// (or SCHANNEL_WRITE_INTEROP=1) to write it as Markdown to
// testdata/interop.md; otherwise it goes to a temporary file whose name is
// printed in verbose mode.
package interop_test

import (
	"github.com/gosspi/schannel/sspi"

	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gosspi/schannel/internal/certgen"
)

var update = flag.Bool("update", false, "write the interop table to testdata/interop.md")

// thePKI is made once for the whole run: RSA keys take a while, and every
// peer reads the same files.
var thePKI *pki

func TestMain(m *testing.M) {
	flag.Parse()
	// A panic in a package fails the run instead of hiding behind a status.
	os.Setenv(sspi.RepanicEnv, "1")
	dir, err := os.MkdirTemp("", "schannel-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(1)
	}
	thePKI, err = newPKI(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if err := writeTable(); err != nil {
		fmt.Fprintln(os.Stderr, "interop: writing the table:", err)
		if code == 0 {
			code = 1
		}
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// pki holds the certificates of every test, as crypto/tls values for our side
// and as PEM files for the peers.
type pki struct {
	dir string
	ca  *certgen.CA
	// CAFile is the root that signs everything.
	CAFile string
	// ECDSA and RSA are server certificates for localhost, 127.0.0.1 and ::1.
	ECDSA, RSA            tls.Certificate
	ECDSAFile, ECDSAKey   string
	RSAFile, RSAKey       string
	Client                tls.Certificate // CN=client, client-auth usage
	ClientFile, ClientKey string
	// P521 and ClientP521 are ECDSA P-521 server and client certificates,
	// for the cells that exercise ecdsa_secp521r1_sha512.
	P521                          tls.Certificate
	P521File, P521Key             string
	ClientP521                    tls.Certificate
	ClientP521File, ClientP521Key string
}

func newPKI(dir string) (*pki, error) {
	ca, err := certgen.NewCA("schannel interop CA")
	if err != nil {
		return nil, err
	}
	p := &pki{dir: dir, ca: ca}
	names := []string{"localhost", "127.0.0.1", "::1"}
	if p.ECDSA, err = ca.Issue(certgen.LeafOptions{Names: names, Key: certgen.ECDSAP256}); err != nil {
		return nil, err
	}
	if p.RSA, err = ca.Issue(certgen.LeafOptions{Names: names, Key: certgen.RSA2048}); err != nil {
		return nil, err
	}
	if p.Client, err = ca.Issue(certgen.LeafOptions{Names: []string{"client"}, Key: certgen.ECDSAP256, Client: true}); err != nil {
		return nil, err
	}
	if p.P521, err = ca.Issue(certgen.LeafOptions{Names: names, Key: certgen.ECDSAP521}); err != nil {
		return nil, err
	}
	if p.ClientP521, err = ca.Issue(certgen.LeafOptions{Names: []string{"client"}, Key: certgen.ECDSAP521, Client: true}); err != nil {
		return nil, err
	}
	p.CAFile = filepath.Join(dir, "ca.pem")
	if err := writePEM(p.CAFile, "CERTIFICATE", ca.Cert.Raw); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		cert     tls.Certificate
		certFile *string
		keyFile  *string
		name     string
	}{
		{p.ECDSA, &p.ECDSAFile, &p.ECDSAKey, "ecdsa"},
		{p.RSA, &p.RSAFile, &p.RSAKey, "rsa"},
		{p.Client, &p.ClientFile, &p.ClientKey, "client"},
		{p.P521, &p.P521File, &p.P521Key, "p521"},
		{p.ClientP521, &p.ClientP521File, &p.ClientP521Key, "client-p521"},
	} {
		*c.certFile = filepath.Join(dir, c.name+".pem")
		*c.keyFile = filepath.Join(dir, c.name+".key")
		if err := writePEM(*c.certFile, "CERTIFICATE", c.cert.Certificate[0]); err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(c.cert.PrivateKey)
		if err != nil {
			return nil, err
		}
		if err := writePEM(*c.keyFile, "PRIVATE KEY", der); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644)
}

// clientConfig is our client's configuration: it trusts the test CA and
// expects localhost.
func (p *pki) clientConfig() *tls.Config {
	return &tls.Config{RootCAs: p.ca.Pool, ServerName: "localhost"}
}

// serverConfig is our server's configuration with one certificate.
func (p *pki) serverConfig(rsa bool) *tls.Config {
	cert := p.ECDSA
	if rsa {
		cert = p.RSA
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}
}

// files of the server certificate matching rsa.
func (p *pki) serverFiles(rsa bool) (cert, key string) {
	if rsa {
		return p.RSAFile, p.RSAKey
	}
	return p.ECDSAFile, p.ECDSAKey
}
