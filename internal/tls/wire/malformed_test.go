package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Small encoders for hand-built malformed messages. They deliberately do
// not share code with the package so a bug cannot cancel itself out.

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func u16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

func u32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

func vec8(parts ...[]byte) []byte {
	b := cat(parts...)
	return append([]byte{byte(len(b))}, b...)
}

func vec16(parts ...[]byte) []byte {
	b := cat(parts...)
	return append(u16(uint16(len(b))), b...)
}

func vec24(parts ...[]byte) []byte {
	b := cat(parts...)
	return append([]byte{byte(len(b) >> 16), byte(len(b) >> 8), byte(len(b))}, b...)
}

func ext(typ uint16, data ...[]byte) []byte { return cat(u16(typ), vec16(data...)) }

func handshake(typ HandshakeType, body ...[]byte) []byte {
	return cat([]byte{byte(typ)}, vec24(body...))
}

// clientHelloWith builds a minimal valid ClientHello around exts.
func clientHelloWith(exts ...[]byte) []byte {
	return handshake(TypeClientHello, u16(VersionTLS12), filled(32, 1), vec8(), vec16(u16(0x1301)), vec8([]byte{0}), vec16(exts...))
}

func serverHelloWith(random []byte, exts ...[]byte) []byte {
	return handshake(TypeServerHello, u16(VersionTLS12), random, vec8(), u16(0x1301), []byte{0}, vec16(exts...))
}

var (
	validSNI     = ext(ExtServerName, vec16([]byte{0}, vec16([]byte("example.com"))))
	validBinders = vec16(vec8(filled(32, 0xbb)))
	validPSK     = ext(ExtPreSharedKey, vec16(vec16([]byte("id")), u32(1)), validBinders)
	validSigAlgs = ext(ExtSignatureAlgorithms, vec16(u16(PSSWithSHA256)))
)

// requireAlert asserts that err is a *Error carrying alert.
func requireAlert(t *testing.T, err error, alert Alert) {
	t.Helper()
	var wireErr *Error
	require.ErrorAs(t, err, &wireErr)
	assert.Equal(t, alert, wireErr.Alert, "%v", err)
}

// TestTruncation cuts every valid sample at every length. Cutting the
// message leaves the header lying about the size and must always fail;
// cutting the body and fixing the header may happen to produce another
// valid message, which must then round-trip like any other.
func TestTruncation(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			encoded := marshalSample(t, s)
			for n := range len(encoded) {
				requireAlert(t, s.fresh().Unmarshal(encoded[:n]), AlertDecodeError)
			}
			body := encoded[HandshakeHeaderLen:]
			for n := range len(body) {
				msg := handshake(HandshakeType(encoded[0]), body[:n])
				m := s.fresh()
				if err := m.Unmarshal(msg); err != nil {
					var wireErr *Error
					require.ErrorAs(t, err, &wireErr, "body cut at %d", n)
					continue
				}
				again, err := m.Marshal()
				require.NoError(t, err, "body cut at %d", n)
				m2 := s.fresh()
				require.NoError(t, m2.Unmarshal(again), "body cut at %d", n)
				assert.Equal(t, fieldsOf(m), fieldsOf(m2), "body cut at %d", n)
			}
		})
	}
}

func TestWrongHandshakeType(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			encoded := marshalSample(t, s)
			for typ := range 256 {
				if byte(typ) == encoded[0] {
					continue
				}
				msg := append([]byte{byte(typ)}, encoded[1:]...)
				requireAlert(t, s.fresh().Unmarshal(msg), AlertUnexpectedMessage)
			}
		})
	}
}

func TestLengthOffByOne(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			encoded := marshalSample(t, s)
			_, n, ok := ParseHandshakeHeader(encoded)
			require.True(t, ok)
			for _, delta := range []int{-1, +1} {
				msg := append([]byte(nil), encoded...)
				declared := (n + delta) & 0xffffff
				msg[1], msg[2], msg[3] = byte(declared>>16), byte(declared>>8), byte(declared)
				requireAlert(t, s.fresh().Unmarshal(msg), AlertDecodeError)
			}
		})
	}
}

