package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Handshake messages from RFC 8448 ("Example Handshake Traces for TLS
// 1.3"), handshake headers included. Section 3 is the simple 1-RTT
// handshake, section 4 the resumed 0-RTT one. The hex was taken from
// public copies of the trace and checked against the RFC's own key
// schedule values (traffic secrets, both Finished MACs, the resumption
// secret and the section 4 binder), so a transcription slip would not go
// unnoticed.
const (
	rfc8448ClientHello = `
		010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece700000613011303
		1302010000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101
		020103010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413
		691e529aaf2c002b0003020304000d0020001e0403050306030203080408050806040105010601020104020502
		06020202002d00020101001c00024001`
	rfc8448ServerHello = `
		020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00
		330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304`
	rfc8448EncryptedExtensions = `
		080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000`
	rfc8448Certificate = `
		0b0001b9000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e31
		0c300a06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335395a
		300e310c300a0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100
		b4bb498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace
		6c1af19eaa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030
		530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001a31a
		301830090603551d1304023000300b0603551d0f0404030205a0300d06092a864886f70d01010b050003818100
		85aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594365417f2eae8f8a58c8f8172f9319cf3
		6b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1fc63a42a99be5c3eb7107c3c54
		e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b42b4de10000`
	rfc8448CertificateVerify = `
		0f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc90db
		78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac0276
		71459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74
		f3`
	rfc8448ServerFinished = `
		140000209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718`
	rfc8448ClientFinished = `
		14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61`
	rfc8448NewSessionTicket = `
		040000c90000001efad6aac502000000b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a34cb33
		fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a982117283f82a03a143efd3ff5dd36d64e861
		be7fd61d2827db279cce145077d454a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5
		906c5b3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac5c03272e970727c621a79141ef5f7de6505e
		5bfbc388e93343694093934ae4d3570008002a000400000400`

	// Section 4: the ClientHello offering the ticket above, binder last.
	rfc8448ResumeClientHello = `
		010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d9500000613011303
		1302010001cd0000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101
		0201030104003300260024001d0020e4ffb68ac05f8d96c99da26698346c6be16482badddafe051a66b4f18d66
		8f0b002a0000002b0003020304000d0020001e0403050306030203080408050806040105010601020104020502
		06020202002d00020101001c000240010015005700000000000000000000000000000000000000000000000000
		000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
		0000000000000000000000000000000000002900dd00b800b22c035d829359ee5ff7af4ec900000000262a6494
		dc486d2c8a34cb33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a982117283f82a03a143ef
		d3ff5dd36d64e861be7fd61d2827db279cce145077d454a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea705
		29513e3da2677fa5906c5b3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac5c03272e970727c621a7
		9141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb0021203add4fb2d8fdf822a0ca3cf7678ef5
		e88dae990141c5924d57bb6fa31b9e5f9d`
	rfc8448ResumeServerHello = `
		0200005c03033ccfd2dec890222763472ae8136777c9d7358777bb66e91ea5122495f559ea2d00130100003400
		290002000000330024001d0020121761ee42c333e1b9e77b60dd57c2053cd94512ab47f115e86eff50942cea31
		002b00020304`
	rfc8448ResumeEncryptedExtensions = `
		080000280026000a00140012001d00170018001901000101010201030104001c0002400100000000002a0000`
	rfc8448EndOfEarlyData = `05000000`
)

// rfc8448SupportedGroups is the supported_groups list both the client and
// (in EncryptedExtensions) the server send in the traces.
var rfc8448SupportedGroups = []uint16{GroupX25519, GroupP256, GroupP384, GroupP521, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104}

func TestRFC8448ClientHello(t *testing.T) {
	input := unhex(t, rfc8448ClientHello)
	var m ClientHello
	require.NoError(t, m.Unmarshal(input))

	assert.Equal(t, input, m.Raw)
	assert.Equal(t, VersionTLS12, m.Vers)
	assert.Equal(t, unhex(t, "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7"), m.Random)
	assert.Nil(t, m.SessionID)
	assert.Equal(t, []uint16{0x1301, 0x1303, 0x1302}, m.CipherSuites)
	assert.Equal(t, []uint8{0}, m.CompressionMethods)
	assert.Equal(t, "server", m.ServerName)
	assert.True(t, m.SecureRenegotiationSupported)
	assert.Nil(t, m.SecureRenegotiation)
	assert.Equal(t, rfc8448SupportedGroups, m.SupportedGroups)
	assert.True(t, m.TicketSupported)
	assert.Nil(t, m.SessionTicket)
	require.Len(t, m.KeyShares, 1)
	assert.Equal(t, GroupX25519, m.KeyShares[0].Group)
	assert.Equal(t, unhex(t, "99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c"), m.KeyShares[0].Data)
	assert.Equal(t, []uint16{VersionTLS13}, m.SupportedVersions)
	assert.Equal(t, []uint16{
		ECDSAWithP256AndSHA256, ECDSAWithP384AndSHA384, ECDSAWithP521AndSHA512, ECDSAWithSHA1,
		PSSWithSHA256, PSSWithSHA384, PSSWithSHA512,
		PKCS1WithSHA256, PKCS1WithSHA384, PKCS1WithSHA512, PKCS1WithSHA1,
		0x0402, 0x0502, 0x0602, 0x0202,
	}, m.SignatureAlgorithms)
	assert.Equal(t, []uint8{PSKModeDHEKE}, m.PSKModes)
	// record_size_limit is not decoded, but it is still listed.
	assert.Equal(t, []uint16{
		ExtServerName, ExtRenegotiationInfo, ExtSupportedGroups, ExtSessionTicket,
		ExtKeyShare, ExtSupportedVersions, ExtSignatureAlgorithms, ExtPSKModes, ExtRecordSizeLimit,
	}, m.Extensions)
	assert.Zero(t, m.BindersLen())

	// Our extension order differs from the trace's, so only the fields can
	// survive a re-marshal.
	encoded, err := m.Marshal()
	require.NoError(t, err)
	var again ClientHello
	require.NoError(t, again.Unmarshal(encoded))
	assert.Equal(t, fieldsOf(&m), fieldsOf(&again))
}

func TestRFC8448ResumptionClientHello(t *testing.T) {
	input := unhex(t, rfc8448ResumeClientHello)
	var m ClientHello
	require.NoError(t, m.Unmarshal(input))

	assert.Equal(t, input, m.Raw)
	assert.Equal(t, "server", m.ServerName)
	assert.True(t, m.EarlyData)
	require.Len(t, m.PSKIdentities, 1)
	assert.Len(t, m.PSKIdentities[0].Label, 0xb2)
	assert.Equal(t, uint32(0xfad6aacb), m.PSKIdentities[0].ObfuscatedTicketAge)
	require.Len(t, m.PSKBinders, 1)
	assert.Equal(t, unhex(t, "3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d"), m.PSKBinders[0])
	assert.Equal(t, ExtPreSharedKey, m.Extensions[len(m.Extensions)-1])

	// The RFC computes the binder over the first 477 bytes.
	assert.Equal(t, 35, m.BindersLen())
	assert.Equal(t, 477, len(m.Raw)-m.BindersLen())

	// Rewriting the binder with its own value must reproduce the trace.
	require.NoError(t, m.UpdateBinders([][]byte{append([]byte(nil), m.PSKBinders[0]...)}))
	assert.Equal(t, input, m.Raw)
}

// TestRFC8448ExactRemarshal covers the messages whose field order our
// Marshal reproduces, so the trace must come back byte for byte.
func TestRFC8448ExactRemarshal(t *testing.T) {
	tests := []struct {
		name  string
		hex   string
		fresh func() message
		check func(t *testing.T, m message)
	}{
		{"ServerHello", rfc8448ServerHello, func() message { return new(ServerHello) }, func(t *testing.T, m message) {
			sh := m.(*ServerHello)
			assert.False(t, sh.IsHelloRetryRequest())
			assert.Equal(t, uint16(0x1301), sh.CipherSuite)
			assert.Equal(t, VersionTLS13, sh.SupportedVersion)
			assert.Equal(t, GroupX25519, sh.ServerShare.Group)
			assert.Equal(t, unhex(t, "c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f"), sh.ServerShare.Data)
		}},
		{"EncryptedExtensions", rfc8448EncryptedExtensions, func() message { return new(EncryptedExtensions) }, func(t *testing.T, m message) {
			ee := m.(*EncryptedExtensions)
			assert.Equal(t, rfc8448SupportedGroups, ee.SupportedGroups)
			assert.Equal(t, uint16(0x4001), ee.RecordSizeLimit)
			assert.True(t, ee.ServerNameAck)
			assert.False(t, ee.EarlyData)
		}},
		{"Certificate", rfc8448Certificate, func() message { return new(Certificate13) }, func(t *testing.T, m message) {
			c := m.(*Certificate13)
			assert.Nil(t, c.Context)
			require.Len(t, c.Entries, 1)
			assert.Len(t, c.Entries[0].Data, 0x1b0)
			assert.Nil(t, c.Entries[0].Extensions)
		}},
		{"CertificateVerify", rfc8448CertificateVerify, func() message { return new(CertificateVerify) }, func(t *testing.T, m message) {
			cv := m.(*CertificateVerify)
			assert.Equal(t, PSSWithSHA256, cv.Scheme)
			assert.Len(t, cv.Signature, 128)
		}},
		{"ServerFinished", rfc8448ServerFinished, func() message { return new(Finished) }, func(t *testing.T, m message) {
			assert.Equal(t, unhex(t, "9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718"), m.(*Finished).VerifyData)
		}},
		{"ClientFinished", rfc8448ClientFinished, func() message { return new(Finished) }, func(t *testing.T, m message) {
			assert.Equal(t, unhex(t, "a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61"), m.(*Finished).VerifyData)
		}},
		{"NewSessionTicket", rfc8448NewSessionTicket, func() message { return new(NewSessionTicket13) }, func(t *testing.T, m message) {
			nst := m.(*NewSessionTicket13)
			assert.Equal(t, uint32(30), nst.Lifetime)
			assert.Equal(t, uint32(0xfad6aac5), nst.AgeAdd)
			assert.Equal(t, []byte{0, 0}, nst.Nonce)
			assert.Len(t, nst.Ticket, 0xb2)
			assert.Equal(t, uint32(0x400), nst.MaxEarlyData)
			assert.Equal(t, []uint16{ExtEarlyData}, nst.Extensions)
		}},
		{"ResumptionServerHello", rfc8448ResumeServerHello, func() message { return new(ServerHello) }, func(t *testing.T, m message) {
			sh := m.(*ServerHello)
			assert.True(t, sh.SelectedIdentityPresent)
			assert.Zero(t, sh.SelectedIdentity)
			assert.Equal(t, []uint16{ExtPreSharedKey, ExtKeyShare, ExtSupportedVersions}, sh.Extensions)
		}},
		{"ResumptionEncryptedExtensions", rfc8448ResumeEncryptedExtensions, func() message { return new(EncryptedExtensions) }, func(t *testing.T, m message) {
			assert.True(t, m.(*EncryptedExtensions).EarlyData)
		}},
		{"EndOfEarlyData", rfc8448EndOfEarlyData, func() message { return new(EndOfEarlyData) }, func(*testing.T, message) {}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			input := unhex(t, tc.hex)
			m := tc.fresh()
			require.NoError(t, m.Unmarshal(input))
			assert.Equal(t, input, rawOf(m))
			tc.check(t, m)

			encoded, err := m.Marshal()
			require.NoError(t, err)
			assert.Equal(t, input, encoded)
		})
	}
}
