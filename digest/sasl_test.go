package digest_test

import (
	"bytes"
	"testing"

	"github.com/gosspi/schannel/digest"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSPN = "imap/elwood.innosoft.com"

// saslLogin runs RFC 2831 through the SSPI calls: an empty first ISC, the
// server's challenge, the digest-response, rspauth.
func saslLogin(t *testing.T, ccred, scred *sspi.Credentials, isc, asc uint32) (*sspi.Context, *sspi.Context) {
	t.Helper()
	cctx, st, err := sspi.InitializeSecurityContext(ccred, nil, testSPN, isc, nil, tokenOut())
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)

	out := tokenOut()
	sctx, st, err := sspi.AcceptSecurityContext(scred, nil, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}, asc, out)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	ch := out[0].Buffer
	require.Contains(t, string(ch), "algorithm=md5-sess")

	out = tokenOut()
	_, st, err = sspi.InitializeSecurityContext(ccred, cctx, testSPN, isc, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, ch)}, out)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	require.Contains(t, string(out[0].Buffer), `digest-uri="`+testSPN+`"`)

	resp := out[0].Buffer
	out = tokenOut()
	_, st, err = sspi.AcceptSecurityContext(scred, sctx, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, resp)}, asc, out)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st)
	require.Contains(t, string(out[0].Buffer), "rspauth=")

	_, st, err = sspi.InitializeSecurityContext(ccred, cctx, testSPN, isc, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, out[0].Buffer)}, tokenOut())
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st)
	require.True(t, cctx.Established())
	require.True(t, sctx.Established())
	return cctx, sctx
}

func TestSASLAuth(t *testing.T) {
	cctx, sctx := saslLogin(t, clientCred(t, nil), serverCred(t, nil), sspi.ISC_REQ_ALLOCATE_MEMORY, sspi.ASC_REQ_ALLOCATE_MEMORY)
	names, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
	require.NoError(t, err)
	assert.Equal(t, sspi.Names{UserName: testUser}, names)
	assert.NotZero(t, cctx.Attributes()&sspi.ISC_RET_MUTUAL_AUTH, "rspauth was checked")
	sizes, err := cctx.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
	require.NoError(t, err)
	assert.Equal(t, sspi.Sizes{MaxToken: 4096}, sizes, "qop auth has no layer")
	_, err = cctx.MakeSignature(0, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("x")), {BufferType: sspi.SECBUFFER_TOKEN}})
	assert.ErrorIs(t, err, sspi.SEC_E_QOP_NOT_SUPPORTED)
}

func TestSASLIntegrity(t *testing.T) {
	cctx, sctx := saslLogin(t, clientCred(t, nil), serverCred(t, nil),
		sspi.ISC_REQ_INTEGRITY|sspi.ISC_REQ_ALLOCATE_MEMORY, sspi.ASC_REQ_INTEGRITY|sspi.ASC_REQ_ALLOCATE_MEMORY)
	sizes, err := cctx.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
	require.NoError(t, err)
	assert.Equal(t, sspi.Sizes{MaxToken: 4096, MaxSignature: 16, BlockSize: 1, SecurityTrailer: 16}, sizes)
	flags, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_FLAGS)
	require.NoError(t, err)
	assert.NotZero(t, flags.(sspi.Flags).Flags&sspi.ASC_RET_INTEGRITY)

	sign := func(from *sspi.Context, msg string) []sspi.SecBuffer {
		bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte(msg)), {BufferType: sspi.SECBUFFER_TOKEN}}
		st, err := from.MakeSignature(0, bufs)
		require.NoError(t, err)
		require.Equal(t, sspi.SEC_E_OK, st)
		require.Len(t, bufs[1].Buffer, 16)
		return bufs
	}
	for i, pair := range [][2]*sspi.Context{{cctx, sctx}, {sctx, cctx}, {cctx, sctx}} {
		bufs := sign(pair[0], "message")
		_, st, err := pair[1].VerifySignature(bufs)
		require.NoError(t, err, "message %d", i)
		assert.Equal(t, sspi.SEC_E_OK, st)
		_, _, err = pair[1].VerifySignature(bufs)
		assert.ErrorIs(t, err, sspi.SEC_E_OUT_OF_SEQUENCE, "replay of message %d", i)
	}
	bufs := sign(cctx, "message")
	bufs[0].Buffer = []byte("messagE")
	_, _, err = sctx.VerifySignature(bufs)
	assert.ErrorIs(t, err, sspi.SEC_E_MESSAGE_ALTERED)

	// EncryptMessage on an auth-int context is the integrity wrap.
	data := []byte("wrapped")
	wrap := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data), {BufferType: sspi.SECBUFFER_PADDING}}
	_, err = sctx.EncryptMessage(sspi.SECQOP_WRAP_NO_ENCRYPT, wrap)
	require.NoError(t, err)
	token := append(bytes.Clone(wrap[0].Buffer), wrap[1].Buffer...)
	unwrap := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, token), {BufferType: sspi.SECBUFFER_DATA}}
	qop, _, err := cctx.DecryptMessage(unwrap)
	require.NoError(t, err)
	assert.Equal(t, uint32(sspi.SECQOP_WRAP_NO_ENCRYPT), qop)
	assert.Equal(t, "wrapped", string(unwrap[1].Buffer))
}

