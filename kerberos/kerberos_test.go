package kerberos

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/sspi"
)

func TestPackageInfo(t *testing.T) {
	info, err := sspi.QuerySecurityPackageInfo("kerberos")
	require.NoError(t, err)
	// Windows 10's EnumerateSecurityPackages for Kerberos.
	assert.Equal(t, sspi.PackageInfo{Capabilities: 0x028f3bbf, Version: 1, RPCID: 16, MaxToken: 48000,
		Name: "Kerberos", Comment: "Microsoft Kerberos V1.0"}, info)
}

const fullReq = sspi.ISC_REQ_MUTUAL_AUTH | sspi.ISC_REQ_REPLAY_DETECT | sspi.ISC_REQ_SEQUENCE_DETECT | sspi.ISC_REQ_CONFIDENTIALITY

// TestContextsAgainstMITKDC: our client with the ticket MIT's kinit left
// in the cache against our acceptor with the keytab MIT's kadmin wrote,
// through the SSPI calls: legs, flags, names, sizes, then wrap and MIC
// tokens both ways.
func TestContextsAgainstMITKDC(t *testing.T) {
	r := newRealm(t, true)
	client, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, nil)
	require.NoError(t, err)
	server, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, nil)
	require.NoError(t, err)
	_ = r

	cases := []struct {
		name                    string
		target                  string
		req                     uint32
		legs                    int
		iscAttrs, ascAttrs      uint32
		trailer, sig, integWrap int
	}{
		// ISC 0x1001e / ASC 0x2001e are what Windows (via Wine's tests)
		// returns for this request; 60/28/28 are MIT's aes-sha1 overheads.
		{"mutual", "host/localhost", fullReq, 2, 0x1001e | sspi.ISC_RET_ALLOCATED_MEMORY, 0x2001e | sspi.ASC_RET_ALLOCATED_MEMORY, 60, 28, 28},
		{"one leg", "host/localhost@TEST.LOCAL", sspi.ISC_REQ_CONFIDENTIALITY, 1, sspi.ISC_RET_CONFIDENTIALITY | sspi.ISC_RET_INTEGRITY | sspi.ISC_RET_ALLOCATED_MEMORY,
			sspi.ASC_RET_CONFIDENTIALITY | sspi.ASC_RET_INTEGRITY | sspi.ASC_RET_ALLOCATED_MEMORY, 60, 28, 28},
		{"aes-sha384", "host/sha384", fullReq, 2, 0x1001e | sspi.ISC_RET_ALLOCATED_MEMORY, 0x2001e | sspi.ASC_RET_ALLOCATED_MEMORY, 72, 40, 40},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cctx, sctx, legs := establish(t, client, server, tc.target, tc.req, 0)
			assert.Equal(t, tc.legs, legs)
			assert.Equal(t, tc.iscAttrs, cctx.Attributes(), "ISC_RET %#x", cctx.Attributes())
			assert.Equal(t, tc.ascAttrs, sctx.Attributes(), "ASC_RET %#x", sctx.Attributes())
			for _, c := range []*sspi.Context{cctx, sctx} {
				v, err := c.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
				require.NoError(t, err)
				assert.Equal(t, sspi.Sizes{MaxToken: 48000, MaxSignature: uint32(tc.sig), BlockSize: 1, SecurityTrailer: uint32(tc.trailer)}, v)
				v, err = c.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
				require.NoError(t, err)
				assert.Equal(t, sspi.Names{UserName: "user@TEST.LOCAL"}, v)
				v, err = c.QueryContextAttributes(sspi.SECPKG_ATTR_LIFESPAN)
				require.NoError(t, err)
				assert.True(t, v.(sspi.Lifespan).Expiry.After(time.Now()))
				v, err = c.QueryContextAttributes(sspi.SECPKG_ATTR_FLAGS)
				require.NoError(t, err)
				assert.Equal(t, c.Attributes(), v.(sspi.Flags).Flags)
			}
			nn, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NATIVE_NAMES)
			require.NoError(t, err)
			svc := tc.target
			if !bytes.Contains([]byte(svc), []byte("@")) {
				svc += "@TEST.LOCAL"
			}
			assert.Equal(t, sspi.NativeNames{ClientName: "user@TEST.LOCAL", ServerName: svc}, nn)
			// MIT 1.20's KDC puts a PAC in every ticket; the engine
			// verified its server signature with the keytab's key.
			pac, err := ContextPAC(sctx)
			require.NoError(t, err)
			assert.Equal(t, "user", pac.ClientName)
			assert.NotEmpty(t, pac.Buffers)
			_, err = ContextPAC(cctx)
			assert.Equal(t, sspi.SEC_E_NO_CREDENTIALS, sspi.StatusOf(err), "a client context has no PAC")

			ck, err := cctx.QueryContextAttributes(sspi.SECPKG_ATTR_SESSION_KEY)
			require.NoError(t, err)
			sk, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_SESSION_KEY)
			require.NoError(t, err)
			assert.Equal(t, ck, sk, "both sides use the same key")

			for _, qop := range []uint32{0, sspi.SECQOP_WRAP_NO_ENCRYPT} {
				for _, pair := range [][2]*sspi.Context{{cctx, sctx}, {sctx, cctx}} {
					msg := []byte("attack at dawn, or at ten past")
					tok, data := wrap(t, pair[0], qop, msg, tc.trailer)
					if qop == 0 {
						assert.NotEqual(t, msg, data, "DATA is encrypted in place")
						assert.Len(t, tok, tc.trailer)
					} else {
						assert.Equal(t, msg, data, "integrity only leaves DATA alone")
						assert.Len(t, tok, tc.integWrap)
					}
					got, gotQOP := unwrap(t, pair[1], tok, data)
					assert.Equal(t, msg, got)
					assert.Equal(t, qop, gotQOP)

					sig := make([]byte, tc.sig)
					bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, msg), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, sig)}
					_, err := pair[0].MakeSignature(0, bufs)
					require.NoError(t, err)
					_, _, err = pair[1].VerifySignature(bufs)
					require.NoError(t, err)
				}
			}
		})
	}
}

