package schannel_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plainRecord frames one handshake message as a plaintext record.
func plainRecord(msg []byte) []byte {
	return append(wire.AppendRecordHeader(nil, wire.ContentHandshake, wire.VersionTLS12, len(msg)), msg...)
}

// splitRecords cuts a stream into whole records.
func splitRecords(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		_, _, n, ok := wire.ParseRecordHeader(b)
		require.True(t, ok)
		require.GreaterOrEqual(t, len(b), 5+n)
		out = append(out, b[:5+n])
		b = b[5+n:]
	}
	return out
}

func rewriteServerHello(t *testing.T, rec []byte, change func(*wire.ServerHello)) []byte {
	t.Helper()
	var sh wire.ServerHello
	require.NoError(t, sh.Unmarshal(rec[5:]))
	change(&sh)
	raw, err := sh.Marshal()
	require.NoError(t, err)
	return plainRecord(raw)
}

func rewriteClientHello(t *testing.T, rec []byte, change func(*wire.ClientHello)) []byte {
	t.Helper()
	var ch wire.ClientHello
	require.NoError(t, ch.Unmarshal(rec[5:]))
	change(&ch)
	raw, err := ch.Marshal()
	require.NoError(t, err)
	return plainRecord(raw)
}

// TestTLS13ServerHelloRefusals: the client's checks of a TLS 1.3 ServerHello
// and HelloRetryRequest, and of the ServerHello that follows a retry.
func TestTLS13ServerHelloRefusals(t *testing.T) {
	p := pki(t)
	hrrServer := p.serverConfig()
	hrrServer.CurvePreferences = []tls.CurveID{tls.CurveP384}

	t.Run("ServerHello legacy_version 0x0304", func(t *testing.T) {
		f := captureServerFlight(t)
		in := rewriteServerHello(t, f.serverHello, func(sh *wire.ServerHello) { sh.Vers = wire.VersionTLS13 })
		status, err := f.deliverRaw(t, in)
		requireAlert(t, status, err, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertIllegalParameter)
	})
	// retry answers the server's HelloRetryRequest and returns the client
	// ready for the ServerHello, and that ServerHello's record.
	retry := func(t *testing.T) (*sspiPeer, []byte) {
		client, server := newPeers(t, p.clientConfig(), hrrServer)
		_, hello, err := client.call(t)
		require.NoError(t, err)
		server.inbox = hello
		_, hrr, err := server.call(t)
		require.NoError(t, err)
		client.inbox = hrr
		_, second, err := client.call(t)
		require.NoError(t, err)
		server.inbox = second
		_, flight, err := server.call(t)
		require.NoError(t, err)
		return client, splitRecords(t, flight)[0]
	}
	cases := []struct {
		name   string
		hrr    func(*wire.ServerHello) // applied to the HelloRetryRequest
		sh     func(*wire.ServerHello) // applied to the ServerHello after it
		alert  wire.Alert
		status schannel.Status
	}{
		{"HelloRetryRequest legacy_version 0x0301", func(sh *wire.ServerHello) { sh.Vers = wire.VersionTLS10 }, nil, wire.AlertIllegalParameter, schannel.SEC_E_ILLEGAL_MESSAGE},
		{"ServerHello after the retry with another suite", nil, func(sh *wire.ServerHello) { sh.CipherSuite = tls.TLS_AES_256_GCM_SHA384 }, wire.AlertIllegalParameter, schannel.SEC_E_ILLEGAL_MESSAGE},
		{"ServerHello after the retry choosing TLS 1.2", nil, func(sh *wire.ServerHello) { sh.SupportedVersion = 0 }, wire.AlertProtocolVersion, schannel.SEC_E_ALGORITHM_MISMATCH},
		{"ServerHello after the retry with legacy_version 0x0304", nil, func(sh *wire.ServerHello) { sh.Vers = wire.VersionTLS13 }, wire.AlertIllegalParameter, schannel.SEC_E_ILLEGAL_MESSAGE},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.hrr != nil {
				client, server := newPeers(t, p.clientConfig(), hrrServer)
				_, hello, err := client.call(t)
				require.NoError(t, err)
				server.inbox = hello
				_, hrr, err := server.call(t)
				require.NoError(t, err)
				client.inbox = rewriteServerHello(t, splitRecords(t, hrr)[0], tc.hrr)
				status, _, err := client.call(t)
				requireAlert(t, status, err, tc.status, tc.alert)
				return
			}
			client, sh := retry(t)
			client.inbox = rewriteServerHello(t, sh, tc.sh)
			status, _, err := client.call(t)
			requireAlert(t, status, err, tc.status, tc.alert)
		})
	}
}

