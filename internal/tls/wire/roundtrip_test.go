package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			encoded, err := s.msg.Marshal()
			require.NoError(t, err)
			assert.Equal(t, encoded, rawOf(s.msg), "Marshal must record its output in Raw")

			decoded := s.fresh()
			require.NoError(t, decoded.Unmarshal(encoded))
			assert.Equal(t, fieldsOf(s.msg), fieldsOf(decoded))
			assert.Equal(t, encoded, rawOf(decoded))

			again, err := decoded.Marshal()
			require.NoError(t, err)
			assert.Equal(t, encoded, again)
		})
	}
}

// TestUnmarshalDoesNotAlias checks that a decoded message survives the
// caller overwriting the buffer it was decoded from, which the engine does
// as soon as a record is consumed.
func TestUnmarshalDoesNotAlias(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			encoded := marshalSample(t, s)
			buf := append([]byte(nil), encoded...)
			decoded := s.fresh()
			require.NoError(t, decoded.Unmarshal(buf))
			want := fieldsOf(decoded)

			for i := range buf {
				buf[i] ^= 0xff
			}
			assert.Equal(t, want, fieldsOf(decoded))
			assert.Equal(t, encoded, rawOf(decoded))
		})
	}
}

// TestUnmarshalFailureKeepsValue checks that a failed Unmarshal leaves the
// previous contents alone, so a caller never sees a half-decoded message.
func TestUnmarshalFailureKeepsValue(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			encoded := marshalSample(t, s)
			decoded := s.fresh()
			require.NoError(t, decoded.Unmarshal(encoded))
			want := fieldsOf(decoded)

			require.Error(t, decoded.Unmarshal(append(encoded, 0)))
			assert.Equal(t, want, fieldsOf(decoded))
			assert.Equal(t, encoded, rawOf(decoded))
		})
	}
}

func TestClientHelloExtensionOrder(t *testing.T) {
	m := samples()[0].msg.(*ClientHello)
	encoded, err := m.Marshal()
	require.NoError(t, err)
	var decoded ClientHello
	require.NoError(t, decoded.Unmarshal(encoded))
	assert.Equal(t, []uint16{
		ExtServerName, ExtStatusRequest, ExtSupportedGroups, ExtECPointFormats,
		ExtSignatureAlgorithms, ExtSignatureAlgorithmsCert, ExtALPN, ExtSCT,
		ExtExtendedMasterSecret, ExtSessionTicket, ExtRenegotiationInfo,
		ExtSupportedVersions, ExtCookie, ExtPSKModes, ExtKeyShare, ExtEarlyData,
		ExtPreSharedKey,
	}, decoded.Extensions)
}

