package negotiate

import (
	encasn1 "encoding/asn1"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/negotiate/wire"
	"github.com/gosspi/schannel/kerberos"
	"github.com/gosspi/schannel/sspi"
)

func TestPackageInfo(t *testing.T) {
	info, err := sspi.QuerySecurityPackageInfo("negotiate")
	require.NoError(t, err)
	assert.Equal(t, sspi.PackageInfo{Capabilities: 0x00883bb3, Version: 1, RPCID: 9, MaxToken: 48256,
		Name: "Negotiate", Comment: "Microsoft Package Negotiator"}, info)
}

// TestNegotiateKerberos: our client and acceptor agree on Kerberos in one
// round trip (NegTokenInit with the optimistic AP-REQ, NegTokenResp
// accept-completed with the AP-REP), then the per-message calls go to
// Kerberos.
func TestNegotiateKerberos(t *testing.T) {
	newRealm(t)
	for _, c := range []struct {
		name   string
		req    uint32
		tokens int
	}{
		{"mutual", fullReq, 2},
		{"no mutual", sspi.ISC_REQ_CONFIDENTIALITY, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			cctx, sctx, tokens := establish(t, clientCred(t), serverCred(t), "HTTP/localhost", c.req)
			require.Len(t, tokens, c.tokens)
			var init wire.NegTokenInit
			require.NoError(t, init.Unmarshal(tokens[0]))
			assert.Equal(t, offered, init.MechTypes)
			var resp wire.NegTokenResp
			require.NoError(t, resp.Unmarshal(tokens[1]))
			assert.Equal(t, wire.NegStateAcceptCompleted, resp.NegState)
			assert.True(t, resp.SupportedMech.Equal(wire.OIDKerberos))
			assert.Equal(t, c.req&sspi.ISC_REQ_MUTUAL_AUTH != 0, resp.ResponseToken != nil, "AP-REP only with mutual authentication")
			assert.Nil(t, resp.MechListMIC, "Kerberos was the first choice: no MIC (RFC 4178 section 5)")

			for _, ctx := range []*sspi.Context{cctx, sctx} {
				v, err := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_NEGOTIATION_INFO)
				require.NoError(t, err)
				ni := v.(sspi.NegotiationInfo)
				assert.Equal(t, "Kerberos", ni.PackageInfo.Name)
				assert.Equal(t, uint32(sspi.SECPKG_NEGOTIATION_COMPLETE), ni.NegotiationState)
				assert.Equal(t, "Negotiate", ctx.PackageName())
				v, err = ctx.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
				require.NoError(t, err)
				assert.Equal(t, uint32(48256), v.(sspi.Sizes).MaxToken)
			}
			names, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
			require.NoError(t, err)
			assert.Equal(t, sspi.Names{UserName: "user@TEST.LOCAL"}, names)
			if c.req&sspi.ISC_REQ_MUTUAL_AUTH != 0 {
				assert.NotZero(t, cctx.Attributes()&sspi.ISC_RET_MUTUAL_AUTH)
			}

			// Per-message calls reach Kerberos both ways.
			msg := []byte("negotiated")
			mic := sign(t, cctx, msg)
			assert.NoError(t, verify(sctx, msg, mic))
			v, err := cctx.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
			require.NoError(t, err)
			sizes := v.(sspi.Sizes)
			data := append([]byte(nil), msg...)
			bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, sizes.SecurityTrailer)), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data), sspi.NewSecBuffer(sspi.SECBUFFER_PADDING, make([]byte, sizes.BlockSize))}
			_, err = cctx.EncryptMessage(0, bufs)
			require.NoError(t, err)
			assert.NotEqual(t, msg, bufs[1].Buffer)
			_, _, err = sctx.DecryptMessage(bufs[:2])
			require.NoError(t, err)
			assert.Equal(t, msg, bufs[1].Buffer)
			assert.ErrorIs(t, verify(sctx, []byte("altered"), sign(t, cctx, msg)), sspi.SEC_E_MESSAGE_ALTERED)
		})
	}
}

// TestNegotiateInProgressInfo: between the legs, NEGOTIATION_INFO names
// Kerberos as optimistic, and the per-message calls are refused.
func TestNegotiateInProgressInfo(t *testing.T) {
	newRealm(t)
	cctx, st, _, err := isc(clientCred(t), nil, "HTTP/localhost", fullReq, nil)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	v, err := cctx.QueryContextAttributes(sspi.SECPKG_ATTR_NEGOTIATION_INFO)
	require.NoError(t, err)
	assert.Equal(t, "Kerberos", v.(sspi.NegotiationInfo).PackageInfo.Name)
	assert.Equal(t, uint32(sspi.SECPKG_NEGOTIATION_OPTIMISTIC), v.(sspi.NegotiationInfo).NegotiationState)
	_, err = cctx.MakeSignature(0, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("x")), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 64))})
	assert.ErrorIs(t, err, sspi.SEC_E_INVALID_HANDLE)
}