// TestTLS13CertificateEntryExtensions: we never ask for OCSP staples or
// SCTs, so a CertificateEntry carrying any extension is
// unsupported_extension (RFC 8446 section 4.4.2).
func TestTLS13CertificateEntryExtensions(t *testing.T) {
	const cert = 1
	for _, ext := range []struct {
		name string
		data []byte
	}{
		{"status_request", []byte{0, 5, 0, 4, 1, 0, 0, 0}},
		{"signed_certificate_timestamp", []byte{0, 18, 0, 2, 0, 0}},
		{"unknown", []byte{0x12, 0x34, 0, 0}},
	} {
		t.Run(ext.name, func(t *testing.T) {
			f := captureServerFlight(t)
			msgs := slices.Clone(f.messages)
			var cm wire.Certificate13
			require.NoError(t, cm.Unmarshal(msgs[cert]))
			cm.Entries[0].Extensions = ext.data
			raw, err := cm.Marshal()
			require.NoError(t, err)
			msgs[cert] = raw
			status, err := f.deliver(t, oneRecordEach(msgs))
			requireAlert(t, status, err, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnsupportedExtension)
		})
	}
	t.Run("client certificate", func(t *testing.T) {
		p := pki(t)
		scfg := p.serverConfig()
		scfg.ClientAuth = tls.RequestClientCert
		ccfg := p.clientConfig()
		ccfg.Certificates = []tls.Certificate{p.ca.MustIssue(certgen.LeafOptions{Client: true})}
		var keyLog bytes.Buffer
		ccfg.KeyLogWriter = &keyLog
		client, server := newPeers(t, ccfg, scfg)
		flight := firstFlight(t, client, server)
		client.inbox = flight
		_, second, err := client.call(t)
		require.NoError(t, err)
		// Re-seal the client's Certificate with an extension in its entry:
		// the server refuses it before looking at what follows.
		secret := keyLogSecret(t, keyLog.String(), "CLIENT_HANDSHAKE_TRAFFIC_SECRET")
		var sh wire.ServerHello
		require.NoError(t, sh.Unmarshal(splitRecords(t, flight)[0][5:]))
		suite := keys.Suite13(sh.CipherSuite)
		opener, err := keys.NewRecordProtection13(suite, secret)
		require.NoError(t, err)
		recs := splitRecords(t, second)
		require.Equal(t, compatCCS, recs[0])
		_, body, err := opener.Open(bytes.Clone(recs[1]))
		require.NoError(t, err)
		var cm wire.Certificate13
		_, n, _ := wire.ParseHandshakeHeader(body)
		require.NoError(t, cm.Unmarshal(body[:4+n]))
		cm.Entries[0].Extensions = []byte{0, 18, 0, 0}
		raw, err := cm.Marshal()
		require.NoError(t, err)
		sealer, err := keys.NewRecordProtection13(suite, secret)
		require.NoError(t, err)
		f := &serverFlight{}
		server.inbox = append(bytes.Clone(compatCCS), f.seal(t, sealer, []record{{wire.ContentHandshake, raw}})...)
		status, _, err := server.call(t)
		requireAlert(t, status, err, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnsupportedExtension)
	})
}

