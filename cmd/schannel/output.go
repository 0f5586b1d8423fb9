package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/gosspi/schannel"
)

// sspiLog prints trace events as the lines of an SSPI log. Its hook may be
// called from several goroutines at once.
type sspiLog struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	// records shows every EncryptMessage and DecryptMessage call; otherwise
	// only those whose status is worth a look (RENEGOTIATE, CONTEXT_EXPIRED,
	// failures), since a transfer makes one per record.
	records bool
}

func (l *sspiLog) hook(e schannel.TraceEvent) {
	if !l.records && routineRecordCall(e) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s%s\n", l.prefix, e)
}

func routineRecordCall(e schannel.TraceEvent) bool {
	return (e.Func == "EncryptMessage" || e.Func == "DecryptMessage") &&
		(e.Status == schannel.SEC_E_OK || e.Status == schannel.SEC_E_INCOMPLETE_MESSAGE)
}

var protocolNames = map[uint32]string{
	schannel.SP_PROT_TLS1_2_CLIENT: "SP_PROT_TLS1_2_CLIENT",
	schannel.SP_PROT_TLS1_2_SERVER: "SP_PROT_TLS1_2_SERVER",
	schannel.SP_PROT_TLS1_3_CLIENT: "SP_PROT_TLS1_3_CLIENT",
	schannel.SP_PROT_TLS1_3_SERVER: "SP_PROT_TLS1_3_SERVER",
}

// printParameters prints what a connection negotiated, from the same
// queries a Schannel program makes (SECPKG_ATTR_CONNECTION_INFO,
// SECPKG_ATTR_STREAM_SIZES, SECPKG_ATTR_REMOTE_CERT_CONTEXT).
func printParameters(w io.Writer, conn *schannel.Conn) {
	cs := conn.ConnectionState()
	row := func(name, format string, args ...any) {
		fmt.Fprintf(w, "  %-14s%s\n", name, fmt.Sprintf(format, args...))
	}
	ctx := conn.Context()
	if ctx == nil {
		row("handshake", "not completed")
		return
	}
	if ci, err := ctx.ConnectionInfo(); err == nil {
		row("protocol", "%s (%s)", tls.VersionName(ci.Version), protocolNames[ci.Protocol])
		row("cipher suite", "%s", ci.CipherSuiteName)
		row("key exchange", "%s", ci.KeyExchangeGroup)
		if ci.SignatureScheme != 0 {
			row("signature", "%s", ci.SignatureScheme)
		}
	}
	alpn := cs.NegotiatedProtocol
	if alpn == "" {
		alpn = "(none)"
	}
	row("ALPN", "%s", alpn)
	if cs.ServerName != "" {
		row("server name", "%s", cs.ServerName)
	}
	row("resumed", "%v", cs.DidResume)
	if sizes, err := conn.StreamSizes(); err == nil {
		row("stream sizes", "header %d, trailer %d, maximum message %d", sizes.Header, sizes.Trailer, sizes.MaximumMessage)
	}
	if len(cs.PeerCertificates) > 0 {
		leaf := cs.PeerCertificates[0]
		row("peer", "%s", leaf.Subject)
		row("issued by", "%s", leaf.Issuer)
		row("valid until", "%s", leaf.NotAfter.UTC().Format(time.RFC3339))
		if names := certNames(leaf); names != "" {
			row("names", "%s", names)
		}
	}
}

// printChain prints the certificates the peer sent, as openssl s_client does.
func printChain(w io.Writer, certs []*x509.Certificate) {
	fmt.Fprintln(w, "certificate chain:")
	for i, c := range certs {
		fmt.Fprintf(w, "  %d s:%s\n    i:%s\n", i, c.Subject, c.Issuer)
	}
}

func certNames(c *x509.Certificate) string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return strings.Join(names, ", ")
}
