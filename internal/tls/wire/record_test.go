package wire

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordHeader(t *testing.T) {
	tests := []struct {
		name    string
		typ     ContentType
		version uint16
		length  int
		want    []byte
	}{
		{"handshake", ContentHandshake, VersionTLS10, 0xc4, []byte{22, 3, 1, 0, 0xc4}},
		{"application data", ContentApplicationData, VersionTLS12, MaxCiphertext13, []byte{23, 3, 3, 0x41, 0x00}},
		{"empty alert", ContentAlert, VersionTLS12, 0, []byte{21, 3, 3, 0, 0}},
		{"largest", ContentChangeCipherSpec, 0xffff, 0xffff, []byte{20, 0xff, 0xff, 0xff, 0xff}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := AppendRecordHeader([]byte{0xee}, tc.typ, tc.version, tc.length)
			assert.Equal(t, append([]byte{0xee}, tc.want...), got)

			typ, version, length, ok := ParseRecordHeader(append(tc.want, 0xaa, 0xbb))
			require.True(t, ok)
			assert.Equal(t, tc.typ, typ)
			assert.Equal(t, tc.version, version)
			assert.Equal(t, tc.length, length)
		})
	}
}

func TestRecordHeaderTooShort(t *testing.T) {
	full := []byte{22, 3, 3, 0, 1}
	for n := range RecordHeaderLen {
		_, _, _, ok := ParseRecordHeader(full[:n])
		assert.False(t, ok, "length %d", n)
	}
}

func TestParseRecordHeaderDoesNotAllocate(t *testing.T) {
	b := []byte{23, 3, 3, 1, 0}
	allocs := testing.AllocsPerRun(100, func() {
		_, _, _, _ = ParseRecordHeader(b)
	})
	assert.Zero(t, allocs)
}

func TestHandshakeHeader(t *testing.T) {
	typ, n, ok := ParseHandshakeHeader([]byte{11, 0x01, 0x02, 0x03, 0xff})
	require.True(t, ok)
	assert.Equal(t, TypeCertificate, typ)
	assert.Equal(t, 0x010203, n)

	for i := range HandshakeHeaderLen {
		_, _, ok := ParseHandshakeHeader(make([]byte, i))
		assert.False(t, ok, "length %d", i)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		value interface{ String() string }
		want  string
	}{
		{ContentChangeCipherSpec, "change_cipher_spec"},
		{ContentAlert, "alert"},
		{ContentHandshake, "handshake"},
		{ContentApplicationData, "application_data"},
		{ContentType(99), "ContentType(99)"},
		{TypeHelloRequest, "hello_request"},
		{TypeClientHello, "client_hello"},
		{TypeServerHello, "server_hello"},
		{TypeNewSessionTicket, "new_session_ticket"},
		{TypeEndOfEarlyData, "end_of_early_data"},
		{TypeEncryptedExtensions, "encrypted_extensions"},
		{TypeCertificate, "certificate"},
		{TypeServerKeyExchange, "server_key_exchange"},
		{TypeCertificateRequest, "certificate_request"},
		{TypeServerHelloDone, "server_hello_done"},
		{TypeCertificateVerify, "certificate_verify"},
		{TypeClientKeyExchange, "client_key_exchange"},
		{TypeFinished, "finished"},
		{TypeKeyUpdate, "key_update"},
		{TypeMessageHash, "message_hash"},
		{HandshakeType(3), "HandshakeType(3)"},
		{AlertCloseNotify, "close_notify"},
		{AlertUnexpectedMessage, "unexpected_message"},
		{AlertBadRecordMAC, "bad_record_mac"},
		{AlertRecordOverflow, "record_overflow"},
		{AlertHandshakeFailure, "handshake_failure"},
		{AlertBadCertificate, "bad_certificate"},
		{AlertUnsupportedCertificate, "unsupported_certificate"},
		{AlertCertificateRevoked, "certificate_revoked"},
		{AlertCertificateExpired, "certificate_expired"},
		{AlertCertificateUnknown, "certificate_unknown"},
		{AlertIllegalParameter, "illegal_parameter"},
		{AlertUnknownCA, "unknown_ca"},
		{AlertAccessDenied, "access_denied"},
		{AlertDecodeError, "decode_error"},
		{AlertDecryptError, "decrypt_error"},
		{AlertProtocolVersion, "protocol_version"},
		{AlertInsufficientSecurity, "insufficient_security"},
		{AlertInternalError, "internal_error"},
		{AlertInappropriateFallback, "inappropriate_fallback"},
		{AlertUserCanceled, "user_canceled"},
		{AlertNoRenegotiation, "no_renegotiation"},
		{AlertMissingExtension, "missing_extension"},
		{AlertUnsupportedExtension, "unsupported_extension"},
		{AlertUnrecognizedName, "unrecognized_name"},
		{AlertBadCertificateStatusResponse, "bad_certificate_status_response"},
		{AlertUnknownPSKIdentity, "unknown_psk_identity"},
		{AlertCertificateRequired, "certificate_required"},
		{AlertNoApplicationProtocol, "no_application_protocol"},
		{Alert(255), "Alert(255)"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.value.String())
		})
	}
}

func TestErrorMessage(t *testing.T) {
	err := error(&Error{Alert: AlertDecodeError, Msg: "bad thing"})
	assert.EqualError(t, err, "tls: bad thing")
}

func TestProtocolConstants(t *testing.T) {
	assert.Equal(t, []byte("DOWNGRD\x01"), DowngradeTLS12)
	assert.Equal(t, []byte("DOWNGRD\x00"), DowngradeTLS11)
	hrr := sha256.Sum256([]byte("HelloRetryRequest"))
	assert.Equal(t, hrr[:], HelloRetryRequestRandom, "RFC 8446 4.1.3 defines it as this hash")
	assert.Equal(t, 16384+256, MaxCiphertext13)
	assert.Equal(t, 16384+2048, MaxCiphertext12)
}