// TestNegotiateMIC: an initiator that prefers another mechanism (NTLM
// first, no optimistic token) makes the acceptor choose Kerberos in a
// separate leg; RFC 4178 section 5 then requires the mechListMIC both
// ways, over the DER of the initiator's list. The initiator is played by
// hand on a Kerberos context.
func TestNegotiateMIC(t *testing.T) {
	newRealm(t)
	list := mechTypesDER(t, wire.OIDNTLM, wire.OIDKerberos)
	run := func(t *testing.T, clientMICOver []byte) (sspi.Status, error, []byte) {
		server := serverCred(t)
		sctx, st, out, err := asc(server, nil, mustInit(t, wire.NegTokenInit{MechTypes: []encasn1.ObjectIdentifier{wire.OIDNTLM, wire.OIDKerberos}}))
		require.NoError(t, err)
		require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
		var resp wire.NegTokenResp
		require.NoError(t, resp.Unmarshal(out))
		assert.Equal(t, wire.NegStateAcceptIncomplete, resp.NegState)
		assert.True(t, resp.SupportedMech.Equal(wire.OIDKerberos))
		assert.Nil(t, resp.ResponseToken)

		kc := kerberosCred(t, sspi.SECPKG_CRED_OUTBOUND)
		kctx, st, apreq, err := isc(kc, nil, "HTTP/localhost", fullReq, nil)
		require.NoError(t, err)
		require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
		sctx, st, out, err = asc(server, sctx, mustResp(t, wire.NegTokenResp{NegState: wire.NegStateAbsent, ResponseToken: apreq}))
		require.NoError(t, err)
		require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st, "the acceptor waits for the initiator's MIC")
		require.NoError(t, resp.Unmarshal(out))
		assert.Equal(t, wire.NegStateAcceptIncomplete, resp.NegState)
		require.NotNil(t, resp.ResponseToken)
		require.NotNil(t, resp.MechListMIC)
		_, st, _, err = isc(kc, kctx, "HTTP/localhost", fullReq, resp.ResponseToken)
		require.NoError(t, err)
		require.Equal(t, sspi.SEC_E_OK, st)
		require.NoError(t, verify(kctx, list, resp.MechListMIC), "the acceptor's MIC covers the list as sent")

		_, st, out, err = asc(server, sctx, mustResp(t, wire.NegTokenResp{NegState: wire.NegStateAbsent, MechListMIC: sign(t, kctx, clientMICOver)}))
		return st, err, out
	}
	t.Run("matching", func(t *testing.T) {
		st, err, out := run(t, list)
		require.NoError(t, err)
		assert.Equal(t, sspi.SEC_E_OK, st)
		assert.Empty(t, out, "nothing left to send")
	})
	t.Run("MIC over another list", func(t *testing.T) {
		st, err, _ := run(t, mechTypesDER(t, wire.OIDKerberos))
		assert.Equal(t, sspi.SEC_E_MESSAGE_ALTERED, st)
		assert.ErrorIs(t, err, sspi.SEC_E_MESSAGE_ALTERED)
		assert.ErrorContains(t, err, "mechListMIC")
	})
}

// TestNegotiateClientMIC: an acceptor that sends a mechListMIC with its
// AP-REP gets the initiator's MIC back; a MIC over anything but the list
// the initiator sent is SEC_E_MESSAGE_ALTERED. The acceptor is played by
// hand on a Kerberos context.
func TestNegotiateClientMIC(t *testing.T) {
	newRealm(t)
	list := mechTypesDER(t, offered...)
	for _, c := range []struct {
		name    string
		micOver []byte
		status  sspi.Status
	}{
		{"matching", list, sspi.SEC_E_OK},
		{"another list", mechTypesDER(t, wire.OIDNTLM, wire.OIDKerberos), sspi.SEC_E_MESSAGE_ALTERED},
	} {
		t.Run(c.name, func(t *testing.T) {
			cred := clientCred(t)
			cctx, _, out, err := isc(cred, nil, "HTTP/localhost", fullReq, nil)
			require.NoError(t, err)
			var init wire.NegTokenInit
			require.NoError(t, init.Unmarshal(out))
			kctx, st, aprep, err := asc(kerberosCred(t, sspi.SECPKG_CRED_INBOUND), nil, init.MechToken)
			require.NoError(t, err)
			require.Equal(t, sspi.SEC_E_OK, st)
			resp := mustResp(t, wire.NegTokenResp{NegState: wire.NegStateAcceptIncomplete, SupportedMech: wire.OIDKerberos, ResponseToken: aprep, MechListMIC: sign(t, kctx, c.micOver)})
			_, st, out, err = isc(cred, cctx, "HTTP/localhost", fullReq, resp)
			assert.Equal(t, c.status, st)
			if c.status != sspi.SEC_E_OK {
				assert.ErrorIs(t, err, c.status)
				return
			}
			require.NoError(t, err)
			var mine wire.NegTokenResp
			require.NoError(t, mine.Unmarshal(out))
			assert.NoError(t, verify(kctx, list, mine.MechListMIC), "the initiator's MIC")
		})
	}
}

