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

// tls12Keys is an established TLS 1.2 pair and record protection made from
// the server's key log, so a test can seal what either peer would send and
// open what either one sent. Each side's Finished used sequence number 0.
type tls12Keys struct {
	client, server         *sspiPeer
	sealClient, sealServer *keys.RecordProtection // as the client / the server would seal
	openClient, openServer *keys.RecordProtection // to read what the client / the server sealed
}

func establishTLS12(t *testing.T) *tls12Keys {
	t.Helper()
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
	clientKey, serverKey, clientIV, serverIV := keys.KeyBlock12(suite, master, clientRandom, sh.Random)
	k := &tls12Keys{client: client, server: server}
	for _, x := range []struct {
		prot    **keys.RecordProtection
		key, iv []byte
	}{{&k.sealClient, clientKey, clientIV}, {&k.openClient, clientKey, clientIV}, {&k.sealServer, serverKey, serverIV}, {&k.openServer, serverKey, serverIV}} {
		*x.prot, err = keys.NewRecordProtection12(suite, x.key, x.iv)
		require.NoError(t, err)
		sealWith(t, *x.prot, wire.ContentHandshake, []byte{20, 0, 0, 12}) // skip the Finished's sequence number
	}
	return k
}

// TestTLS12RenegotiationIsRefused sends, with the real TLS 1.2 keys, a
// HelloRequest to our client and a renegotiation ClientHello to our server.
// Each comes back through SEC_I_RENEGOTIATE; the handshake call absorbs it
// and writes nothing (reading never writes); the context then owes a
// no_renegotiation warning (RFC 5246 7.4.1.2, RFC 5746 4.2 and 4.4), which
// KeyUpdateDue reports and KeyUpdate(false) returns, sealed with the write
// keys, as for a requested TLS 1.3 KeyUpdate. The peer takes the warning in
// stride and the connection goes on.
func TestTLS12RenegotiationIsRefused(t *testing.T) {
	cases := []struct {
		name    string
		request []byte
		client  bool // the request goes to our client
	}{
		{"HelloRequest to the client", []byte{0, 0, 0, 0}, true},
		{"ClientHello to the server", []byte{1, 0, 0, 2, 3, 3}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := establishTLS12(t)
			us, them, seal, open := k.server, k.client, k.sealClient, k.openServer
			if tc.client {
				us, them, seal, open = k.client, k.server, k.sealServer, k.openClient
			}
			require.False(t, us.ctx.KeyUpdateDue())
			bufs := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, sealWith(t, seal, wire.ContentHandshake, tc.request)), {}, {}, {}}
			status, err := us.ctx.DecryptMessage(bufs)
			require.NoError(t, err)
			require.Equal(t, schannel.SEC_I_RENEGOTIATE, status)
			us.inbox = bufs[3].Buffer
			status, answer, err := us.call(t)
			require.NoError(t, err)
			require.Equal(t, schannel.SEC_E_OK, status)
			assert.Empty(t, answer, "absorbing the request writes nothing")

			require.True(t, us.ctx.KeyUpdateDue(), "the refusal is owed to the writer")
			rec, err := us.ctx.KeyUpdate(false)
			require.NoError(t, err)
			typ, body, err := open.Open(bytes.Clone(rec))
			require.NoError(t, err)
			assert.Equal(t, uint8(wire.ContentAlert), typ)
			assert.Equal(t, []byte{1, byte(wire.AlertNoRenegotiation)}, body, "a no_renegotiation warning")
			assert.False(t, us.ctx.KeyUpdateDue(), "owed once")

			// The peer takes the warning in stride (RFC 5246 7.2) and data
			// goes on. (Not the other way: the request sealed here used the
			// peer's next sequence number.)
			stream := append(rec, encrypt(t, us.ctx, []byte("still here"))...)
			plain, status := decryptAll(t, them.ctx, stream)
			assert.Equal(t, schannel.SEC_E_OK, status)
			assert.Equal(t, "still here", string(plain))
		})
	}
}
