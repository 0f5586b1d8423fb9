package digest_test

import (
	"bytes"
	"testing"

	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/require"
)

// FuzzProvider drives a Digest context through the SSPI calls with
// peer-supplied tokens. The input is shaped like an exchange: a selector
// byte (bit 0 HTTP, bit 1 server side, bit 2 integrity, bit 3
// confidentiality) and up to four tokens separated by "\n--\n", each fed
// to a handshake call and then to the message calls. The contract: no
// panic (GOSSPI_REPANIC is set), a status that matches its error, never
// SEC_E_INTERNAL_ERROR, and no failure status without an error.
func FuzzProvider(f *testing.F) {
	// Seeds: real exchanges in each mode and role.
	scred := serverCred(f, nil)
	_, ch := challenge(f, scred)
	out := tokenOut()
	_, _, err := sspi.InitializeSecurityContext(clientCred(f, nil), nil, "/", httpISC, httpClientIn(ch, "GET", ""), out)
	require.NoError(f, err)
	f.Add(byte(1), []byte(ch))
	f.Add(byte(3), out[0].Buffer)
	sout := tokenOut()
	_, _, err = sspi.AcceptSecurityContext(scred, nil, nil, 0, sout)
	require.NoError(f, err)
	f.Add(byte(0), sout[0].Buffer)
	f.Add(byte(4), sout[0].Buffer)
	f.Add(byte(8), append(bytes.Clone(sout[0].Buffer), "\n--\nrspauth=0123456789abcdef0123456789abcdef"...))
	f.Add(byte(2), []byte(`username="Mufasa",realm="testrealm@host.com",nonce="abc",cnonce="x",nc=00000001,qop=auth,digest-uri="imap/elwood.innosoft.com",response=d388dad90d4bbd760a152321f2143af7`))

	ccred := clientCred(f, nil)
	f.Fuzz(func(t *testing.T, sel byte, data []byte) {
		http, server := sel&1 != 0, sel&2 != 0
		var req uint32 = sspi.ISC_REQ_ALLOCATE_MEMORY
		if sel&4 != 0 {
			req |= sspi.ISC_REQ_INTEGRITY
		}
		if sel&8 != 0 {
			req |= sspi.ISC_REQ_CONFIDENTIALITY
		}
		if http {
			req |= sspi.ISC_REQ_USE_HTTP_STYLE
		}
		var ctx *sspi.Context
		for _, tok := range bytes.SplitN(data, []byte("\n--\n"), 4) {
			var st sspi.Status
			var err error
			out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
			if server {
				areq := uint32(sspi.ASC_REQ_ALLOCATE_MEMORY)
				if http {
					areq |= 0x10000000 // ASC_REQ_HTTP
				}
				ctx, st, err = sspi.AcceptSecurityContext(scred, ctx, httpServerIn(string(tok), "GET", "/", ""), areq, out)
			} else {
				ctx, st, err = sspi.InitializeSecurityContext(ccred, ctx, "imap/host", req, httpClientIn(string(tok), "GET", ""), out)
			}
			checkStatus(t, st, err)
			if ctx == nil {
				return
			}
			msg := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, bytes.Clone(tok)), {BufferType: sspi.SECBUFFER_PADDING}}
			_, st, err = ctx.DecryptMessage(msg)
			checkStatus(t, st, err)
			sig := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, tok), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok[:min(len(tok), 16)])}
			_, st, err = ctx.VerifySignature(sig)
			checkStatus(t, st, err)
		}
	})
}

func checkStatus(t *testing.T, st sspi.Status, err error) {
	t.Helper()
	if err != nil {
		require.Equal(t, sspi.StatusOf(err), st, "status and error disagree: %v", err)
		require.NotEqual(t, sspi.SEC_E_INTERNAL_ERROR, st, "%v", err)
		return
	}
	require.False(t, st.Failed(), "failure status %v without an error", st)
}
