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

// record is one TLS record to send: its (inner) content type and payload.
type record struct {
	typ     wire.ContentType
	payload []byte
}

// serverFlight is a real server's first flight, decrypted with the server's
// key log so a test can rewrite it as a hostile server would.
type serverFlight struct {
	client      *sspiPeer
	serverHello []byte   // the plaintext ServerHello record
	messages    [][]byte // EncryptedExtensions .. Finished, each with its header
	suite       *keys.Suite
	secret      []byte // server handshake traffic secret
	openProt    *keys.RecordProtection
}

func captureServerFlight(t *testing.T) *serverFlight {
	t.Helper()
	p := pki(t)
	var keyLog bytes.Buffer
	scfg := p.serverConfig()
	scfg.KeyLogWriter = &keyLog
	client, server := newPeers(t, p.clientConfig(), scfg)
	flight := firstFlight(t, client, server)

	f := &serverFlight{client: client}
	for line := range strings.Lines(keyLog.String()) {
		fields := strings.Fields(line)
		if fields[0] == "SERVER_HANDSHAKE_TRAFFIC_SECRET" {
			secret, err := hex.DecodeString(fields[2])
			require.NoError(t, err)
			f.secret = secret
		}
	}
	require.NotNil(t, f.secret)
	var plaintext []byte
	for len(flight) > 0 {
		typ, _, n, ok := wire.ParseRecordHeader(flight)
		require.True(t, ok)
		rec := flight[:5+n]
		flight = flight[5+n:]
		switch typ {
		case wire.ContentHandshake:
			f.serverHello = rec
			var sh wire.ServerHello
			require.NoError(t, sh.Unmarshal(rec[5:]))
			f.suite = keys.Suite13(sh.CipherSuite)
		case wire.ContentApplicationData:
			opener := f.opener(t)
			_, body, err := opener.Open(rec)
			require.NoError(t, err)
			plaintext = append(plaintext, body...)
		}
	}
	for len(plaintext) > 0 {
		_, n, ok := wire.ParseHandshakeHeader(plaintext)
		require.True(t, ok)
		f.messages = append(f.messages, plaintext[:4+n])
		plaintext = plaintext[4+n:]
	}
	require.Len(t, f.messages, 4, "EncryptedExtensions, Certificate, CertificateVerify, Finished")
	return f
}

// opener returns record protection positioned after the records already read.
func (f *serverFlight) opener(t *testing.T) *keys.RecordProtection {
	if f.openProt == nil {
		var err error
		f.openProt, err = keys.NewRecordProtection13(f.suite, f.secret)
		require.NoError(t, err)
	}
	return f.openProt
}

// deliver seals records with the server's handshake keys and feeds the
// ServerHello, a compatibility CCS and them to the client in one call.
func (f *serverFlight) deliver(t *testing.T, records []record) (schannel.Status, error) {
	t.Helper()
	prot, err := keys.NewRecordProtection13(f.suite, f.secret)
	require.NoError(t, err)
	in := append([]byte{}, f.serverHello...)
	in = append(in, 20, 3, 3, 0, 1, 1)
	header, trailer := prot.Overhead()
	for _, r := range records {
		buf := make([]byte, header+len(r.payload)+trailer)
		copy(buf[header:], r.payload)
		n, err := prot.Seal(buf, uint8(r.typ), len(r.payload))
		require.NoError(t, err)
		in = append(in, buf[:n]...)
	}
	f.client.inbox = in
	status, _, err := f.client.call(t)
	return status, err
}

// oneRecordEach puts each message in its own record, as our server sends them.
func oneRecordEach(msgs [][]byte) []record {
	var out []record
	for _, m := range msgs {
		out = append(out, record{wire.ContentHandshake, m})
	}
	return out
}

func flipLastByte(m []byte) []byte {
	m = bytes.Clone(m)
	m[len(m)-1] ^= 0x80
	return m
}

