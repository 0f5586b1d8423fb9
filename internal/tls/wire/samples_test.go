package wire

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// message is what every handshake message codec in this package provides.
type message interface {
	Marshal() ([]byte, error)
	Unmarshal(msg []byte) error
}

// sample is a representative value of one message type plus a constructor
// for an empty value to decode into.
type sample struct {
	name  string
	msg   message
	fresh func() message
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	require.NoError(t, err)
	return b
}

func filled(n int, c byte) []byte { return bytes.Repeat([]byte{c}, n) }

// samples returns fresh representative values; each call builds new ones
// because Marshal writes Raw.
func samples() []sample {
	return []sample{
		{"ClientHello13", &ClientHello{
			Vers:                         VersionTLS12,
			Random:                       filled(32, 1),
			SessionID:                    filled(32, 2),
			CipherSuites:                 []uint16{0x1301, 0x1302, 0x1303, 0xc02f},
			CompressionMethods:           []uint8{0},
			ServerName:                   "example.com",
			SupportedVersions:            []uint16{VersionTLS13, VersionTLS12},
			SupportedGroups:              []uint16{GroupX25519MLKEM768, GroupX25519, GroupP256},
			SignatureAlgorithms:          []uint16{ECDSAWithP256AndSHA256, PSSWithSHA256, PKCS1WithSHA256},
			SignatureAlgorithmsCert:      []uint16{PKCS1WithSHA1},
			KeyShares:                    []KeyShare{{Group: GroupX25519, Data: filled(32, 3)}, {Group: GroupP256, Data: filled(65, 4)}},
			ALPNProtocols:                []string{"h2", "http/1.1"},
			Cookie:                       []byte("cookie"),
			PSKModes:                     []uint8{PSKModeDHEKE},
			PSKIdentities:                []PSKIdentity{{Label: []byte("ticket-1"), ObfuscatedTicketAge: 0xdeadbeef}, {Label: []byte("t2"), ObfuscatedTicketAge: 7}},
			PSKBinders:                   [][]byte{filled(32, 5), filled(48, 6)},
			EarlyData:                    true,
			ECPointFormats:               []uint8{0},
			ExtendedMasterSecret:         true,
			SecureRenegotiationSupported: true,
			TicketSupported:              true,
			SessionTicket:                []byte("old ticket"),
			StatusRequest:                true,
			SCTRequested:                 true,
		}, func() message { return new(ClientHello) }},
		{"ClientHello12Minimal", &ClientHello{
			Vers:               VersionTLS12,
			Random:             filled(32, 7),
			CipherSuites:       []uint16{0xc02b},
			CompressionMethods: []uint8{0},
		}, func() message { return new(ClientHello) }},
		{"ClientHelloEmptyKeyShare", &ClientHello{
			Vers:                         VersionTLS12,
			Random:                       filled(32, 8),
			CipherSuites:                 []uint16{0x1301},
			CompressionMethods:           []uint8{0},
			SupportedVersions:            []uint16{VersionTLS13},
			SupportedGroups:              []uint16{GroupX25519},
			SignatureAlgorithms:          []uint16{Ed25519},
			KeyShares:                    []KeyShare{},
			SecureRenegotiationSupported: true,
			SecureRenegotiation:          filled(12, 9),
		}, func() message { return new(ClientHello) }},
		{"ServerHello13", &ServerHello{
			Vers:                    VersionTLS12,
			Random:                  filled(32, 0x11),
			SessionID:               filled(32, 0x12),
			CipherSuite:             0x1301,
			SupportedVersion:        VersionTLS13,
			ServerShare:             KeyShare{Group: GroupX25519, Data: filled(32, 0x13)},
			SelectedIdentityPresent: true,
			SelectedIdentity:        1,
		}, func() message { return new(ServerHello) }},
		{"HelloRetryRequest", &ServerHello{
			Vers:             VersionTLS12,
			Random:           append([]byte(nil), HelloRetryRequestRandom...),
			SessionID:        filled(32, 0x14),
			CipherSuite:      0x1302,
			SupportedVersion: VersionTLS13,
			SelectedGroup:    GroupP384,
			Cookie:           filled(100, 0x15),
		}, func() message { return new(ServerHello) }},
		{"ServerHello12", &ServerHello{
			Vers:                         VersionTLS12,
			Random:                       append(filled(24, 0x16), DowngradeTLS12...),
			SessionID:                    filled(16, 0x17),
			CipherSuite:                  0xc02f,
			ExtendedMasterSecret:         true,
			SecureRenegotiationSupported: true,
			SecureRenegotiation:          filled(24, 0x18),
			ALPNProtocol:                 "http/1.1",
			TicketSupported:              true,
			ECPointFormats:               []uint8{0},
		}, func() message { return new(ServerHello) }},
		{"EncryptedExtensions", &EncryptedExtensions{
			ALPNProtocol:    "h2",
			ServerNameAck:   true,
			EarlyData:       true,
			SupportedGroups: []uint16{GroupX25519, GroupP256},
			RecordSizeLimit: 16385,
		}, func() message { return new(EncryptedExtensions) }},
		{"EncryptedExtensionsEmpty", &EncryptedExtensions{}, func() message { return new(EncryptedExtensions) }},
		{"CertificateRequest13", &CertificateRequest13{
			Context:                 []byte{1, 2, 3},
			SignatureAlgorithms:     []uint16{ECDSAWithP384AndSHA384, PSSWithSHA384},
			SignatureAlgorithmsCert: []uint16{PKCS1WithSHA512},
			CertificateAuthorities:  [][]byte{filled(20, 0x21), filled(3, 0x22)},
		}, func() message { return new(CertificateRequest13) }},
		{"CertificateRequest12", &CertificateRequest12{
			CertificateTypes:       []uint8{1, 64},
			SignatureAlgorithms:    []uint16{PKCS1WithSHA256, ECDSAWithSHA1},
			CertificateAuthorities: [][]byte{filled(30, 0x23)},
		}, func() message { return new(CertificateRequest12) }},
		{"Certificate13", &Certificate13{
			Context: []byte{9},
			Entries: []CertificateEntry{
				{Data: filled(300, 0x31), Extensions: []byte{0x00, 0x05, 0x00, 0x02, 0xaa, 0xbb}},
				{Data: filled(200, 0x32)},
			},
		}, func() message { return new(Certificate13) }},
		{"Certificate13Empty", &Certificate13{}, func() message { return new(Certificate13) }},
		{"Certificate12", &Certificate12{Certificates: [][]byte{filled(500, 0x33), filled(1, 0x34)}}, func() message { return new(Certificate12) }},
		{"CertificateVerify", &CertificateVerify{Scheme: PSSWithSHA256, Signature: filled(256, 0x41)}, func() message { return new(CertificateVerify) }},
		{"Finished", &Finished{VerifyData: filled(48, 0x51)}, func() message { return new(Finished) }},
		{"NewSessionTicket13", &NewSessionTicket13{
			Lifetime:     604800,
			AgeAdd:       0x01020304,
			Nonce:        []byte{0, 1},
			Ticket:       filled(64, 0x61),
			MaxEarlyData: 16384,
		}, func() message { return new(NewSessionTicket13) }},
		{"NewSessionTicket12", &NewSessionTicket12{Lifetime: 7200, Ticket: filled(80, 0x62)}, func() message { return new(NewSessionTicket12) }},
		{"KeyUpdateRequested", &KeyUpdate{RequestUpdate: true}, func() message { return new(KeyUpdate) }},
		{"KeyUpdateNotRequested", &KeyUpdate{}, func() message { return new(KeyUpdate) }},
		{"ServerKeyExchangeECDHE", &ServerKeyExchangeECDHE{
			Group:     GroupP256,
			Public:    filled(65, 0x71),
			Scheme:    ECDSAWithP256AndSHA256,
			Signature: filled(72, 0x72),
		}, func() message { return new(ServerKeyExchangeECDHE) }},
		{"ClientKeyExchangeECDHE", &ClientKeyExchangeECDHE{Public: filled(32, 0x73)}, func() message { return new(ClientKeyExchangeECDHE) }},
		{"ServerHelloDone", &ServerHelloDone{}, func() message { return new(ServerHelloDone) }},
		{"HelloRequest", &HelloRequest{}, func() message { return new(HelloRequest) }},
		{"EndOfEarlyData", &EndOfEarlyData{}, func() message { return new(EndOfEarlyData) }},
	}
}

// fieldsOf returns a copy of the message with the bookkeeping fields Raw
// and Extensions cleared, leaving only what the fields say.
func fieldsOf(m message) any {
	v := reflect.ValueOf(m).Elem()
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	for _, name := range []string{"Raw", "Extensions"} {
		if f := c.FieldByName(name); f.IsValid() {
			f.Set(reflect.Zero(f.Type()))
		}
	}
	return c.Interface()
}

// rawOf returns the Raw field of a message.
func rawOf(m message) []byte {
	return reflect.ValueOf(m).Elem().FieldByName("Raw").Bytes()
}

// marshalSample encodes a sample, failing the test if that is impossible.
func marshalSample(t testing.TB, s sample) []byte {
	t.Helper()
	b, err := s.msg.Marshal()
	require.NoError(t, err, s.name)
	return b
}
