package negotiate

import (
	encasn1 "encoding/asn1"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/negotiate/wire"
	"github.com/gosspi/schannel/sspi"
)

// TestHostileInitiatorToken: one field of a valid NegTokenInit changed,
// one status expected from the acceptor.
func TestHostileInitiatorToken(t *testing.T) {
	newRealm(t)
	_, _, good, err := isc(clientCred(t), nil, "HTTP/localhost", fullReq, nil)
	require.NoError(t, err)
	var init wire.NegTokenInit
	require.NoError(t, init.Unmarshal(good))
	with := func(f func(m *wire.NegTokenInit)) []byte {
		m := init
		f(&m)
		return mustInit(t, m)
	}
	cases := []struct {
		name   string
		tok    []byte
		status sspi.Status
		msg    string
	}{
		{"empty mechanism list", with(func(m *wire.NegTokenInit) { m.MechTypes = []encasn1.ObjectIdentifier{} }), sspi.SEC_E_INVALID_TOKEN, "offered no mechanism"},
		{"only NTLM", with(func(m *wire.NegTokenInit) { m.MechTypes = []encasn1.ObjectIdentifier{wire.OIDNTLM} }), sspi.SEC_E_INVALID_TOKEN, "NTLM is not implemented"},
		{"unknown OID", with(func(m *wire.NegTokenInit) { m.MechTypes = []encasn1.ObjectIdentifier{{1, 2, 3, 4}} }), sspi.SEC_E_INVALID_TOKEN, "only Kerberos"},
		{"framing for NTLM", append([]byte{0x60, byte(len(good) - 2 + 4)}, append([]byte{0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a}, good[10:]...)...), sspi.SEC_E_INVALID_TOKEN, ""},
		{"truncated", good[:len(good)-5], sspi.SEC_E_INVALID_TOKEN, "initial context token"},
		{"trailing byte", append(append([]byte{}, good...), 0), sspi.SEC_E_INVALID_TOKEN, "trailing"},
		{"NegTokenResp first", mustResp(t, wire.NegTokenResp{NegState: wire.NegStateAcceptCompleted}), sspi.SEC_E_INVALID_TOKEN, "initial context token"},
		{"mechToken flipped", with(func(m *wire.NegTokenInit) {
			tok := append([]byte(nil), m.MechToken...)
			tok[len(tok)-3] ^= 0x40
			m.MechToken = tok
		}), 0, ""},
		{"forged mechListMIC", with(func(m *wire.NegTokenInit) { m.MechListMIC = []byte("forged") }), sspi.SEC_E_MESSAGE_ALTERED, "does not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, st, out, err := asc(serverCred(t), nil, c.tok)
			require.Error(t, err)
			assert.True(t, st.Failed(), "%v", st)
			if c.status != 0 {
				assert.Equal(t, c.status, st, "%v", err)
			}
			assert.ErrorContains(t, err, c.msg)
			assert.Empty(t, out)
		})
	}
}