func wrap(t *testing.T, c *sspi.Context, qop uint32, msg []byte, trailer int) ([]byte, []byte) {
	t.Helper()
	data := append([]byte(nil), msg...)
	bufs := []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, trailer)),
		sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data),
		sspi.NewSecBuffer(sspi.SECBUFFER_PADDING, make([]byte, 1)),
	}
	st, err := c.EncryptMessage(qop, bufs)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st)
	assert.Equal(t, 0, bufs[2].Size, "cbBlockSize 1: no padding")
	return bufs[0].Buffer[:bufs[0].Size], bufs[1].Buffer
}

func unwrap(t *testing.T, c *sspi.Context, tok, data []byte) ([]byte, uint32) {
	t.Helper()
	bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data)}
	qop, st, err := c.DecryptMessage(bufs)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st)
	return bufs[1].Buffer, qop
}

// TestStreamUnwrap: a token that arrives whole is unwrapped with [STREAM,
// DATA]; DATA comes back pointing at the message.
func TestStreamUnwrap(t *testing.T) {
	newRealm(t, true)
	client, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, nil)
	require.NoError(t, err)
	server, err := AcquireCredentialsHandle("host/localhost", sspi.SECPKG_CRED_INBOUND, nil)
	require.NoError(t, err)
	cctx, sctx, _ := establish(t, client, server, "host/localhost", fullReq, 0)
	msg := []byte("a whole token")
	tok, data := wrap(t, cctx, 0, msg, 60)
	stream := append(append([]byte(nil), tok...), data...)
	// DecryptMessage decrypts in place, as Windows does: a replay needs
	// the bytes as they were sent.
	sent := append([]byte(nil), stream...)
	bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, stream), {BufferType: sspi.SECBUFFER_DATA}}
	_, _, err = sctx.DecryptMessage(bufs)
	require.NoError(t, err)
	assert.Equal(t, msg, bufs[1].Buffer)
	// DATA points into the caller's STREAM, at its start (README: Windows
	// leaves it at the plaintext's offset inside the token).
	require.NotEmpty(t, bufs[1].Buffer)
	assert.Same(t, &stream[0], &bufs[1].Buffer[0], "DATA is the start of the STREAM buffer, not a copy")

	// READONLY buffers are left alone (SSPI.md): the message comes back
	// all the same, from a copy, and the caller's bytes do not change.
	for _, kind := range []sspi.BufferType{sspi.SECBUFFER_STREAM, sspi.SECBUFFER_TOKEN} {
		tok, data = wrap(t, cctx, 0, msg, 60)
		var bufs []sspi.SecBuffer
		var held []byte
		if kind == sspi.SECBUFFER_STREAM {
			held = append(append([]byte(nil), tok...), data...)
			bufs = []sspi.SecBuffer{sspi.NewSecBuffer(kind|sspi.SECBUFFER_READONLY, held), {BufferType: sspi.SECBUFFER_DATA}}
		} else {
			held = tok
			bufs = []sspi.SecBuffer{sspi.NewSecBuffer(kind|sspi.SECBUFFER_READONLY, held), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data)}
		}
		before := append([]byte(nil), held...)
		_, st, err := sctx.DecryptMessage(bufs)
		require.NoError(t, err, "%v", kind)
		require.Equal(t, sspi.SEC_E_OK, st)
		assert.Equal(t, msg, bufs[1].Buffer, "%v", kind)
		assert.Equal(t, before, held, "the READONLY %v buffer is unchanged", kind)
	}

	// Tampering is SEC_E_MESSAGE_ALTERED; replaying the same token is
	// refused too.
	tok, data = wrap(t, cctx, 0, msg, 60)
	data[0] ^= 1
	_, st, err := sctx.DecryptMessage([]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data)})
	require.Error(t, err)
	assert.Equal(t, sspi.SEC_E_MESSAGE_ALTERED, st)
	_, st, err = sctx.DecryptMessage([]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, sent), {BufferType: sspi.SECBUFFER_DATA}})
	require.Error(t, err)
	assert.NotEqual(t, sspi.SEC_E_OK, st)
	assert.Contains(t, err.Error(), "replayed", "refused as a replay, not as garbage")
}