func TestTrailingGarbage(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			encoded := marshalSample(t, s)
			// After the message: the header no longer covers everything.
			requireAlert(t, s.fresh().Unmarshal(append(encoded, 0)), AlertDecodeError)

			// Inside the message, with the header adjusted. A Finished body
			// is nothing but verify data, so an extra byte is just a longer
			// MAC for the engine to reject.
			if _, ok := s.msg.(*Finished); ok {
				return
			}
			msg := handshake(HandshakeType(encoded[0]), encoded[HandshakeHeaderLen:], []byte{0})
			requireAlert(t, s.fresh().Unmarshal(msg), AlertDecodeError)
		})
	}
}

func TestDuplicateExtensions(t *testing.T) {
	grease := ext(0x0a0a)
	// More extensions than the duplicate detector tracks without its bitmap.
	var many [][]byte
	for i := range 40 {
		many = append(many, ext(uint16(0x1000+i)))
	}
	manyShares := func(extra ...[]byte) []byte {
		var shares [][]byte
		for i := range 40 {
			shares = append(shares, u16(uint16(0x2000+i)), vec16([]byte{1}))
		}
		return ext(ExtKeyShare, vec16(append(shares, extra...)...))
	}
	tests := []struct {
		name  string
		msg   []byte
		fresh func() message
	}{
		{"ClientHello server_name", clientHelloWith(validSNI, validSNI), func() message { return new(ClientHello) }},
		{"ClientHello unknown", clientHelloWith(grease, validSNI, grease), func() message { return new(ClientHello) }},
		{"ClientHello pre_shared_key", clientHelloWith(validPSK, validPSK), func() message { return new(ClientHello) }},
		{"ClientHello many, early one repeated", clientHelloWith(append(many, many[2])...), func() message { return new(ClientHello) }},
		{"ClientHello many, late one repeated", clientHelloWith(append(many, many[30])...), func() message { return new(ClientHello) }},
		{"ClientHello key_share group", clientHelloWith(manyShares(u16(0x2005), vec16([]byte{2}))), func() message { return new(ClientHello) }},
		{"ServerHello supported_versions", serverHelloWith(filled(32, 2), ext(ExtSupportedVersions, u16(VersionTLS13)), ext(ExtSupportedVersions, u16(VersionTLS13))), func() message { return new(ServerHello) }},
		{"ServerHello unknown", serverHelloWith(filled(32, 2), grease, grease), func() message { return new(ServerHello) }},
		{"EncryptedExtensions server_name", handshake(TypeEncryptedExtensions, vec16(ext(ExtServerName), ext(ExtServerName))), func() message { return new(EncryptedExtensions) }},
		{"CertificateRequest13 signature_algorithms", handshake(TypeCertificateRequest, vec8(), vec16(validSigAlgs, validSigAlgs)), func() message { return new(CertificateRequest13) }},
		{"Certificate13 entry", handshake(TypeCertificate, vec8(), vec24(vec24(filled(10, 1)), vec16(ext(ExtStatusRequest), ext(ExtStatusRequest)))), func() message { return new(Certificate13) }},
		{"NewSessionTicket13 early_data", handshake(TypeNewSessionTicket, u32(1), u32(2), vec8(), vec16([]byte{1}), vec16(ext(ExtEarlyData, u32(1)), ext(ExtEarlyData, u32(1)))), func() message { return new(NewSessionTicket13) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A repeated extension is decode_error, as BoringSSL and
			// crypto/tls send; a repeated key_share group is the
			// illegal_parameter RFC 8446 section 4.2.8 names.
			want := AlertDecodeError
			if tc.name == "ClientHello key_share group" {
				want = AlertIllegalParameter
			}
			requireAlert(t, tc.fresh().Unmarshal(tc.msg), want)
		})
	}
}

