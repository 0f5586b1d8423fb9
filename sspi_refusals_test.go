package schannel_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/tls"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/chacha20poly1305"
)

// The tests in this file send the bytes a peer that breaks an RFC "MUST"
// would send, and check that we refuse them with the alert BoringSSL and
// crypto/tls send (issue 10).

// requireAlert checks a failed call: its status and the alert we sent.
func requireAlert(t *testing.T, status schannel.Status, err error, want schannel.Status, alert wire.Alert) {
	t.Helper()
	require.Equal(t, want, status, "%v", err)
	var se *schannel.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, int(alert), se.Alert, "%v", err)
	assert.False(t, se.Remote, "the failure is ours, not the peer's alert")
}

// seal protects records with the server's handshake keys, continuing the
// sequence of an earlier call on the same flight.
func (f *serverFlight) seal(t *testing.T, prot *keys.RecordProtection, records []record) []byte {
	t.Helper()
	var out []byte
	header, trailer := prot.Overhead()
	for _, r := range records {
		buf := make([]byte, header+len(r.payload)+trailer)
		copy(buf[header:], r.payload)
		n, err := prot.Seal(buf, uint8(r.typ), len(r.payload))
		require.NoError(t, err)
		out = append(out, buf[:n]...)
	}
	return out
}

// deliverRaw feeds the client exactly in and runs one call.
func (f *serverFlight) deliverRaw(t *testing.T, in []byte) (schannel.Status, error) {
	t.Helper()
	f.client.inbox = in
	status, _, err := f.client.call(t)
	return status, err
}

func (f *serverFlight) newSealer(t *testing.T) *keys.RecordProtection {
	prot, err := keys.NewRecordProtection13(f.suite, f.secret)
	require.NoError(t, err)
	return prot
}

var compatCCS = []byte{20, 3, 3, 0, 1, 1}