func keyLogSecret(t *testing.T, log, label string) []byte {
	t.Helper()
	var secret []byte
	for line := range strings.Lines(log) {
		fields := strings.Fields(line)
		if len(fields) == 3 && fields[0] == label {
			s, err := hex.DecodeString(fields[2])
			require.NoError(t, err)
			secret = s
		}
	}
	require.NotNil(t, secret, "no %s in the key log", label)
	return secret
}

// TestCompatibilityCCSBeforeEncryptedAlert: a client in middlebox
// compatibility mode that fails after the ServerHello sends its
// ChangeCipherSpec before its first encrypted record, the alert (RFC 8446
// Appendix D.4).
func TestCompatibilityCCSBeforeEncryptedAlert(t *testing.T) {
	f := captureServerFlight(t)
	msgs := slices.Clone(f.messages)
	msgs[3] = flipLastByte(msgs[3]) // a bad Finished
	in := append(append(bytes.Clone(f.serverHello), compatCCS...), f.seal(t, f.newSealer(t), oneRecordEach(msgs))...)
	f.client.inbox = in
	status, alert, err := f.client.call(t)
	require.Equal(t, schannel.SEC_E_MESSAGE_ALTERED, status, "%v", err)
	recs := splitRecords(t, alert)
	require.Len(t, recs, 2, "ChangeCipherSpec, then the encrypted alert")
	assert.Equal(t, compatCCS, recs[0])
	assert.Equal(t, byte(wire.ContentApplicationData), recs[1][0])

	// Before the ServerHello there are no keys and no CCS: a plaintext alert.
	f = captureServerFlight(t)
	f.client.inbox = rewriteServerHello(t, f.serverHello, func(sh *wire.ServerHello) { sh.CompressionMethod = 1 })
	_, alert, _ = f.client.call(t)
	assert.Equal(t, []byte{21, 3, 1, 0, 2, 2, byte(wire.AlertIllegalParameter)}, alert)
}

// TestPeerCertificateKeyUsage: a leaf whose KeyUsage lacks digitalSignature
// cannot sign the handshake, in either role and either version, verified or
// not.
func TestPeerCertificateKeyUsage(t *testing.T) {
	p := pki(t)
	noSign := p.ca.MustIssue(certgen.LeafOptions{Names: []string{"example.com"}, KeyUsage: x509.KeyUsageKeyEncipherment})
	noSignClient := p.ca.MustIssue(certgen.LeafOptions{Client: true, KeyUsage: x509.KeyUsageKeyAgreement})
	for _, vers := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(vers)+"/server certificate", func(t *testing.T) {
			ccfg := p.clientConfig()
			ccfg.MaxVersion = vers
			ccfg.InsecureSkipVerify = true
			client, server := newPeers(t, ccfg, &tls.Config{Certificates: []tls.Certificate{noSign}})
			err := handshakePair(t, client, server, allAtOnce)
			var se *schannel.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, schannel.SEC_E_CERT_UNKNOWN, se.Status)
			assert.Equal(t, int(wire.AlertBadCertificate), se.Alert, "%v", err)
		})
		t.Run(tls.VersionName(vers)+"/client certificate", func(t *testing.T) {
			ccfg := p.clientConfig()
			ccfg.MaxVersion = vers
			ccfg.Certificates = []tls.Certificate{noSignClient}
			scfg := p.serverConfig()
			scfg.ClientAuth = tls.RequireAnyClientCert
			client, server := newPeers(t, ccfg, scfg)
			err := handshakePair(t, client, server, allAtOnce)
			var se *schannel.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, schannel.SEC_E_CERT_UNKNOWN, se.Status)
			assert.Equal(t, int(wire.AlertBadCertificate), se.Alert, "%v", err)
			assert.False(t, se.Remote, "the server refused it")
		})
	}
}