// TestHostileAcceptorToken: one field of a valid acceptor reply changed,
// one status expected from the initiator.
func TestHostileAcceptorToken(t *testing.T) {
	newRealm(t)
	cases := []struct {
		name   string
		edit   func(m *wire.NegTokenResp)
		raw    func(b []byte) []byte
		status sspi.Status
		msg    string
	}{
		{"reject", func(m *wire.NegTokenResp) { *m = wire.NegTokenResp{NegState: wire.NegStateReject} }, nil, sspi.SEC_E_LOGON_DENIED, "rejected"},
		{"NTLM chosen", func(m *wire.NegTokenResp) { m.SupportedMech = wire.OIDNTLM }, nil, sspi.SEC_E_INVALID_TOKEN, "not offered"},
		{"no supportedMech", func(m *wire.NegTokenResp) { m.SupportedMech = nil }, nil, sspi.SEC_E_INVALID_TOKEN, "no supportedMech"},
		{"no negState", func(m *wire.NegTokenResp) { m.NegState = wire.NegStateAbsent }, nil, sspi.SEC_E_INVALID_TOKEN, "no negState"},
		{"no AP-REP", func(m *wire.NegTokenResp) { m.ResponseToken = nil }, nil, sspi.SEC_E_INVALID_TOKEN, "without the Kerberos AP-REP"},
		{"forged MIC", func(m *wire.NegTokenResp) { m.MechListMIC = make([]byte, 28) }, nil, sspi.SEC_E_MESSAGE_ALTERED, "mechListMIC"},
		{"request-mic then completed without one", func(m *wire.NegTokenResp) { m.NegState = wire.NegStateRequestMIC }, nil, 0, ""},
		{"truncated", nil, func(b []byte) []byte { return b[:len(b)-1] }, sspi.SEC_E_INVALID_TOKEN, "NegTokenResp"},
		{"framed like an initial token", nil, func(b []byte) []byte { return append([]byte{0x60, byte(len(b))}, b...) }, sspi.SEC_E_INVALID_TOKEN, "NegTokenResp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cred := clientCred(t)
			cctx, _, out, err := isc(cred, nil, "HTTP/localhost", fullReq, nil)
			require.NoError(t, err)
			_, _, reply, err := asc(serverCred(t), nil, out)
			require.NoError(t, err)
			var resp wire.NegTokenResp
			require.NoError(t, resp.Unmarshal(reply))
			if c.edit != nil {
				c.edit(&resp)
			}
			tok := mustResp(t, resp)
			if c.raw != nil {
				tok = c.raw(reply)
			}
			_, st, out, err := isc(cred, cctx, "HTTP/localhost", fullReq, tok)
			if c.status == 0 {
				// request-mic: the initiator sends its MIC and waits
				// for the acceptor's.
				require.NoError(t, err)
				assert.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
				var mine wire.NegTokenResp
				require.NoError(t, mine.Unmarshal(out))
				assert.NotNil(t, mine.MechListMIC)
				_, st, _, err = isc(cred, cctx, "HTTP/localhost", fullReq, mustResp(t, wire.NegTokenResp{NegState: wire.NegStateAcceptCompleted}))
				assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, st)
				assert.ErrorContains(t, err, "without the mechListMIC")
				return
			}
			assert.Equal(t, c.status, st, "%v", err)
			assert.ErrorIs(t, err, c.status)
			assert.ErrorContains(t, err, c.msg)
			// The context is dead afterwards.
			_, st, _, _ = isc(cred, cctx, "HTTP/localhost", fullReq, reply)
			assert.Equal(t, sspi.SEC_E_INVALID_HANDLE, st)
		})
	}
}

// TestHostileSecondLeg: after the acceptor asked for the initiator's MIC,
// a reply without it, with a second mechanism token, or naming another
// mechanism is refused.
func TestHostileSecondLeg(t *testing.T) {
	newRealm(t)
	cases := []struct {
		name string
		resp func(apreq []byte) wire.NegTokenResp
		msg  string
	}{
		{"no token", func([]byte) wire.NegTokenResp { return wire.NegTokenResp{NegState: wire.NegStateAbsent} }, "no Kerberos token"},
		{"other mechanism", func(a []byte) wire.NegTokenResp {
			return wire.NegTokenResp{NegState: wire.NegStateAbsent, SupportedMech: wire.OIDNTLM, ResponseToken: a}
		}, "not the chosen"},
		{"MIC before the context", func(a []byte) wire.NegTokenResp {
			return wire.NegTokenResp{NegState: wire.NegStateAbsent, MechListMIC: []byte("x")}
		}, "no Kerberos token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server := serverCred(t)
			sctx, _, _, err := asc(server, nil, mustInit(t, wire.NegTokenInit{MechTypes: []encasn1.ObjectIdentifier{wire.OIDNTLM, wire.OIDKerberos}}))
			require.NoError(t, err)
			_, _, apreq, err := isc(kerberosCred(t, sspi.SECPKG_CRED_OUTBOUND), nil, "HTTP/localhost", fullReq, nil)
			require.NoError(t, err)
			_, st, _, err := asc(server, sctx, mustResp(t, c.resp(apreq)))
			assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, st)
			assert.ErrorContains(t, err, c.msg)
		})
	}
}

// TestDCEStyleRefused: DCE style is the Kerberos package's alone; through
// Negotiate it is refused on the first call, not on the second.
func TestDCEStyleRefused(t *testing.T) {
	newRealm(t)
	_, st, _, err := isc(clientCred(t), nil, "host/localhost", sspi.ISC_REQ_USE_DCE_STYLE|sspi.ISC_REQ_CONFIDENTIALITY, nil)
	require.Error(t, err)
	assert.Equal(t, sspi.SEC_E_UNSUPPORTED_FUNCTION, st, "%v", err)
}