func TestSASLConfidentiality(t *testing.T) {
	for _, cipher := range []string{"3des", "des", "rc4", "rc4-56", "rc4-40"} {
		t.Run(cipher, func(t *testing.T) {
			ccred := clientCred(t, func(id *digest.Identity) { id.Ciphers = []string{cipher} })
			cctx, sctx := saslLogin(t, ccred, serverCred(t, nil),
				sspi.ISC_REQ_CONFIDENTIALITY|sspi.ISC_REQ_ALLOCATE_MEMORY, sspi.ASC_REQ_CONFIDENTIALITY|sspi.ASC_REQ_ALLOCATE_MEMORY)
			sizes, err := cctx.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
			require.NoError(t, err)
			trailer := sizes.(sspi.Sizes).SecurityTrailer
			assert.Equal(t, uint32(24), trailer)

			for i, pair := range [][2]*sspi.Context{{cctx, sctx}, {sctx, cctx}, {cctx, sctx}} {
				msg := []byte("a secret message, number " + string(rune('0'+i)))
				data := bytes.Clone(msg)
				bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data), sspi.NewSecBuffer(sspi.SECBUFFER_PADDING, make([]byte, trailer))}
				st, err := pair[0].EncryptMessage(0, bufs)
				require.NoError(t, err)
				require.Equal(t, sspi.SEC_E_OK, st)
				assert.NotEqual(t, msg, bufs[0].Buffer, "DATA is encrypted in place")
				token := append(bytes.Clone(bufs[0].Buffer), bufs[1].Buffer...)

				// The receiver gets DATA and trailer back as sent.
				in := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, bytes.Clone(bufs[0].Buffer)), sspi.NewSecBuffer(sspi.SECBUFFER_PADDING, bufs[1].Buffer)}
				qop, st, err := pair[1].DecryptMessage(in)
				require.NoError(t, err)
				assert.Equal(t, sspi.SEC_E_OK, st)
				assert.Zero(t, qop)
				assert.Equal(t, msg, in[0].Buffer)

				// The same token again is a replay.
				_, _, err = pair[1].DecryptMessage([]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, token), {BufferType: sspi.SECBUFFER_DATA}})
				assert.ErrorIs(t, err, sspi.SEC_E_OUT_OF_SEQUENCE)
			}
			_, err = cctx.EncryptMessage(sspi.SECQOP_WRAP_NO_ENCRYPT, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("x")), {BufferType: sspi.SECBUFFER_PADDING}})
			assert.ErrorIs(t, err, sspi.SEC_E_QOP_NOT_SUPPORTED)
		})
	}
}

func TestSASLTrailerTooSmall(t *testing.T) {
	cctx, sctx := saslLogin(t, clientCred(t, nil), serverCred(t, nil), sspi.ISC_REQ_CONFIDENTIALITY, sspi.ASC_REQ_CONFIDENTIALITY)
	// Without ISC_REQ_ALLOCATE_MEMORY a trailer buffer under
	// SecurityTrailer is refused before a sequence number is spent.
	_, err := sctx.EncryptMessage(0, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("x")), sspi.NewSecBuffer(sspi.SECBUFFER_PADDING, make([]byte, 3))})
	assert.ErrorIs(t, err, sspi.SEC_E_BUFFER_TOO_SMALL)
	bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("next")), sspi.NewSecBuffer(sspi.SECBUFFER_PADDING, make([]byte, 24))}
	_, err = sctx.EncryptMessage(0, bufs)
	require.NoError(t, err)
	_, _, err = cctx.DecryptMessage(bufs)
	require.NoError(t, err)
	assert.Equal(t, "next", string(bufs[0].Buffer))
}

// saslResponse returns a client context that has answered a fresh
// challenge, with the server context and the response.
func saslResponse(t *testing.T, ccred, scred *sspi.Credentials) (*sspi.Context, *sspi.Context, []byte, []byte) {
	t.Helper()
	out := tokenOut()
	sctx, _, err := sspi.AcceptSecurityContext(scred, nil, nil, 0, out)
	require.NoError(t, err)
	ch := bytes.Clone(out[0].Buffer)
	out = tokenOut()
	cctx, st, err := sspi.InitializeSecurityContext(ccred, nil, testSPN, 0, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, ch)}, out)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	return cctx, sctx, ch, bytes.Clone(out[0].Buffer)
}