// TestTLS12ECDSACurveMustBeOffered: in TLS 1.2 a server's ECDSA key must be
// on a curve the client listed (RFC 8422 section 5.3).
func TestTLS12ECDSACurveMustBeOffered(t *testing.T) {
	p := pki(t)
	for _, tc := range []struct {
		curves []tls.CurveID
		ok     bool
	}{
		{[]tls.CurveID{tls.X25519}, false},
		{[]tls.CurveID{tls.X25519, tls.CurveP384}, false},
		{[]tls.CurveID{tls.X25519, tls.CurveP256}, true},
	} {
		ccfg := p.clientConfig()
		ccfg.MaxVersion = tls.VersionTLS12
		ccfg.CurvePreferences = tc.curves
		client, server := newPeers(t, ccfg, p.serverConfig()) // a P-256 key
		err := handshakePair(t, client, server, allAtOnce)
		if tc.ok {
			assert.NoError(t, err, "%v", tc.curves)
			continue
		}
		var se *schannel.Error
		require.ErrorAs(t, err, &se, "%v", tc.curves)
		assert.Equal(t, int(wire.AlertIllegalParameter), se.Alert, "%v", err)
		assert.False(t, se.Remote)
	}
}

// TestTLS12ClientRefusals: a TLS 1.2 server flight with one field changed.
func TestTLS12ClientRefusals(t *testing.T) {
	p := pki(t)
	t.Run("ServerHello echoes our random session ID", func(t *testing.T) {
		ccfg := p.clientConfig()
		ccfg.MaxVersion = tls.VersionTLS12
		client, server := newPeers(t, ccfg, p.serverConfig())
		_, hello, err := client.call(t)
		require.NoError(t, err)
		var ch wire.ClientHello
		require.NoError(t, ch.Unmarshal(hello[5:]))
		server.inbox = hello
		_, flight, err := server.call(t)
		require.NoError(t, err)
		recs := splitRecords(t, flight)
		recs[0] = rewriteServerHello(t, recs[0], func(sh *wire.ServerHello) { sh.SessionID = ch.SessionID })
		client.inbox = bytes.Join(recs, nil)
		status, _, err := client.call(t)
		requireAlert(t, status, err, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertIllegalParameter)
	})
	t.Run("ServerHello without the uncompressed point format", func(t *testing.T) {
		client, msgs := serverFlight12(t, p.serverConfig())
		var sh wire.ServerHello
		require.NoError(t, sh.Unmarshal(msgs[0]))
		sh.ECPointFormats = []uint8{1}
		raw, err := sh.Marshal()
		require.NoError(t, err)
		msgs[0] = raw
		client.inbox = reframe(msgs)
		status, _, err := client.call(t)
		requireAlert(t, status, err, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertIllegalParameter)
	})
	t.Run("ChangeCipherSpec instead of the promised NewSessionTicket", func(t *testing.T) {
		ccfg := p.clientConfig()
		ccfg.MaxVersion = tls.VersionTLS12
		ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
		client, server := newPeers(t, ccfg, p.serverConfig())
		client.inbox = firstFlight(t, client, server)
		_, second, err := client.call(t)
		require.NoError(t, err)
		server.inbox = second
		status, last, err := server.call(t)
		require.NoError(t, err)
		require.Equal(t, schannel.SEC_E_OK, status)
		recs := splitRecords(t, last)
		require.Len(t, recs, 3, "NewSessionTicket, ChangeCipherSpec, Finished")
		require.Equal(t, byte(wire.TypeNewSessionTicket), recs[0][5])
		client.inbox = bytes.Join(recs[1:], nil)
		status, _, err = client.call(t)
		requireAlert(t, status, err, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertUnexpectedMessage)
	})
}