// TestPasswordAndDelegation: credentials from a user and password (our
// AS exchange through our KDC transport), delegation of a forwarded TGT,
// and the acceptor authenticating onward with the delegated credentials.
func TestPasswordAndDelegation(t *testing.T) {
	newRealm(t, false)
	client, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, &Config{Identity: &sspi.AuthIdentity{User: "user", Domain: "TEST.LOCAL", Password: "secret"}})
	require.NoError(t, err)
	server, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, nil)
	require.NoError(t, err)

	cctx, sctx, legs := establish(t, client, server, "HTTP/localhost", fullReq|sspi.ISC_REQ_DELEGATE, 0)
	assert.Equal(t, 2, legs)
	assert.NotZero(t, cctx.Attributes()&sspi.ISC_RET_DELEGATE)
	assert.NotZero(t, sctx.Attributes()&sspi.ASC_RET_DELEGATE)

	onward, err := DelegatedCredentials(sctx)
	require.NoError(t, err)
	_, sctx2, _ := establish(t, onward, server, "host/localhost", fullReq, 0)
	names, err := sctx2.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
	require.NoError(t, err)
	assert.Equal(t, sspi.Names{UserName: "user@TEST.LOCAL"}, names, "the server authenticated onward as its client")

	// Without MUTUAL_AUTH nothing is delegated (Windows requires it).
	cctx, sctx, _ = establish(t, client, server, "HTTP/localhost", sspi.ISC_REQ_DELEGATE, 0)
	assert.Zero(t, cctx.Attributes()&sspi.ISC_RET_DELEGATE)
	_, err = DelegatedCredentials(sctx)
	assert.True(t, errors.Is(err, sspi.SEC_E_NO_CREDENTIALS), "%v", err)

	wrong, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, &Config{Identity: &sspi.AuthIdentity{User: "user@TEST.LOCAL", Password: "wrong"}})
	require.NoError(t, err)
	_, st, err := sspi.InitializeSecurityContext(wrong, nil, "host/localhost", fullReq, nil, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}})
	require.Error(t, err)
	assert.Equal(t, sspi.SEC_E_LOGON_DENIED, st)
}

// channelBindings builds a SEC_CHANNEL_BINDINGS structure carrying only
// application data, as HTTP clients pass "tls-server-end-point:...".
func channelBindings(app []byte) []byte {
	b := make([]byte, 32, 32+len(app))
	binary.LittleEndian.PutUint32(b[24:], uint32(len(app)))
	binary.LittleEndian.PutUint32(b[28:], 32)
	return append(b, app...)
}