// TestTLS13RecordLayerRefusals: the TLS 1.3 client's record layer against
// a server flight rewritten record by record.
func TestTLS13RecordLayerRefusals(t *testing.T) {
	const ee = 0
	cases := []struct {
		name  string
		build func(f *serverFlight, prot *keys.RecordProtection, m [][]byte) []byte
		want  schannel.Status
		alert wire.Alert
	}{
		{"unchanged", func(f *serverFlight, prot *keys.RecordProtection, m [][]byte) []byte {
			return append(append(bytes.Clone(f.serverHello), compatCCS...), f.seal(t, prot, oneRecordEach(m))...)
		}, schannel.SEC_E_OK, 0},
		{"encrypted record with version 0x0301", func(f *serverFlight, prot *keys.RecordProtection, m [][]byte) []byte {
			sealed := f.seal(t, prot, oneRecordEach(m))
			sealed[2] = 1 // legacy_record_version must be 0x0303 (BoringSSL, crypto/tls)
			return append(append(bytes.Clone(f.serverHello), compatCCS...), sealed...)
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertProtocolVersion},
		{"ChangeCipherSpec with version 0x0304", func(f *serverFlight, prot *keys.RecordProtection, m [][]byte) []byte {
			return append(append(bytes.Clone(f.serverHello), 20, 3, 4, 0, 1, 1), f.seal(t, prot, oneRecordEach(m))...)
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertProtocolVersion},
		{"ChangeCipherSpec between fragments of a message", func(f *serverFlight, prot *keys.RecordProtection, m [][]byte) []byte {
			in := append(append(bytes.Clone(f.serverHello), compatCCS...), f.seal(t, prot, []record{{wire.ContentHandshake, m[ee][:3]}})...)
			in = append(in, compatCCS...)
			return append(in, f.seal(t, prot, []record{{wire.ContentHandshake, m[ee][3:]}})...)
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
		{"warning alert between fragments of a message", func(f *serverFlight, prot *keys.RecordProtection, m [][]byte) []byte {
			return append(append(bytes.Clone(f.serverHello), compatCCS...), f.seal(t, prot, []record{
				{wire.ContentHandshake, m[ee][:3]}, {wire.ContentAlert, []byte{1, byte(wire.AlertUserCanceled)}}, {wire.ContentHandshake, m[ee][3:]},
			})...)
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
		{"31 empty handshake records, 32 with the ChangeCipherSpec", func(f *serverFlight, prot *keys.RecordProtection, m [][]byte) []byte {
			empty := make([]record, 31)
			for i := range empty {
				empty[i] = record{wire.ContentHandshake, nil}
			}
			return append(append(bytes.Clone(f.serverHello), compatCCS...), f.seal(t, prot, append(empty, oneRecordEach(m)...))...)
		}, schannel.SEC_E_OK, 0},
		{"32 empty handshake records, 33 with the ChangeCipherSpec", func(f *serverFlight, prot *keys.RecordProtection, m [][]byte) []byte {
			empty := make([]record, 32)
			for i := range empty {
				empty[i] = record{wire.ContentHandshake, nil}
			}
			return append(append(bytes.Clone(f.serverHello), compatCCS...), f.seal(t, prot, append(empty, oneRecordEach(m)...))...)
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
		{"the start of EncryptedExtensions in the ServerHello's record", func(f *serverFlight, prot *keys.RecordProtection, m [][]byte) []byte {
			sh := append(bytes.Clone(f.serverHello), m[ee][:2]...)
			sh[3], sh[4] = byte((len(sh)-5)>>8), byte(len(sh)-5)
			return append(append(sh, compatCCS...), f.seal(t, prot, oneRecordEach(m))...)
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := captureServerFlight(t)
			msgs := make([][]byte, len(f.messages))
			copy(msgs, f.messages)
			status, err := f.deliverRaw(t, tc.build(f, f.newSealer(t), msgs))
			if tc.want == schannel.SEC_E_OK {
				require.NoError(t, err)
				assert.Equal(t, schannel.SEC_E_OK, status)
				return
			}
			requireAlert(t, status, err, tc.want, tc.alert)
		})
	}
}

// TestFirstClientHelloRecordVersion: our first ClientHello goes out in a
// 0x0301 record, as browsers send it; once the server has answered (here
// with a HelloRetryRequest) our records say 0x0303.
func TestFirstClientHelloRecordVersion(t *testing.T) {
	p := pki(t)
	scfg := p.serverConfig()
	scfg.CurvePreferences = []tls.CurveID{tls.CurveP384}
	client, server := newPeers(t, p.clientConfig(), scfg)
	_, hello, err := client.call(t)
	require.NoError(t, err)
	assert.Equal(t, []byte{22, 3, 1}, hello[:3], "first ClientHello record")
	server.inbox = hello
	_, hrr, err := server.call(t)
	require.NoError(t, err)
	client.inbox = hrr
	_, second, err := client.call(t)
	require.NoError(t, err)
	require.Equal(t, compatCCS, second[:6])
	assert.Equal(t, []byte{22, 3, 3}, second[6:9], "second ClientHello record")
	server.inbox = second
	status, _, err := server.call(t)
	require.NoError(t, err)
	assert.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, status)
}

// withTrailing appends extra bytes inside the last record of in, fixing its
// length.
func withTrailing(in []byte, at int, extra ...byte) []byte {
	rec := bytes.Clone(in[at:])
	n := int(rec[3])<<8 | int(rec[4])
	out := append(bytes.Clone(in[:at]), rec[:5+n]...)
	out = append(out, extra...)
	m := n + len(extra)
	out[at+3], out[at+4] = byte(m>>8), byte(m)
	return append(out, rec[5+n:]...)
}

// TestNothingFollowsAMessageThatEndsAFlight: bytes after a message that
// changes keys or makes the peer wait for us, in the same record, are
// unexpected_message (RFC 8446 section 5.1).
func TestNothingFollowsAMessageThatEndsAFlight(t *testing.T) {
	p := pki(t)
	hrrServer := p.serverConfig()
	hrrServer.CurvePreferences = []tls.CurveID{tls.CurveP384}

	t.Run("first ClientHello answered with a HelloRetryRequest", func(t *testing.T) {
		client, server := newPeers(t, p.clientConfig(), hrrServer)
		_, hello, err := client.call(t)
		require.NoError(t, err)
		server.inbox = withTrailing(hello, 0, 1, 0) // the start of a second ClientHello
		status, _, err := server.call(t)
		requireAlert(t, status, err, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage)
	})
	t.Run("HelloRetryRequest", func(t *testing.T) {
		client, server := newPeers(t, p.clientConfig(), hrrServer)
		_, hello, err := client.call(t)
		require.NoError(t, err)
		server.inbox = hello
		_, hrr, err := server.call(t)
		require.NoError(t, err)
		_, _, n, _ := wire.ParseRecordHeader(hrr)
		client.inbox = withTrailing(hrr[:5+n], 0, 2, 0) // the start of the ServerHello
		status, _, err := client.call(t)
		requireAlert(t, status, err, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage)
	})
	t.Run("TLS 1.2 ClientKeyExchange", func(t *testing.T) {
		ccfg := p.clientConfig()
		ccfg.MaxVersion = tls.VersionTLS12
		client, server := newPeers(t, ccfg, p.serverConfig())
		client.inbox = firstFlight(t, client, server)
		_, second, err := client.call(t)
		require.NoError(t, err)
		_, _, n, _ := wire.ParseRecordHeader(second)
		require.Equal(t, byte(wire.TypeClientKeyExchange), second[5])
		server.inbox = withTrailing(second[:5+n], 0, 20, 0) // the start of a Finished, before the ChangeCipherSpec
		status, _, err := server.call(t)
		requireAlert(t, status, err, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage)
	})
	t.Run("TLS 1.2 ServerHelloDone", func(t *testing.T) {
		client, msgs := serverFlight12(t, p.serverConfig())
		client.inbox = withTrailing(reframe(msgs), 0, 0, 0) // the start of a HelloRequest
		status, _, err := client.call(t)
		requireAlert(t, status, err, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage)
	})
}

// TestTLS12HelloRequestsDuringTheHandshakeAreCounted: a TLS 1.2 client
// ignores HelloRequest during the handshake (RFC 5246 7.4.1.1), but not
// without end: they count towards the cap of 32 records without content.
func TestTLS12HelloRequestsDuringTheHandshakeAreCounted(t *testing.T) {
	p := pki(t)
	for _, tc := range []struct {
		n    int
		want schannel.Status
	}{{32, schannel.SEC_I_CONTINUE_NEEDED}, {33, schannel.SEC_E_ILLEGAL_MESSAGE}} {
		client, msgs := serverFlight12(t, p.serverConfig())
		var in []byte
		in = append(in, reframe(msgs[:1])...)
		for range tc.n {
			in = append(in, reframe([][]byte{{0, 0, 0, 0}})...)
		}
		in = append(in, reframe(msgs[1:])...)
		client.inbox = in
		status, _, err := client.call(t)
		assert.Equal(t, tc.want, status, "%d HelloRequests: %v", tc.n, err)
	}
}

// TestDecryptMessagePaddedRecordOverflow: RFC 8446 section 5.4 limits the
// whole TLSInnerPlaintext, padding included, to 2^14+1 bytes. The records
// are sealed here by hand with the client's key log, since our own sealing
// never pads.
func TestDecryptMessagePaddedRecordOverflow(t *testing.T) {
	p := pki(t)
	ccfg := p.clientConfig()
	var keyLog bytes.Buffer
	ccfg.KeyLogWriter = &keyLog
	client, server := established(t, ccfg, p.serverConfig())
	suite := keys.Suite13(client.ctx.ConnectionState().CipherSuite)
	require.NotNil(t, suite)
	key, iv := keys.TrafficKeys(suite, keyLogSecret(t, keyLog.String(), "CLIENT_TRAFFIC_SECRET_0"))
	var aead cipher.AEAD
	if suite.ID == tls.TLS_CHACHA20_POLY1305_SHA256 {
		var err error
		aead, err = chacha20poly1305.New(key)
		require.NoError(t, err)
	} else {
		block, err := aes.NewCipher(key)
		require.NoError(t, err)
		aead, err = cipher.NewGCM(block)
		require.NoError(t, err)
	}
	seq := uint64(0)
	seal := func(inner []byte) []byte {
		nonce := bytes.Clone(iv)
		for i := range 8 {
			nonce[len(nonce)-1-i] ^= byte(seq >> (8 * i))
		}
		seq++
		header := wire.AppendRecordHeader(nil, wire.ContentApplicationData, wire.VersionTLS12, len(inner)+aead.Overhead())
		return aead.Seal(header, nonce, inner, header)
	}
	data := bytes.Repeat([]byte{'x'}, 1<<14)

	// 2^14 bytes and the type: the largest legal record.
	bufs := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, seal(append(bytes.Clone(data), 23))), {}, {}, {}}
	status, err := server.ctx.DecryptMessage(bufs)
	require.NoError(t, err)
	require.Equal(t, schannel.SEC_E_OK, status)
	assert.Equal(t, 1<<14, bufs[1].Size)

	// The same with one byte of padding: 2^14+2 bytes of TLSInnerPlaintext.
	bufs = []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, seal(append(bytes.Clone(data), 23, 0))), {}, {}, {}}
	status, err = server.ctx.DecryptMessage(bufs)
	assert.True(t, status.Failed(), "%v", status)
	var se *schannel.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, int(wire.AlertRecordOverflow), se.Alert, "%v", err)
}