// TestInvalidFields covers the rules beyond framing: each case is one
// well-framed message that breaks exactly one of them.
func TestInvalidFields(t *testing.T) {
	ch := func() message { return new(ClientHello) }
	sh := func() message { return new(ServerHello) }
	ee := func() message { return new(EncryptedExtensions) }
	hrr := append([]byte(nil), HelloRetryRequestRandom...)
	tests := []struct {
		name  string
		msg   []byte
		fresh func() message
		alert Alert
	}{
		{"ClientHello pre_shared_key not last", clientHelloWith(validPSK, validSNI), ch, AlertIllegalParameter},
		{"ClientHello empty cipher suites", handshake(TypeClientHello, u16(VersionTLS12), filled(32, 1), vec8(), vec16(), vec8([]byte{0})), ch, AlertDecodeError},
		{"ClientHello odd cipher suites", handshake(TypeClientHello, u16(VersionTLS12), filled(32, 1), vec8(), vec16([]byte{0x13}), vec8([]byte{0})), ch, AlertDecodeError},
		{"ClientHello no compression", handshake(TypeClientHello, u16(VersionTLS12), filled(32, 1), vec8(), vec16(u16(0x1301)), vec8()), ch, AlertDecodeError},
		{"ClientHello long session ID", handshake(TypeClientHello, u16(VersionTLS12), filled(32, 1), vec8(filled(33, 0)), vec16(u16(0x1301)), vec8([]byte{0})), ch, AlertDecodeError},
		{"ClientHello short random", handshake(TypeClientHello, u16(VersionTLS12), filled(31, 1)), ch, AlertDecodeError},
		{"server_name trailing dot", clientHelloWith(ext(ExtServerName, vec16([]byte{0}, vec16([]byte("example.com."))))), ch, AlertDecodeError},
		{"server_name non-printable", clientHelloWith(ext(ExtServerName, vec16([]byte{0}, vec16([]byte("exa\x00mple"))))), ch, AlertDecodeError},
		{"server_name space", clientHelloWith(ext(ExtServerName, vec16([]byte{0}, vec16([]byte("a b"))))), ch, AlertDecodeError},
		{"server_name high bit", clientHelloWith(ext(ExtServerName, vec16([]byte{0}, vec16([]byte("caf\xc3\xa9"))))), ch, AlertDecodeError},
		{"server_name empty name", clientHelloWith(ext(ExtServerName, vec16([]byte{0}, vec16()))), ch, AlertDecodeError},
		{"server_name empty list", clientHelloWith(ext(ExtServerName, vec16())), ch, AlertDecodeError},
		{"server_name other type", clientHelloWith(ext(ExtServerName, vec16([]byte{1}, vec16([]byte("x"))))), ch, AlertDecodeError},
		{"server_name two names", clientHelloWith(ext(ExtServerName, vec16([]byte{0}, vec16([]byte("a")), []byte{0}, vec16([]byte("b"))))), ch, AlertDecodeError},
		{"ALPN empty name", clientHelloWith(ext(ExtALPN, vec16(vec8([]byte("h2")), vec8()))), ch, AlertDecodeError},
		{"ALPN empty list", clientHelloWith(ext(ExtALPN, vec16())), ch, AlertDecodeError},
		{"supported_versions empty", clientHelloWith(ext(ExtSupportedVersions, vec8())), ch, AlertDecodeError},
		{"supported_versions odd", clientHelloWith(ext(ExtSupportedVersions, vec8([]byte{3}))), ch, AlertDecodeError},
		{"supported_versions as in ServerHello", clientHelloWith(ext(ExtSupportedVersions, u16(VersionTLS13))), ch, AlertDecodeError},
		{"supported_groups empty", clientHelloWith(ext(ExtSupportedGroups, vec16())), ch, AlertDecodeError},
		{"signature_algorithms trailing byte", clientHelloWith(ext(ExtSignatureAlgorithms, vec16(u16(Ed25519)), []byte{0})), ch, AlertDecodeError},
		{"key_share empty data", clientHelloWith(ext(ExtKeyShare, vec16(u16(GroupX25519), vec16()))), ch, AlertDecodeError},
		{"key_share repeated group", clientHelloWith(ext(ExtKeyShare, vec16(u16(GroupX25519), vec16([]byte{1}), u16(GroupX25519), vec16([]byte{2})))), ch, AlertIllegalParameter},
		{"binder too short", clientHelloWith(ext(ExtPreSharedKey, vec16(vec16([]byte("id")), u32(1)), vec16(vec8(filled(31, 0))))), ch, AlertDecodeError},
		{"binder missing", clientHelloWith(ext(ExtPreSharedKey, vec16(vec16([]byte("id")), u32(1), vec16([]byte("id2")), u32(1)), validBinders)), ch, AlertIllegalParameter},
		{"binders empty", clientHelloWith(ext(ExtPreSharedKey, vec16(vec16([]byte("id")), u32(1)), vec16())), ch, AlertDecodeError},
		{"PSK identity empty", clientHelloWith(ext(ExtPreSharedKey, vec16(vec16(), u32(1)), validBinders)), ch, AlertDecodeError},
		{"early_data not empty", clientHelloWith(ext(ExtEarlyData, []byte{0})), ch, AlertDecodeError},
		{"cookie empty", clientHelloWith(ext(ExtCookie, vec16())), ch, AlertDecodeError},
		{"psk_key_exchange_modes empty", clientHelloWith(ext(ExtPSKModes, vec8())), ch, AlertDecodeError},
		{"renegotiation_info trailing byte", clientHelloWith(ext(ExtRenegotiationInfo, vec8(), []byte{0})), ch, AlertDecodeError},
		{"extension body overruns block", clientHelloWith(cat(u16(ExtSCT), u16(10))), ch, AlertDecodeError},
		{"ServerHello HRR with full key_share", serverHelloWith(hrr, ext(ExtKeyShare, u16(GroupX25519), vec16([]byte{1}))), sh, AlertDecodeError},
		{"ServerHello key_share with group only", serverHelloWith(filled(32, 2), ext(ExtKeyShare, u16(GroupX25519))), sh, AlertDecodeError},
		{"ServerHello key_share empty data", serverHelloWith(filled(32, 2), ext(ExtKeyShare, u16(GroupX25519), vec16())), sh, AlertDecodeError},
		{"ServerHello supported_versions list", serverHelloWith(filled(32, 2), ext(ExtSupportedVersions, vec8(u16(VersionTLS13)))), sh, AlertDecodeError},
		{"ServerHello two ALPN protocols", serverHelloWith(filled(32, 2), ext(ExtALPN, vec16(vec8([]byte("h2")), vec8([]byte("h3"))))), sh, AlertDecodeError},
		{"ServerHello pre_shared_key too long", serverHelloWith(filled(32, 2), ext(ExtPreSharedKey, u16(0), []byte{0})), sh, AlertDecodeError},
		{"ServerHello long session ID", handshake(TypeServerHello, u16(VersionTLS12), filled(32, 2), vec8(filled(33, 0)), u16(0x1301), []byte{0}), sh, AlertDecodeError},
		{"EncryptedExtensions two ALPN protocols", handshake(TypeEncryptedExtensions, vec16(ext(ExtALPN, vec16(vec8([]byte("h2")), vec8([]byte("h3")))))), ee, AlertDecodeError},
		{"EncryptedExtensions record_size_limit too small", handshake(TypeEncryptedExtensions, vec16(ext(ExtRecordSizeLimit, u16(63)))), ee, AlertIllegalParameter},
		{"EncryptedExtensions server_name not empty", handshake(TypeEncryptedExtensions, vec16(validSNI)), ee, AlertDecodeError},
		{"EncryptedExtensions missing block", handshake(TypeEncryptedExtensions), ee, AlertDecodeError},
		{"CertificateRequest13 without signature_algorithms", handshake(TypeCertificateRequest, vec8(), vec16(ext(ExtSignatureAlgorithmsCert, vec16(u16(Ed25519))))), func() message { return new(CertificateRequest13) }, AlertMissingExtension},
		{"CertificateRequest13 empty certificate_authorities", handshake(TypeCertificateRequest, vec8(), vec16(validSigAlgs, ext(ExtCertificateAuthorities, vec16()))), func() message { return new(CertificateRequest13) }, AlertDecodeError},
		{"CertificateRequest13 empty distinguished name", handshake(TypeCertificateRequest, vec8(), vec16(validSigAlgs, ext(ExtCertificateAuthorities, vec16(vec16())))), func() message { return new(CertificateRequest13) }, AlertDecodeError},
		{"CertificateRequest12 no types", handshake(TypeCertificateRequest, vec8(), vec16(u16(Ed25519)), vec16()), func() message { return new(CertificateRequest12) }, AlertDecodeError},
		{"CertificateRequest12 no algorithms", handshake(TypeCertificateRequest, vec8([]byte{1}), vec16(), vec16()), func() message { return new(CertificateRequest12) }, AlertDecodeError},
		{"Certificate13 empty entry", handshake(TypeCertificate, vec8(), vec24(vec24(), vec16())), func() message { return new(Certificate13) }, AlertDecodeError},
		{"Certificate13 malformed entry extensions", handshake(TypeCertificate, vec8(), vec24(vec24([]byte{1}), vec16([]byte{0, 5, 0}))), func() message { return new(Certificate13) }, AlertDecodeError},
		{"Certificate12 empty certificate", handshake(TypeCertificate, vec24(vec24([]byte{1}), vec24())), func() message { return new(Certificate12) }, AlertDecodeError},
		{"Finished empty", handshake(TypeFinished), func() message { return new(Finished) }, AlertDecodeError},
		{"NewSessionTicket13 empty ticket", handshake(TypeNewSessionTicket, u32(1), u32(2), vec8(), vec16(), vec16()), func() message { return new(NewSessionTicket13) }, AlertDecodeError},
		{"NewSessionTicket13 short early_data", handshake(TypeNewSessionTicket, u32(1), u32(2), vec8(), vec16([]byte{1}), vec16(ext(ExtEarlyData, u16(1)))), func() message { return new(NewSessionTicket13) }, AlertDecodeError},
		{"KeyUpdate 2", handshake(TypeKeyUpdate, []byte{2}), func() message { return new(KeyUpdate) }, AlertIllegalParameter},
		{"KeyUpdate 255", handshake(TypeKeyUpdate, []byte{255}), func() message { return new(KeyUpdate) }, AlertIllegalParameter},
		{"KeyUpdate empty", handshake(TypeKeyUpdate), func() message { return new(KeyUpdate) }, AlertDecodeError},
		{"ServerKeyExchange explicit curve", handshake(TypeServerKeyExchange, []byte{1}, u16(GroupP256), vec8([]byte{4}), u16(ECDSAWithP256AndSHA256), vec16()), func() message { return new(ServerKeyExchangeECDHE) }, AlertIllegalParameter},
		{"ServerKeyExchange empty public", handshake(TypeServerKeyExchange, []byte{3}, u16(GroupP256), vec8(), u16(ECDSAWithP256AndSHA256), vec16()), func() message { return new(ServerKeyExchangeECDHE) }, AlertDecodeError},
		{"ClientKeyExchange empty public", handshake(TypeClientKeyExchange, vec8()), func() message { return new(ClientKeyExchangeECDHE) }, AlertDecodeError},
		{"ServerHelloDone with body", handshake(TypeServerHelloDone, []byte{0}), func() message { return new(ServerHelloDone) }, AlertDecodeError},
		{"HelloRequest with body", handshake(TypeHelloRequest, []byte{0}), func() message { return new(HelloRequest) }, AlertDecodeError},
		{"EndOfEarlyData with body", handshake(TypeEndOfEarlyData, []byte{0}), func() message { return new(EndOfEarlyData) }, AlertDecodeError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireAlert(t, tc.fresh().Unmarshal(tc.msg), tc.alert)
		})
	}
}