func TestSASLHostile(t *testing.T) {
	tokenIn := func(b []byte) []sspi.SecBuffer { return []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, b)} }
	t.Run("wrong password", func(t *testing.T) {
		scred := serverCred(t, nil)
		_, sctx, _, resp := saslResponse(t, clientCred(t, func(id *digest.Identity) { id.Password = "wrong" }), scred)
		_, st, err := sspi.AcceptSecurityContext(scred, sctx, tokenIn(resp), 0, tokenOut())
		assert.ErrorIs(t, err, sspi.SEC_E_LOGON_DENIED)
		assert.Equal(t, sspi.SEC_E_LOGON_DENIED, st)
	})
	t.Run("wrong realm", func(t *testing.T) {
		scred := serverCred(t, nil)
		_, sctx, _, resp := saslResponse(t, clientCred(t, func(id *digest.Identity) { id.Realm = "other" }), scred)
		_, _, err := sspi.AcceptSecurityContext(scred, sctx, tokenIn(resp), 0, tokenOut())
		assert.ErrorIs(t, err, sspi.SEC_E_LOGON_DENIED, "the response names a realm the server does not serve")
	})
	t.Run("nc not 1", func(t *testing.T) {
		scred := serverCred(t, nil)
		_, sctx, _, resp := saslResponse(t, clientCred(t, nil), scred)
		forged := bytes.Replace(resp, []byte("nc=00000001"), []byte("nc=00000002"), 1)
		require.NotEqual(t, resp, forged)
		_, _, err := sspi.AcceptSecurityContext(scred, sctx, tokenIn(forged), 0, tokenOut())
		assert.ErrorIs(t, err, sspi.SEC_E_OUT_OF_SEQUENCE)
	})
	t.Run("wrong rspauth", func(t *testing.T) {
		ccred, scred := clientCred(t, nil), serverCred(t, nil)
		cctx, sctx, _, resp := saslResponse(t, ccred, scred)
		out := tokenOut()
		_, _, err := sspi.AcceptSecurityContext(scred, sctx, tokenIn(resp), 0, out)
		require.NoError(t, err)
		rsp := bytes.Clone(out[0].Buffer)
		rsp[len(rsp)-1] ^= 1
		if rsp[len(rsp)-1] > 'f' || (rsp[len(rsp)-1] > '9' && rsp[len(rsp)-1] < 'a') {
			rsp[len(rsp)-1] = '0'
		}
		_, st, err := sspi.InitializeSecurityContext(ccred, cctx, testSPN, 0, tokenIn(rsp), tokenOut())
		assert.ErrorIs(t, err, sspi.SEC_E_MUTUAL_AUTH_FAILED)
		assert.Equal(t, sspi.SEC_E_MUTUAL_AUTH_FAILED, st)
	})
	t.Run("server that keeps challenging", func(t *testing.T) {
		ccred := clientCred(t, nil)
		cctx, _, ch, _ := saslResponse(t, ccred, serverCred(t, nil))
		_, _, err := sspi.InitializeSecurityContext(ccred, cctx, testSPN, 0, tokenIn(ch), tokenOut())
		assert.ErrorIs(t, err, sspi.SEC_E_LOGON_DENIED, "a second challenge without stale=true")
	})
	t.Run("huge token", func(t *testing.T) {
		_, _, err := sspi.InitializeSecurityContext(clientCred(t, nil), nil, testSPN, 0, tokenIn(bytes.Repeat([]byte("a"), 1<<20)), tokenOut())
		assert.ErrorIs(t, err, sspi.SEC_E_INVALID_TOKEN)
	})
	t.Run("delegate refused", func(t *testing.T) {
		_, _, err := sspi.InitializeSecurityContext(clientCred(t, nil), nil, testSPN, sspi.ISC_REQ_DELEGATE, nil, tokenOut())
		assert.ErrorIs(t, err, sspi.SEC_E_UNSUPPORTED_FUNCTION)
	})
}

func TestSASLAuthzid(t *testing.T) {
	ccred := clientCred(t, func(id *digest.Identity) { id.Authzid = "admin" })
	_, sctx := saslLogin(t, ccred, serverCred(t, nil), 0, 0)
	names, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
	require.NoError(t, err)
	assert.Equal(t, testUser, names.(sspi.Names).UserName, "NAMES is the authenticated user; the authzid is the caller's decision")
}

func TestHTTPMethodsRefuseMessages(t *testing.T) {
	cctx, _, _ := httpLogin(t, clientCred(t, nil), serverCred(t, nil), httpISC)
	_, err := cctx.EncryptMessage(0, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("x")), {BufferType: sspi.SECBUFFER_PADDING}})
	assert.ErrorIs(t, err, sspi.SEC_E_UNSUPPORTED_FUNCTION)
}