// TestHostileAcceptor: what an acceptor must refuse, each with its status.
func TestHostileAcceptor(t *testing.T) {
	newRealm(t, true)
	client, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, nil)
	require.NoError(t, err)
	server, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, nil)
	require.NoError(t, err)

	t.Run("replay", func(t *testing.T) {
		tok := firstToken(t, client, "host/localhost", fullReq)
		_, st, err := accept(server, tok)
		require.NoError(t, err)
		require.Equal(t, sspi.SEC_E_OK, st)
		_, st, err = accept(server, tok)
		require.Error(t, err)
		// Wine's GSS-to-SSPI table: GSS_S_DUPLICATE_TOKEN is INVALID_TOKEN.
		assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, st, "%v", err)
	})
	t.Run("wrong service", func(t *testing.T) {
		httpOnly, err := AcquireCredentialsHandle("HTTP/localhost", sspi.SECPKG_CRED_INBOUND, nil)
		require.NoError(t, err)
		_, st, err := accept(httpOnly, firstToken(t, client, "host/localhost", fullReq))
		require.Error(t, err)
		assert.Equal(t, sspi.SEC_E_WRONG_PRINCIPAL, st, "%v", err)
	})
	t.Run("skewed clock", func(t *testing.T) {
		skewed, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, &Config{Now: func() time.Time { return time.Now().Add(10 * time.Minute) }})
		require.NoError(t, err)
		_, st, err := accept(skewed, firstToken(t, client, "host/localhost", fullReq))
		require.Error(t, err)
		assert.Equal(t, sspi.SEC_E_TIME_SKEW, st, "%v", err)
	})
	t.Run("channel bindings", func(t *testing.T) {
		cb := sspi.NewSecBuffer(sspi.SECBUFFER_CHANNEL_BINDINGS, channelBindings([]byte("tls-server-end-point:AAAA")))
		other := sspi.NewSecBuffer(sspi.SECBUFFER_CHANNEL_BINDINGS, channelBindings([]byte("tls-server-end-point:BBBB")))
		establish(t, client, server, "host/localhost", fullReq, 0, cb)
		out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		_, _, err := sspi.InitializeSecurityContext(client, nil, "host/localhost", fullReq|sspi.ISC_REQ_ALLOCATE_MEMORY, []sspi.SecBuffer{cb}, out)
		require.NoError(t, err)
		_, st, err := accept(server, out[0].Buffer, other)
		require.Error(t, err)
		assert.Equal(t, sspi.SEC_E_BAD_BINDINGS, st)
	})
	t.Run("garbage", func(t *testing.T) {
		tok := firstToken(t, client, "host/localhost", fullReq)
		for _, n := range []int{0, 1, 10, len(tok) / 2, len(tok) - 1} {
			_, st, err := accept(server, tok[:n])
			require.Error(t, err)
			assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, st, "truncated to %d: %v", n, err)
		}
	})
	t.Run("GSS-style target", func(t *testing.T) {
		_, st, err := sspi.InitializeSecurityContext(client, nil, "host@localhost", fullReq, nil, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}})
		require.Error(t, err)
		assert.Equal(t, sspi.SEC_E_TARGET_UNKNOWN, st)
	})
	t.Run("unknown service", func(t *testing.T) {
		_, st, err := sspi.InitializeSecurityContext(client, nil, "nope/localhost", fullReq, nil, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}})
		require.Error(t, err)
		assert.Equal(t, sspi.SEC_E_TARGET_UNKNOWN, st, "%v", err)
	})
}

// TestDelegateWithoutForwardableTGT: with a TGT kinit made without -f,
// ISC_REQ_DELEGATE still gives a context, without ISC_RET_DELEGATE, as
// MIT's library behaves.
func TestDelegateWithoutForwardableTGT(t *testing.T) {
	r := newRealm(t, false)
	r.Run(t, []byte("secret\n"), "kinit", "-F", "user")
	client, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, nil)
	require.NoError(t, err)
	server, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, nil)
	require.NoError(t, err)
	cctx, sctx, legs := establish(t, client, server, "host/localhost", fullReq|sspi.ISC_REQ_DELEGATE, 0)
	assert.Equal(t, 2, legs)
	assert.Zero(t, cctx.Attributes()&sspi.ISC_RET_DELEGATE)
	assert.Zero(t, sctx.Attributes()&sspi.ASC_RET_DELEGATE)
}