func TestClientHelloBinders(t *testing.T) {
	m := &ClientHello{
		Vers:               VersionTLS12,
		Random:             filled(32, 1),
		CipherSuites:       []uint16{0x1301},
		CompressionMethods: []uint8{0},
		SupportedVersions:  []uint16{VersionTLS13},
		PSKModes:           []uint8{PSKModeDHEKE},
		PSKIdentities:      []PSKIdentity{{Label: []byte("a"), ObfuscatedTicketAge: 1}, {Label: []byte("b"), ObfuscatedTicketAge: 2}},
		PSKBinders:         [][]byte{make([]byte, 32), make([]byte, 48)},
	}
	assert.Equal(t, 2+33+49, m.BindersLen())
	encoded, err := m.Marshal()
	require.NoError(t, err)
	prefix := append([]byte(nil), encoded[:len(encoded)-m.BindersLen()]...)

	binders := [][]byte{filled(32, 0xaa), filled(48, 0xbb)}
	require.NoError(t, m.UpdateBinders(binders))
	assert.Equal(t, prefix, m.Raw[:len(m.Raw)-m.BindersLen()], "bytes before the binders must not move")
	assert.Equal(t, binders, m.PSKBinders)

	var decoded ClientHello
	require.NoError(t, decoded.Unmarshal(m.Raw))
	assert.Equal(t, binders, decoded.PSKBinders)
	remarshalled, err := decoded.Marshal()
	require.NoError(t, err)
	assert.Equal(t, m.Raw, remarshalled)

	binders[0][0] = 0
	assert.Equal(t, byte(0xaa), m.PSKBinders[0][0], "UpdateBinders must copy the binders")

	tests := []struct {
		name    string
		binders [][]byte
	}{
		{"too few", [][]byte{filled(32, 1)}},
		{"too many", [][]byte{filled(32, 1), filled(48, 1), filled(32, 1)}},
		{"size changed", [][]byte{filled(48, 1), filled(32, 1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := append([]byte(nil), m.Raw...)
			assert.Error(t, m.UpdateBinders(tc.binders))
			assert.Equal(t, before, m.Raw)
		})
	}
}

func TestClientHelloBindersWithoutPSK(t *testing.T) {
	m := samples()[1].msg.(*ClientHello)
	_, err := m.Marshal()
	require.NoError(t, err)
	assert.Zero(t, m.BindersLen())
	assert.Error(t, m.UpdateBinders(nil))

	unmarshalled := &ClientHello{PSKIdentities: []PSKIdentity{{Label: []byte("x")}}, PSKBinders: [][]byte{filled(32, 0)}}
	assert.Error(t, unmarshalled.UpdateBinders([][]byte{filled(32, 1)}), "no Raw to update")
}

func TestMarshalRejectsUnencodableValues(t *testing.T) {
	base := func() *ClientHello {
		return &ClientHello{Random: filled(32, 0), CipherSuites: []uint16{0x1301}, CompressionMethods: []uint8{0}}
	}
	tests := []struct {
		name string
		msg  message
	}{
		{"ClientHello short random", &ClientHello{Random: filled(31, 0)}},
		{"ClientHello long session ID", func() message { m := base(); m.SessionID = filled(33, 0); return m }()},
		{"ClientHello trailing dot", func() message { m := base(); m.ServerName = "example.com."; return m }()},
		{"ClientHello empty ALPN name", func() message { m := base(); m.ALPNProtocols = []string{""}; return m }()},
		{"ClientHello binder count", func() message {
			m := base()
			m.PSKIdentities = []PSKIdentity{{Label: []byte("x")}}
			return m
		}()},
		{"ClientHello binder too long", func() message {
			m := base()
			m.PSKIdentities = []PSKIdentity{{Label: []byte("x")}}
			m.PSKBinders = [][]byte{filled(256, 0)}
			return m
		}()},
		{"ClientHello empty key share", func() message { m := base(); m.KeyShares = []KeyShare{{Group: GroupX25519}}; return m }()},
		{"ClientHello empty PSK label", func() message {
			m := base()
			m.PSKIdentities = []PSKIdentity{{}}
			m.PSKBinders = [][]byte{filled(32, 0)}
			return m
		}()},
		{"ClientHello binder too short", func() message {
			m := base()
			m.PSKIdentities = []PSKIdentity{{Label: []byte("x")}}
			m.PSKBinders = [][]byte{filled(31, 0)}
			return m
		}()},
		{"ClientHello too many suites", func() message { m := base(); m.CipherSuites = make([]uint16, 40000); return m }()},
		{"ServerHello short random", &ServerHello{Random: filled(1, 0)}},
		{"ServerHello long session ID", &ServerHello{Random: filled(32, 0), SessionID: filled(33, 0)}},
		{"EncryptedExtensions small record limit", &EncryptedExtensions{RecordSizeLimit: 63}},
		{"EncryptedExtensions long ALPN", &EncryptedExtensions{ALPNProtocol: string(filled(256, 'a'))}},
		{"CertificateRequest13 no algorithms", &CertificateRequest13{}},
		{"CertificateRequest12 no types", &CertificateRequest12{SignatureAlgorithms: []uint16{1}}},
		{"Certificate13 empty entry", &Certificate13{Entries: []CertificateEntry{{}}}},
		{"Certificate12 empty certificate", &Certificate12{Certificates: [][]byte{nil}}},
		{"Finished empty", &Finished{}},
		{"NewSessionTicket13 empty ticket", &NewSessionTicket13{}},
		{"NewSessionTicket13 long nonce", &NewSessionTicket13{Ticket: []byte{1}, Nonce: filled(256, 0)}},
		{"ServerKeyExchange empty public", &ServerKeyExchangeECDHE{}},
		{"ServerKeyExchange long public", &ServerKeyExchangeECDHE{Public: filled(256, 0)}},
		{"ClientKeyExchange empty public", &ClientKeyExchangeECDHE{}},
		{"ClientKeyExchange long public", &ClientKeyExchangeECDHE{Public: filled(256, 0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.msg.Marshal()
			var wireErr *Error
			require.ErrorAs(t, err, &wireErr)
			assert.Equal(t, AlertInternalError, wireErr.Alert)
			assert.Empty(t, rawOf(tc.msg))
		})
	}
}

func TestServerKeyExchangeSignedParams(t *testing.T) {
	m := &ServerKeyExchangeECDHE{Group: GroupX25519, Public: []byte{0xaa, 0xbb}}
	assert.Equal(t, []byte{3, 0x00, 0x1d, 2, 0xaa, 0xbb}, m.SignedParams())
}

func TestMessageHash(t *testing.T) {
	hash := filled(32, 0x5a)
	msg := MessageHash(hash)
	assert.Equal(t, append([]byte{254, 0, 0, 32}, hash...), msg)
	typ, n, ok := ParseHandshakeHeader(msg)
	require.True(t, ok)
	assert.Equal(t, TypeMessageHash, typ)
	assert.Equal(t, len(hash), n)
}