// TestNegotiateDirectKerberos: a bare Kerberos AP-REQ (as some HTTP
// clients send with "Negotiate") is handed to Kerberos, as Windows does.
func TestNegotiateDirectKerberos(t *testing.T) {
	newRealm(t)
	kctx, _, apreq, err := isc(kerberosCred(t, sspi.SECPKG_CRED_OUTBOUND), nil, "HTTP/localhost", fullReq, nil)
	require.NoError(t, err)
	sctx, st, aprep, err := asc(serverCred(t), nil, apreq)
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_E_OK, st)
	_, st, _, err = isc(kerberosCred(t, sspi.SECPKG_CRED_OUTBOUND), kctx, "HTTP/localhost", fullReq, aprep)
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_E_OK, st)
	v, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NEGOTIATION_INFO)
	require.NoError(t, err)
	assert.Equal(t, "Kerberos", v.(sspi.NegotiationInfo).PackageInfo.Name)
}

// TestNegotiateCannotUseKerberos: without a ticket cache or with an SPN
// the KDC does not know, Negotiate fails as Windows does when no package
// fits, and says why.
func TestNegotiateCannotUseKerberos(t *testing.T) {
	r := newRealm(t)
	t.Run("unknown SPN", func(t *testing.T) {
		_, st, _, err := isc(clientCred(t), nil, "HTTP/nowhere.test.local", fullReq, nil)
		assert.Equal(t, sspi.SEC_E_TARGET_UNKNOWN, st, "%v", err)
		assert.ErrorContains(t, err, "NTLM is not implemented")
	})
	t.Run("not an SPN", func(t *testing.T) {
		_, st, _, err := isc(clientCred(t), nil, "localhost", fullReq, nil)
		assert.Equal(t, sspi.SEC_E_TARGET_UNKNOWN, st, "%v", err)
	})
	t.Run("no ticket cache", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", "FILE:"+r.Dir+"/no-such-ccache")
		cred, err := sspi.AcquireCredentialsHandle("", PackageName, sspi.SECPKG_CRED_OUTBOUND, nil)
		require.NoError(t, err, "Negotiate acquires its handle; the context says what is missing")
		_, st, _, err := isc(cred, nil, "HTTP/localhost", fullReq, nil)
		assert.Equal(t, sspi.SEC_E_NO_CREDENTIALS, st)
		assert.ErrorContains(t, err, "Kerberos cannot be used")
	})
	t.Run("no keytab", func(t *testing.T) {
		cred, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, &Config{Kerberos: &kerberos.Config{Keytab: r.Dir + "/no-such-keytab"}})
		require.NoError(t, err)
		_, tok, _ := func() (*sspi.Context, []byte, error) {
			c, _, out, err := isc(clientCred(t), nil, "HTTP/localhost", fullReq, nil)
			return c, out, err
		}()
		_, st, _, err := asc(cred, nil, tok)
		assert.Equal(t, sspi.SEC_E_NO_CREDENTIALS, st)
		assert.ErrorContains(t, err, "Kerberos cannot be used")
	})
}

// TestNegotiateCallerBuffers: with the caller's own output buffers (no
// ISC_REQ_ALLOCATE_MEMORY) no call returns ISC_RET_ALLOCATED_MEMORY, also
// the last ISC of a one-leg Kerberos exchange, whose flags come straight
// from the inner context (the Wine differential test found that one).
func TestNegotiateCallerBuffers(t *testing.T) {
	newRealm(t)
	for _, req := range []uint32{fullReq, fullReq &^ sspi.ISC_REQ_MUTUAL_AUTH} {
		var cctx, sctx *sspi.Context
		var toServer, toClient []byte
		for leg := 0; leg < 3 && (cctx == nil || !cctx.Established()); leg++ {
			var in []sspi.SecBuffer
			if toClient != nil {
				in = []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, toClient)}
			}
			out := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 48256))}
			var err error
			cctx, _, err = sspi.InitializeSecurityContext(clientCred(t), cctx, "HTTP/localhost", req, in, out)
			require.NoError(t, err)
			assert.Zero(t, cctx.Attributes()&sspi.ISC_RET_ALLOCATED_MEMORY, "ISC leg %d, req %#x", leg, req)
			toServer, toClient = out[0].Buffer, nil
			if len(toServer) == 0 {
				continue
			}
			sout := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 48256))}
			sctx, _, err = sspi.AcceptSecurityContext(serverCred(t), sctx, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, toServer)}, sspi.ASC_REQ_MUTUAL_AUTH, sout)
			require.NoError(t, err)
			assert.Zero(t, sctx.Attributes()&sspi.ASC_RET_ALLOCATED_MEMORY, "ASC, req %#x", req)
			if len(sout[0].Buffer) > 0 {
				toClient = sout[0].Buffer
			}
		}
		require.True(t, cctx.Established())
	}
}