// TestServerRefusals: our server against a ClientHello with one field
// changed.
func TestServerRefusals(t *testing.T) {
	p := pki(t)
	hello := func(t *testing.T, ccfg *tls.Config, scfg *tls.Config) ([]byte, *sspiPeer) {
		client, server := newPeers(t, ccfg, scfg)
		_, h, err := client.call(t)
		require.NoError(t, err)
		return h, server
	}
	tls12 := p.clientConfig()
	tls12.MaxVersion = tls.VersionTLS12

	t.Run("TLS 1.2 ClientHello without the uncompressed point format", func(t *testing.T) {
		h, server := hello(t, tls12, p.serverConfig())
		server.inbox = rewriteClientHello(t, h, func(ch *wire.ClientHello) { ch.ECPointFormats = []uint8{1, 2} })
		status, _, err := server.call(t)
		requireAlert(t, status, err, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertIllegalParameter)
	})
	t.Run("PSK without psk_key_exchange_modes", func(t *testing.T) {
		for _, modes := range [][]uint8{nil, {wire.PSKModeDHEKE}} {
			h, server := hello(t, p.clientConfig(), p.serverConfig())
			server.inbox = rewriteClientHello(t, h, func(ch *wire.ClientHello) {
				ch.PSKModes = modes
				ch.PSKIdentities = []wire.PSKIdentity{{Label: []byte("not a ticket of ours")}}
				ch.PSKBinders = [][]byte{make([]byte, 32)}
			})
			status, _, err := server.call(t)
			if modes != nil {
				// An unknown ticket with the modes is merely a full handshake.
				require.NoError(t, err)
				assert.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, status)
				continue
			}
			requireAlert(t, status, err, schannel.SEC_E_ILLEGAL_MESSAGE, wire.AlertMissingExtension)
		}
	})
	t.Run("renegotiation_info only when the client signals it", func(t *testing.T) {
		cases := []struct {
			name   string
			change func(*wire.ClientHello)
			want   bool
		}{
			{"extension", func(*wire.ClientHello) {}, true},
			{"SCSV", func(ch *wire.ClientHello) {
				ch.SecureRenegotiationSupported = false
				ch.CipherSuites = append(ch.CipherSuites, 0x00ff)
			}, true},
			{"neither", func(ch *wire.ClientHello) { ch.SecureRenegotiationSupported = false }, false},
		}
		for _, tc := range cases {
			h, server := hello(t, tls12, p.serverConfig())
			server.inbox = rewriteClientHello(t, h, tc.change)
			_, flight, err := server.call(t)
			require.NoError(t, err, tc.name)
			var sh wire.ServerHello
			require.NoError(t, sh.Unmarshal(splitRecords(t, flight)[0][5:]))
			assert.Equal(t, tc.want, sh.SecureRenegotiationSupported, tc.name)
			assert.Equal(t, tc.want, slices.Contains(sh.Extensions, wire.ExtRenegotiationInfo), tc.name)
		}
	})
}

// TestServerDoesNotAcknowledgeSNIWhenResuming: RFC 6066 section 3, read
// from the server's EncryptedExtensions with its key log.
func TestServerDoesNotAcknowledgeSNIWhenResuming(t *testing.T) {
	p := pki(t)
	ccfg, scfg := p.clientConfig(), p.serverConfig()
	ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	var keyLog bytes.Buffer
	scfg.KeyLogWriter = &keyLog
	for i, resumed := range []bool{false, true} {
		client, server := newPeers(t, ccfg, scfg)
		flight := firstFlight(t, client, server)
		recs := splitRecords(t, flight)
		var sh wire.ServerHello
		require.NoError(t, sh.Unmarshal(recs[0][5:]))
		assert.Equal(t, resumed, sh.SelectedIdentityPresent, "connection %d", i)
		opener, err := keys.NewRecordProtection13(keys.Suite13(sh.CipherSuite), keyLogSecret(t, keyLog.String(), "SERVER_HANDSHAKE_TRAFFIC_SECRET"))
		require.NoError(t, err)
		require.Equal(t, compatCCS, recs[1])
		_, body, err := opener.Open(bytes.Clone(recs[2]))
		require.NoError(t, err)
		_, n, _ := wire.ParseHandshakeHeader(body)
		var ee wire.EncryptedExtensions
		require.NoError(t, ee.Unmarshal(body[:4+n]))
		assert.Equal(t, !resumed, ee.ServerNameAck, "connection %d: server_name acknowledged only in a full handshake", i)
		// Finish, so the client stores the ticket for the next connection.
		client.inbox = flight
		status, fin, err := client.call(t)
		require.NoError(t, err)
		require.Equal(t, schannel.SEC_E_OK, status)
		server.inbox = fin
		status, ticket, err := server.call(t)
		require.NoError(t, err)
		require.Equal(t, schannel.SEC_E_OK, status)
		absorbPostHandshake(t, client, ticket)
	}
}