func TestHostileServerFlight(t *testing.T) {
	const (
		ee = iota
		cert
		cv
		fin
	)
	cases := []struct {
		name  string
		build func(msgs [][]byte) []record
		want  schannel.Status
		alert wire.Alert
	}{
		{"unchanged", oneRecordEach, schannel.SEC_E_OK, 0},
		{"all messages in one record", func(m [][]byte) []record {
			return []record{{wire.ContentHandshake, bytes.Join(m, nil)}}
		}, schannel.SEC_E_OK, 0},
		{"one byte per record", func(m [][]byte) []record {
			var out []record
			for _, b := range bytes.Join(m, nil) {
				out = append(out, record{wire.ContentHandshake, []byte{b}})
			}
			return out
		}, schannel.SEC_E_OK, 0},
		{"bad CertificateVerify signature", func(m [][]byte) []record {
			m[cv] = flipLastByte(m[cv])
			return oneRecordEach(m)
		}, schannel.SEC_E_MESSAGE_ALTERED, wire.AlertDecryptError},
		{"bad Finished", func(m [][]byte) []record {
			m[fin] = flipLastByte(m[fin])
			return oneRecordEach(m)
		}, schannel.SEC_E_MESSAGE_ALTERED, wire.AlertDecryptError},
		{"CertificateVerify before Certificate", func(m [][]byte) []record {
			m[cert], m[cv] = m[cv], m[cert]
			return oneRecordEach(m)
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
		{"Finished missing the CertificateVerify", func(m [][]byte) []record {
			return oneRecordEach([][]byte{m[ee], m[cert], m[fin]})
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
		{"unrequested extension in EncryptedExtensions", func(m [][]byte) []record {
			// An empty early_data extension (42) we never offered.
			m[ee] = []byte{8, 0, 0, 6, 0, 4, 0, 42, 0, 0}
			return oneRecordEach(m)
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnsupportedExtension},
		{"empty Certificate", func(m [][]byte) []record {
			m[cert] = []byte{11, 0, 0, 4, 0, 0, 0, 0}
			return oneRecordEach(m)
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertDecodeError},
		{"garbage certificate", func(m [][]byte) []record {
			m[cert] = []byte{11, 0, 0, 11, 0, 0, 0, 7, 0, 0, 2, 0xde, 0xad, 0, 0}
			return oneRecordEach(m)
		}, schannel.SEC_E_CERT_UNKNOWN, wire.AlertBadCertificate},
		{"message length off by one (short)", func(m [][]byte) []record {
			m[ee] = bytes.Clone(m[ee])
			m[ee][3]--
			return oneRecordEach(m)
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertDecodeError},
		{"message length off by one (long)", func(m [][]byte) []record {
			m[ee] = bytes.Clone(m[ee])
			m[ee][3]++
			return []record{{wire.ContentHandshake, bytes.Join(m, nil)}}
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertDecodeError},
		{"bytes after Finished", func(m [][]byte) []record {
			return []record{{wire.ContentHandshake, append(bytes.Join(m, nil), 20, 0)}}
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
		{"oversized handshake message", func(m [][]byte) []record {
			return []record{{wire.ContentHandshake, []byte{8, 0x7f, 0xff, 0xff}}}
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertDecodeError},
		{"application data during the handshake", func(m [][]byte) []record {
			return append(oneRecordEach(m[:2]), record{wire.ContentApplicationData, []byte("early")})
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
		{"warning alert between messages", func(m [][]byte) []record {
			r := oneRecordEach(m)
			return append(r[:2], append([]record{{wire.ContentAlert, []byte{1, 90}}}, r[2:]...)...)
		}, schannel.SEC_E_ILLEGAL_MESSAGE, 0},
		{"protected ChangeCipherSpec", func(m [][]byte) []record {
			return append([]record{{wire.ContentChangeCipherSpec, []byte{1}}}, oneRecordEach(m)...)
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
		{"malformed alert", func(m [][]byte) []record {
			return []record{{wire.ContentAlert, []byte{2, 40, 0}}}
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertDecodeError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := captureServerFlight(t)
			msgs := make([][]byte, len(f.messages))
			copy(msgs, f.messages)
			status, err := f.deliver(t, tc.build(msgs))
			assert.Equal(t, tc.want, status, "%v", err)
			if tc.want == schannel.SEC_E_OK {
				return
			}
			var se *schannel.Error
			require.ErrorAs(t, err, &se)
			if tc.alert != 0 {
				assert.Equal(t, int(tc.alert), se.Alert, "%v", err)
			}
		})
	}
}

func TestHostileClientHello(t *testing.T) {
	p := pki(t)
	validHello := func(t *testing.T) []byte {
		client, _ := newPeers(t, p.clientConfig(), p.serverConfig())
		_, hello, err := client.call(t)
		require.NoError(t, err)
		return hello
	}
	cases := []struct {
		name  string
		input func(hello []byte) []byte
		want  schannel.Status
		alert wire.Alert
	}{
		{"not TLS at all", func([]byte) []byte { return []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n") }, schannel.SEC_E_INVALID_TOKEN, wire.AlertUnexpectedMessage},
		{"SSL 2 style header", func([]byte) []byte { return []byte{0x80, 0x2e, 1, 0, 2} }, schannel.SEC_E_INVALID_TOKEN, wire.AlertUnexpectedMessage},
		{"record version 2.x", func(h []byte) []byte { h[1] = 2; return h }, schannel.SEC_E_INVALID_TOKEN, wire.AlertProtocolVersion},
		{"record over 2^14", func([]byte) []byte { return []byte{22, 3, 1, 0x40, 0x01} }, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertRecordOverflow},
		{"empty handshake record", func([]byte) []byte { return []byte{22, 3, 1, 0, 0} }, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
		{"application data first", func([]byte) []byte { return []byte{23, 3, 3, 0, 1, 0} }, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
		{"ChangeCipherSpec first", func([]byte) []byte { return []byte{20, 3, 3, 0, 1, 1} }, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
		{"alert first", func([]byte) []byte { return []byte{21, 3, 3, 0, 2, 2, 40} }, schannel.SEC_E_ALGORITHM_MISMATCH, wire.AlertHandshakeFailure},
		{"ServerHello to a server", func(h []byte) []byte { h[5] = 2; return h }, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
		{"hello length off by one", func(h []byte) []byte { h[8]--; return h }, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertDecodeError},
		{"body truncated, lengths fixed up", func(h []byte) []byte {
			h = h[:len(h)-7]
			h[3], h[4] = byte((len(h)-5)>>8), byte(len(h)-5)
			bodyLen := len(h) - 9
			h[6], h[7], h[8] = byte(bodyLen>>16), byte(bodyLen>>8), byte(bodyLen)
			return h
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertDecodeError},
		{"two ClientHellos in one record", func(h []byte) []byte {
			body := append(bytes.Clone(h[5:]), h[5:]...)
			return append([]byte{22, 3, 1, byte(len(body) >> 8), byte(len(body))}, body...)
		}, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, server := newPeers(t, p.clientConfig(), p.serverConfig())
			server.inbox = tc.input(validHello(t))
			status, alert, err := server.call(t)
			assert.Equal(t, tc.want, status, "%v", err)
			var se *schannel.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, int(tc.alert), se.Alert, "%v", err)
			switch {
			case se.Remote:
				assert.Empty(t, alert, "no alert answers the peer's alert")
			case len(alert) > 0 && alert[0] == byte(wire.ContentApplicationData):
				// Past the ServerHello the server's alerts are encrypted (RFC 8446 5).
				assert.Len(t, alert, 5+2+1+16)
			default:
				assert.Equal(t, []byte{21, 3, 3, 0, 2, 2, byte(tc.alert)}, alert, "a plaintext fatal alert goes back")
			}
		})
	}
}

func TestServerRefusesWhatTLS13Forbids(t *testing.T) {
	p := pki(t)
	cases := []struct {
		name   string
		client *tls.Config
		want   schannel.Status
	}{
		{"TLS 1.1 only client", &tls.Config{ServerName: "example.com", RootCAs: p.ca.Pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, schannel.SEC_E_ALGORITHM_MISMATCH},
		{"TLS 1.2 client without extended master secret", &tls.Config{ServerName: "example.com", RootCAs: p.ca.Pool, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}, schannel.SEC_E_ALGORITHM_MISMATCH},
		{"no common group", &tls.Config{ServerName: "example.com", RootCAs: p.ca.Pool, CurvePreferences: []tls.CurveID{tls.SecP256r1MLKEM768}}, schannel.SEC_E_ALGORITHM_MISMATCH},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c1, c2 := tcpPair(t)
			defer c1.Close()
			defer c2.Close()
			go func() { _ = tls.Client(c1, tc.client).Handshake() }()
			s := newSSPIStream(t, c2, p.serverConfig(), true)
			err := s.handshake()
			assert.ErrorIs(t, err, tc.want)
		})
	}
}
