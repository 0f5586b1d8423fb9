package schannel_test

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serverFlight12 captures a real TLS 1.2 server flight. Unlike TLS 1.3 it
// is plaintext, so a test can rewrite it message by message.
func serverFlight12(t *testing.T, serverCfg *tls.Config) (*sspiPeer, [][]byte) {
	t.Helper()
	p := pki(t)
	ccfg := p.clientConfig()
	ccfg.MaxVersion = tls.VersionTLS12
	client, server := newPeers(t, ccfg, serverCfg)
	flight := firstFlight(t, client, server)
	var payload []byte
	for len(flight) > 0 {
		_, _, n, ok := wire.ParseRecordHeader(flight)
		require.True(t, ok)
		payload = append(payload, flight[5:5+n]...)
		flight = flight[5+n:]
	}
	var msgs [][]byte
	for len(payload) > 0 {
		_, n, ok := wire.ParseHandshakeHeader(payload)
		require.True(t, ok)
		msgs = append(msgs, payload[:4+n])
		payload = payload[4+n:]
	}
	return client, msgs
}

func reframe(msgs [][]byte) []byte {
	body := bytes.Join(msgs, nil)
	return append(wire.AppendRecordHeader(nil, wire.ContentHandshake, wire.VersionTLS12, len(body)), body...)
}