// TestLenientFields covers inputs that look odd but are legal and must
// decode.
func TestLenientFields(t *testing.T) {
	t.Run("unknown extensions are listed, not rejected", func(t *testing.T) {
		var m ClientHello
		require.NoError(t, m.Unmarshal(clientHelloWith(ext(0x0a0a), validSNI, ext(0xfafa, []byte{0}), validPSK)))
		assert.Equal(t, []uint16{0x0a0a, ExtServerName, 0xfafa, ExtPreSharedKey}, m.Extensions)
		assert.Equal(t, "example.com", m.ServerName)
	})
	t.Run("many distinct extensions and groups", func(t *testing.T) {
		var exts [][]byte
		var shares [][]byte
		for i := range 40 {
			exts = append(exts, ext(uint16(0x1000+i)))
			shares = append(shares, u16(uint16(0x2000+i)), vec16([]byte{1}))
		}
		var m ClientHello
		require.NoError(t, m.Unmarshal(clientHelloWith(append(exts, ext(ExtKeyShare, vec16(shares...)))...)))
		assert.Len(t, m.Extensions, 41)
		assert.Len(t, m.KeyShares, 40)
	})
	t.Run("non-OCSP status_request is not a request", func(t *testing.T) {
		var m ClientHello
		require.NoError(t, m.Unmarshal(clientHelloWith(ext(ExtStatusRequest, []byte{2, 0xff}))))
		assert.False(t, m.StatusRequest)
		assert.Equal(t, []uint16{ExtStatusRequest}, m.Extensions)
	})
	t.Run("ClientHello without extensions block", func(t *testing.T) {
		var m ClientHello
		require.NoError(t, m.Unmarshal(handshake(TypeClientHello, u16(VersionTLS12), filled(32, 1), vec8(), vec16(u16(0x1301)), vec8([]byte{0}))))
		assert.Nil(t, m.Extensions)
	})
	t.Run("empty key_share is kept", func(t *testing.T) {
		var m ClientHello
		require.NoError(t, m.Unmarshal(clientHelloWith(ext(ExtKeyShare, vec16()))))
		assert.NotNil(t, m.KeyShares)
		assert.Empty(t, m.KeyShares)
	})
	t.Run("ServerHello unknown extension", func(t *testing.T) {
		var m ServerHello
		require.NoError(t, m.Unmarshal(serverHelloWith(filled(32, 2), ext(ExtStatusRequest), ext(0x1234, []byte{1, 2}))))
		assert.Equal(t, []uint16{ExtStatusRequest, 0x1234}, m.Extensions)
	})
	t.Run("ServerHello pre_shared_key need not be last", func(t *testing.T) {
		var m ServerHello
		require.NoError(t, m.Unmarshal(serverHelloWith(filled(32, 2), ext(ExtPreSharedKey, u16(3)), ext(ExtSupportedVersions, u16(VersionTLS13)))))
		assert.True(t, m.SelectedIdentityPresent)
		assert.Equal(t, uint16(3), m.SelectedIdentity)
	})
	t.Run("HelloRetryRequest selected group", func(t *testing.T) {
		var m ServerHello
		require.NoError(t, m.Unmarshal(serverHelloWith(HelloRetryRequestRandom, ext(ExtKeyShare, u16(GroupP256)))))
		assert.True(t, m.IsHelloRetryRequest())
		assert.Equal(t, GroupP256, m.SelectedGroup)
		assert.Zero(t, m.ServerShare)
	})
	t.Run("Finished of any length", func(t *testing.T) {
		var m Finished
		require.NoError(t, m.Unmarshal(handshake(TypeFinished, []byte{1})))
		assert.Equal(t, []byte{1}, m.VerifyData)
	})
	t.Run("NewSessionTicket12 without ticket", func(t *testing.T) {
		var m NewSessionTicket12
		require.NoError(t, m.Unmarshal(handshake(TypeNewSessionTicket, u32(0), vec16())))
		assert.Nil(t, m.Ticket)
	})
	t.Run("Certificate12 empty chain", func(t *testing.T) {
		var m Certificate12
		require.NoError(t, m.Unmarshal(handshake(TypeCertificate, vec24())))
		assert.Nil(t, m.Certificates)
	})
}