// TestSecondClientHelloMustMatchTheFirst: after a HelloRetryRequest the
// client may change only what RFC 8446 section 4.1.2 lists.
func TestSecondClientHelloMustMatchTheFirst(t *testing.T) {
	p := pki(t)
	scfg := p.serverConfig()
	scfg.CurvePreferences = []tls.CurveID{tls.CurveP384}
	cases := []struct {
		name   string
		change func(*wire.ClientHello)
		alert  wire.Alert // 0: accepted
	}{
		{"unchanged", func(*wire.ClientHello) {}, 0},
		{"padding added", nil, 0},
		{"ALPN added", func(ch *wire.ClientHello) { ch.ALPNProtocols = []string{"h2"} }, wire.AlertIllegalParameter},
		{"server_name changed", func(ch *wire.ClientHello) { ch.ServerName = "other.example.com" }, wire.AlertIllegalParameter},
		{"signature_algorithms changed", func(ch *wire.ClientHello) { ch.SignatureAlgorithms = ch.SignatureAlgorithms[1:] }, wire.AlertIllegalParameter},
		{"supported_versions changed", func(ch *wire.ClientHello) { ch.SupportedVersions = []uint16{wire.VersionTLS13} }, wire.AlertIllegalParameter},
		{"extended_master_secret dropped", func(ch *wire.ClientHello) { ch.ExtendedMasterSecret = false }, wire.AlertIllegalParameter},
		{"psk_key_exchange_modes changed", func(ch *wire.ClientHello) { ch.PSKModes = []uint8{wire.PSKModeKE, wire.PSKModeDHEKE} }, wire.AlertIllegalParameter},
		{"cookie the server never sent", func(ch *wire.ClientHello) { ch.Cookie = []byte{1, 2, 3} }, wire.AlertUnsupportedExtension},
		{"PSK added", func(ch *wire.ClientHello) {
			ch.PSKIdentities = []wire.PSKIdentity{{Label: []byte("new")}}
			ch.PSKBinders = [][]byte{make([]byte, 32)}
		}, wire.AlertIllegalParameter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, server := newPeers(t, p.clientConfig(), scfg)
			_, hello, err := client.call(t)
			require.NoError(t, err)
			server.inbox = hello
			_, hrr, err := server.call(t)
			require.NoError(t, err)
			client.inbox = hrr
			_, second, err := client.call(t)
			require.NoError(t, err)
			recs := splitRecords(t, second)
			require.Len(t, recs, 2)
			if tc.change != nil {
				recs[1] = rewriteClientHello(t, recs[1], tc.change)
			} else {
				// Append a padding extension (21) of 8 zero bytes by hand.
				msg := bytes.Clone(recs[1][5:])
				var ch wire.ClientHello
				require.NoError(t, ch.Unmarshal(msg))
				extAt := 4 + 2 + 32 + 1 + len(ch.SessionID) + 2 + 2*len(ch.CipherSuites) + 1 + len(ch.CompressionMethods)
				msg = append(msg, 0, 21, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0)
				extLen := int(msg[extAt])<<8 | int(msg[extAt+1]) + 12
				msg[extAt], msg[extAt+1] = byte(extLen>>8), byte(extLen)
				bodyLen := len(msg) - 4
				msg[1], msg[2], msg[3] = byte(bodyLen>>16), byte(bodyLen>>8), byte(bodyLen)
				recs[1] = plainRecord(msg)
			}
			server.inbox = bytes.Join(recs, nil)
			status, _, err := server.call(t)
			if tc.alert == 0 {
				require.NoError(t, err)
				assert.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, status)
				return
			}
			requireAlert(t, status, err, schannel.SEC_E_ILLEGAL_MESSAGE, tc.alert)
		})
	}
}
