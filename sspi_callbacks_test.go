package schannel_test

import (
	"crypto/tls"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/certgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGetClientCertificateCalledOnce: the callback may prompt for a smart
// card's PIN, so one handshake asks it once, as crypto/tls does.
func TestGetClientCertificateCalledOnce(t *testing.T) {
	p := pki(t)
	clientCert := p.ca.MustIssue(certgen.LeafOptions{Names: []string{"alice"}, Client: true})
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			scfg := p.serverConfig()
			scfg.ClientAuth = tls.RequireAndVerifyClientCert
			scfg.ClientCAs = p.ca.Pool
			ccfg := p.clientConfig()
			ccfg.MaxVersion = version
			var calls atomic.Int32
			ccfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				calls.Add(1)
				return &clientCert, nil
			}
			_, server, err := connectOnce(t, ccfg, scfg)
			require.NoError(t, err)
			assert.Equal(t, int32(1), calls.Load())
			chain, err := server.ctx.RemoteCertificate()
			require.NoError(t, err)
			require.Len(t, chain, 1)
			assert.Equal(t, "alice", chain[0].Subject.CommonName)
		})
	}
}

// overlapDetector is a KeyLogWriter that, like most writers, is not safe
// for concurrent use: it notices a Write that starts while another runs.
type overlapDetector struct {
	inFlight atomic.Int32
	overlaps atomic.Int32
	lines    atomic.Int32
}

func (w *overlapDetector) Write(p []byte) (int, error) {
	if w.inFlight.Add(1) > 1 {
		w.overlaps.Add(1)
	}
	time.Sleep(200 * time.Microsecond) // widen the window a concurrent write would hit
	w.lines.Add(1)
	w.inFlight.Add(-1)
	return len(p), nil
}

// TestKeyLogWriterSerialised: connections sharing a KeyLogWriter never
// write to it at the same time (crypto/tls serialises them too).
func TestKeyLogWriterSerialised(t *testing.T) {
	p := pki(t)
	var w overlapDetector
	ccfg, scfg := p.clientConfig(), p.serverConfig()
	ccfg.KeyLogWriter, scfg.KeyLogWriter = &w, &w
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			client, server := newPeers(t, ccfg, scfg)
			assert.NoError(t, handshakePair(t, client, server, allAtOnce))
		})
	}
	wg.Wait()
	assert.Equal(t, int32(8*2*5), w.lines.Load(), "five TLS 1.3 secrets per side per connection")
	assert.Zero(t, w.overlaps.Load(), "writes overlapped")
}