func TestHostileTLS12ServerFlight(t *testing.T) {
	const (
		serverHello = iota
		certificate
		serverKeyExchange
		serverHelloDone
	)
	p := pki(t)
	rewriteHello := func(m [][]byte, change func(*wire.ServerHello)) [][]byte {
		var sh wire.ServerHello
		require.NoError(t, sh.Unmarshal(m[serverHello]))
		change(&sh)
		raw, err := sh.Marshal()
		require.NoError(t, err)
		m[serverHello] = raw
		return m
	}
	cases := []struct {
		name  string
		edit  func([][]byte) [][]byte
		want  schannel.Status
		alert wire.Alert
	}{
		{"unchanged", func(m [][]byte) [][]byte { return m }, schannel.SEC_I_CONTINUE_NEEDED, 0},
		{"no extended master secret", func(m [][]byte) [][]byte {
			return rewriteHello(m, func(sh *wire.ServerHello) { sh.ExtendedMasterSecret = false })
		}, schannel.SEC_E_ALGORITHM_MISMATCH, wire.AlertHandshakeFailure},
		{"no renegotiation_info", func(m [][]byte) [][]byte {
			return rewriteHello(m, func(sh *wire.ServerHello) { sh.SecureRenegotiationSupported = false })
		}, schannel.SEC_E_ALGORITHM_MISMATCH, wire.AlertHandshakeFailure},
		{"suite not offered", func(m [][]byte) [][]byte {
			return rewriteHello(m, func(sh *wire.ServerHello) { sh.CipherSuite = tls.TLS_RSA_WITH_AES_128_GCM_SHA256 })
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertIllegalParameter},
		{"RSA suite for an ECDSA certificate", func(m [][]byte) [][]byte {
			return rewriteHello(m, func(sh *wire.ServerHello) { sh.CipherSuite = tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 })
		}, schannel.SEC_E_CERT_UNKNOWN, wire.AlertUnsupportedCertificate},
		{"bad ServerKeyExchange signature", func(m [][]byte) [][]byte {
			m[serverKeyExchange] = flipLastByte(m[serverKeyExchange])
			return m
		}, schannel.SEC_E_MESSAGE_ALTERED, wire.AlertDecryptError},
		{"ServerKeyExchange group not offered", func(m [][]byte) [][]byte {
			var kx wire.ServerKeyExchangeECDHE
			require.NoError(t, kx.Unmarshal(m[serverKeyExchange]))
			kx.Group = 30 // x448: neither offered nor implemented
			raw, err := kx.Marshal()
			require.NoError(t, err)
			m[serverKeyExchange] = raw
			return m
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertIllegalParameter},
		{"ServerHelloDone before ServerKeyExchange", func(m [][]byte) [][]byte {
			return [][]byte{m[serverHello], m[certificate], m[serverHelloDone]}
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
		{"TLS 1.3 extension in a 1.2 hello", func(m [][]byte) [][]byte {
			return rewriteHello(m, func(sh *wire.ServerHello) { sh.Cookie = []byte{1} })
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnsupportedExtension},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, msgs := serverFlight12(t, p.serverConfig())
			require.Len(t, msgs, 4)
			client.inbox = reframe(tc.edit(msgs))
			status, _, err := client.call(t)
			assert.Equal(t, tc.want, status, "%v", err)
			if tc.alert != 0 {
				var se *schannel.Error
				require.ErrorAs(t, err, &se)
				assert.Equal(t, int(tc.alert), se.Alert, "%v", err)
			}
		})
	}
}

// TestTLS12RenegotiationIsIgnored seals a HelloRequest with the server's
// real TLS 1.2 write keys (taken from its key log): the client sees
// SEC_I_RENEGOTIATE, InitializeSecurityContext absorbs the request without
// answering (RFC 5246 7.4.1.1 allows ignoring it), and the connection goes
// on; a TLS 1.2 warning alert from the peer is taken in stride too.
func TestTLS12RenegotiationIsIgnored(t *testing.T) {
	p := pki(t)
	var keyLog bytes.Buffer
	ccfg, scfg := p.clientConfig(), p.serverConfig()
	ccfg.MaxVersion = tls.VersionTLS12
	scfg.KeyLogWriter = &keyLog
	client, server := newPeers(t, ccfg, scfg)
	flight := firstFlight(t, client, server)
	var sh wire.ServerHello
	require.NoError(t, sh.Unmarshal(flight[5:5+int(flight[3])<<8+int(flight[4])]))
	client.inbox = flight
	_, second, err := client.call(t)
	require.NoError(t, err)
	server.inbox = second
	_, last, err := server.call(t)
	require.NoError(t, err)
	client.inbox = last
	status, _, err := client.call(t)
	require.NoError(t, err)
	require.Equal(t, schannel.SEC_E_OK, status)

	fields := strings.Fields(keyLog.String())
	require.Equal(t, "CLIENT_RANDOM", fields[0])
	clientRandom, err := hex.DecodeString(fields[1])
	require.NoError(t, err)
	master, err := hex.DecodeString(fields[2])
	require.NoError(t, err)
	suite := keys.Suite12(sh.CipherSuite)
	_, serverKey, _, serverIV := keys.KeyBlock12(suite, master, clientRandom, sh.Random)
	prot, err := keys.NewRecordProtection12(suite, serverKey, serverIV)
	require.NoError(t, err)
	header, trailer := prot.Overhead()
	seal := func(typ wire.ContentType, payload []byte) []byte {
		buf := make([]byte, header+len(payload)+trailer)
		copy(buf[header:], payload)
		n, err := prot.Seal(buf, uint8(typ), len(payload))
		require.NoError(t, err)
		return buf[:n]
	}
	seal(wire.ContentHandshake, []byte{20, 0, 0, 12}) // the server's Finished used sequence number 0

	bufs := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, seal(wire.ContentHandshake, []byte{0, 0, 0, 0})), {}, {}, {}}
	status, err = client.ctx.DecryptMessage(bufs)
	require.NoError(t, err)
	require.Equal(t, schannel.SEC_I_RENEGOTIATE, status)
	client.inbox = bufs[3].Buffer
	status, answer, err := client.call(t)
	require.NoError(t, err)
	require.Equal(t, schannel.SEC_E_OK, status)
	assert.Empty(t, answer, "the request is ignored, nothing is written")

	// A no_renegotiation warning, as other stacks send, does not end a TLS 1.2 connection.
	warning := make([]byte, 13+2+16)
	copy(warning[13:], []byte{1, 100})
	wbufs := []schannel.SecBuffer{
		schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_HEADER, warning[:13]),
		schannel.NewSecBuffer(schannel.SECBUFFER_DATA, warning[13:15]),
		schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_TRAILER, warning[15:]),
		{},
	}
	_, err = client.ctx.EncryptMessage(schannel.SECQOP_WRAP_OOB_DATA, wbufs)
	require.NoError(t, err)
	stream := append(warning, encrypt(t, client.ctx, []byte("still here"))...)
	plain, status := decryptAll(t, server.ctx, stream)
	assert.Equal(t, schannel.SEC_E_OK, status)
	assert.Equal(t, "still here", string(plain))
}
