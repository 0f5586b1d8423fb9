package schannel_test

import (
	"bytes"
	"crypto/tls"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sealOOB seals a 2-byte alert with EncryptMessage's SECQOP_WRAP_OOB_DATA.
func sealOOB(t *testing.T, ctx *schannel.Context, level, description byte) []byte {
	t.Helper()
	sizes, err := ctx.StreamSizes()
	require.NoError(t, err)
	buf := make([]byte, sizes.Header+2+sizes.Trailer)
	buf[sizes.Header], buf[sizes.Header+1] = level, description
	bufs := []schannel.SecBuffer{
		schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_HEADER, buf[:sizes.Header]),
		schannel.NewSecBuffer(schannel.SECBUFFER_DATA, buf[sizes.Header:sizes.Header+2]),
		schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_TRAILER, buf[sizes.Header+2:]),
		{},
	}
	_, err = ctx.EncryptMessage(schannel.SECQOP_WRAP_OOB_DATA, bufs)
	require.NoError(t, err)
	return buf[:bufs[0].Size+bufs[1].Size+bufs[2].Size]
}

// TestFloodsOfEmptyRecords: records that carry nothing are allowed, but not
// without end: after 32 in a row the context fails with unexpected_message,
// while one record with data in between resets the count.
func TestFloodsOfEmptyRecords(t *testing.T) {
	p := pki(t)
	cases := []struct {
		name   string
		config func(*tls.Config)
		record func(t *testing.T, client *sspiPeer) []byte
	}{
		{"empty application data, TLS 1.3", nil, func(t *testing.T, c *sspiPeer) []byte { return encrypt(t, c.ctx, nil) }},
		{"empty application data, TLS 1.2", func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 },
			func(t *testing.T, c *sspiPeer) []byte { return encrypt(t, c.ctx, nil) }},
		{"warning alerts, TLS 1.2", func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 },
			func(t *testing.T, c *sspiPeer) []byte { return sealOOB(t, c.ctx, 1, byte(wire.AlertNoRenegotiation)) }},
		{"user_canceled warnings, TLS 1.3", nil,
			func(t *testing.T, c *sspiPeer) []byte { return sealOOB(t, c.ctx, 1, byte(wire.AlertUserCanceled)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ccfg := p.clientConfig()
			if tc.config != nil {
				tc.config(ccfg)
			}
			client, server := established(t, ccfg, p.serverConfig())
			var burst []byte
			for range 32 {
				burst = append(burst, tc.record(t, client)...)
			}
			burst = append(burst, encrypt(t, client.ctx, []byte("x"))...)
			plain, status := decryptAll(t, server.ctx, burst)
			require.Equal(t, schannel.SEC_E_OK, status, "32 in a row are tolerated")
			assert.Equal(t, "x", string(plain))

			var flood []byte
			for range 33 {
				flood = append(flood, tc.record(t, client)...)
			}
			_, status = decryptAll(t, server.ctx, flood)
			assert.Equal(t, schannel.SEC_E_ILLEGAL_MESSAGE, status, "the 33rd empty record in a row ends it")
		})
	}
}

// TestOversizedProtectedRecord: a record header announcing more than
// 2^14+256 bytes is refused before its body is awaited, so a peer cannot
// make us buffer more than one maximum record.
func TestOversizedProtectedRecord(t *testing.T) {
	p := pki(t)
	_, server := established(t, p.clientConfig(), p.serverConfig())
	header := wire.AppendRecordHeader(nil, wire.ContentApplicationData, wire.VersionTLS12, wire.MaxCiphertext13+1)
	bufs := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, header), {}, {}, {}}
	status, err := server.ctx.DecryptMessage(bufs)
	assert.Equal(t, schannel.SEC_E_DECRYPT_FAILURE, status, "no SECBUFFER_MISSING asking for the body")
	var se *schannel.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, int(wire.AlertRecordOverflow), se.Alert)

	// Exactly the maximum is merely incomplete.
	_, server = established(t, p.clientConfig(), p.serverConfig())
	header = wire.AppendRecordHeader(nil, wire.ContentApplicationData, wire.VersionTLS12, wire.MaxCiphertext13)
	bufs = []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, header), {}, {}, {}}
	status, _ = server.ctx.DecryptMessage(bufs)
	assert.Equal(t, schannel.SEC_E_INCOMPLETE_MESSAGE, status)
	assert.Equal(t, wire.MaxCiphertext13, bufs[0].Size)
}

// TestDuplicateExtensionInClientHello: a ClientHello naming an extension
// twice is refused with decode_error, as BoringSSL and crypto/tls refuse it.
func TestDuplicateExtensionInClientHello(t *testing.T) {
	p := pki(t)
	client, server := newPeers(t, p.clientConfig(), p.serverConfig())
	_, record, err := client.call(t)
	require.NoError(t, err)
	var hello wire.ClientHello
	require.NoError(t, hello.Unmarshal(record[5:]))
	require.Empty(t, hello.PSKIdentities, "no session to offer, so nothing must stay after our extension")
	// Append a second, empty extended_master_secret (23) to the extensions
	// block: 2 bytes of type and 2 of length, and fix the three lengths.
	msg := bytes.Clone(record[5:])
	extensionsAt := 4 + 2 + 32 + 1 + len(hello.SessionID) + 2 + 2*len(hello.CipherSuites) + 1 + len(hello.CompressionMethods)
	msg = append(msg, 0, 23, 0, 0)
	extLen := int(msg[extensionsAt])<<8 | int(msg[extensionsAt+1])
	msg[extensionsAt], msg[extensionsAt+1] = byte((extLen+4)>>8), byte(extLen+4)
	bodyLen := len(msg) - 4
	msg[1], msg[2], msg[3] = byte(bodyLen>>16), byte(bodyLen>>8), byte(bodyLen)
	server.inbox = append(wire.AppendRecordHeader(nil, wire.ContentHandshake, wire.VersionTLS12, len(msg)), msg...)
	status, _, err := server.call(t)
	assert.Equal(t, schannel.SEC_E_ILLEGAL_MESSAGE, status)
	var se *schannel.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, int(wire.AlertDecodeError), se.Alert, "%v", err)
}
