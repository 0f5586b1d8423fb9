package schannel_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMutualTLS(t *testing.T) {
	p := pki(t)
	clientCert := p.ca.MustIssue(certgen.LeafOptions{Names: []string{"alice"}, Client: true})
	scfg := p.serverConfig()
	scfg.ClientAuth = tls.RequireAndVerifyClientCert
	scfg.ClientCAs = p.ca.Pool
	ccfg := p.clientConfig()
	ccfg.Certificates = []tls.Certificate{clientCert}
	client, server := established(t, ccfg, scfg)
	chain, err := server.ctx.RemoteCertificate()
	require.NoError(t, err)
	require.Len(t, chain, 1)
	assert.Equal(t, "alice", chain[0].Subject.CommonName)
	_ = client
}

// TestIncompleteCredentials: the server asks for a certificate the client
// does not have; Schannel says SEC_I_INCOMPLETE_CREDENTIALS and the caller
// goes on with ISC_REQ_USE_SUPPLIED_CREDS, feeding the same input again (as
// curl does) or only what was left (as schannel-rs does).
func TestIncompleteCredentials(t *testing.T) {
	for _, refeed := range []bool{true, false} {
		name := map[bool]string{true: "same input again", false: "only the rest"}[refeed]
		t.Run(name, func(t *testing.T) {
			p := pki(t)
			scfg := p.serverConfig()
			scfg.ClientAuth = tls.RequestClientCert
			client, server := newPeers(t, p.clientConfig(), scfg)
			flight := firstFlight(t, client, server)

			client.inbox = flight
			status, out, err := client.call(t)
			require.NoError(t, err)
			require.Equal(t, schannel.SEC_I_INCOMPLETE_CREDENTIALS, status)
			assert.Empty(t, out)
			if refeed {
				client.inbox = flight
			}
			client.flags = schannel.ISC_REQ_USE_SUPPLIED_CREDS
			status, finished, err := client.call(t)
			require.NoError(t, err)
			require.Equal(t, schannel.SEC_E_OK, status)
			assert.Empty(t, client.inbox, "nothing is left over")
			assert.NotZero(t, client.ctx.Attributes()&schannel.ISC_RET_USED_SUPPLIED_CREDS)

			server.inbox = finished
			status, _, err = server.call(t)
			require.NoError(t, err)
			assert.Equal(t, schannel.SEC_E_OK, status)
			chain, err := server.ctx.RemoteCertificate()
			require.NoError(t, err)
			assert.Empty(t, chain)
		})
	}
}

func TestRequiredClientCertificateMissing(t *testing.T) {
	p := pki(t)
	scfg := p.serverConfig()
	scfg.ClientAuth = tls.RequireAnyClientCert
	client, server := newPeers(t, p.clientConfig(), scfg)
	client.flags = schannel.ISC_REQ_USE_SUPPLIED_CREDS
	err := handshakePair(t, client, server, allAtOnce)
	assert.ErrorIs(t, err, schannel.SEC_E_CERT_UNKNOWN)
	var se *schannel.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 116, se.Alert, "certificate_required")
}

func TestHelloRetryRequestBetweenOurOwnEnds(t *testing.T) {
	p := pki(t)
	scfg := p.serverConfig()
	scfg.CurvePreferences = []tls.CurveID{tls.CurveP384}
	for name, split := range map[string]splitter{"whole": allAtOnce, "bytewise": oneByte} {
		t.Run(name, func(t *testing.T) {
			client, server := newPeers(t, p.clientConfig(), scfg)
			require.NoError(t, handshakePair(t, client, server, split))
			info, err := client.ctx.ConnectionInfo()
			require.NoError(t, err)
			assert.Equal(t, tls.CurveP384, info.KeyExchangeGroup)
		})
	}
}

func TestKeyLogWriter(t *testing.T) {
	p := pki(t)
	var clientLog, serverLog bytes.Buffer
	ccfg, scfg := p.clientConfig(), p.serverConfig()
	ccfg.KeyLogWriter, scfg.KeyLogWriter = &clientLog, &serverLog
	established(t, ccfg, scfg)
	assert.Equal(t, clientLog.String(), serverLog.String(), "both ends log the same secrets")
	var labels []string
	for line := range strings.Lines(clientLog.String()) {
		fields := strings.Fields(line)
		require.Len(t, fields, 3)
		assert.Len(t, fields[1], 64, "client random in hex")
		labels = append(labels, fields[0])
	}
	assert.Equal(t, []string{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
		"CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"}, labels)
}

func TestVerifyCallbacks(t *testing.T) {
	p := pki(t)
	ccfg := p.clientConfig()
	var sawChains int
	ccfg.VerifyPeerCertificate = func(raw [][]byte, chains [][]*x509.Certificate) error {
		sawChains = len(chains)
		return nil
	}
	ccfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if cs.ServerName != "example.com" {
			return assert.AnError
		}
		return nil
	}
	established(t, ccfg, p.serverConfig())
	assert.Equal(t, 1, sawChains)

	ccfg = p.clientConfig()
	ccfg.VerifyConnection = func(tls.ConnectionState) error { return assert.AnError }
	client, server := newPeers(t, ccfg, p.serverConfig())
	err := handshakePair(t, client, server, allAtOnce)
	assert.ErrorIs(t, err, assert.AnError, "the callback's error is kept")
	assert.ErrorIs(t, err, schannel.SEC_E_CERT_UNKNOWN)
}
