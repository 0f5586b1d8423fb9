package digest_test

import (
	"testing"

	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/require"
)

// BenchmarkHTTPLaterRequest measures what a later request costs through
// the SSPI calls: MakeSignature on the client, AcceptSecurityContext on the
// server (SHA-256, qop auth).
func BenchmarkHTTPLaterRequest(b *testing.B) {
	scred := serverCred(b, nil)
	ccred := clientCred(b, nil)
	sctx, ch := challenge(b, scred)
	out := tokenOut()
	cctx, _, err := sspi.InitializeSecurityContext(ccred, nil, "/", httpISC, httpClientIn(ch, "GET", ""), out)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		bufs := []sspi.SecBuffer{
			{BufferType: sspi.SECBUFFER_TOKEN},
			sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte("GET")),
			sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte("/")),
			sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, nil),
			{BufferType: sspi.SECBUFFER_PADDING},
		}
		if _, err := cctx.MakeSignature(0, bufs); err != nil {
			b.Fatal(err)
		}
		if _, _, err := sspi.AcceptSecurityContext(scred, sctx, httpServerIn(string(bufs[4].Buffer), "GET", "/", ""), httpASC, tokenOut()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSASLSeal measures EncryptMessage and DecryptMessage of a 1 KiB
// message with auth-conf (rc4, the strongest cipher both sides offer).
func BenchmarkSASLSeal(b *testing.B) {
	ccred := clientCred(b, nil)
	scred := serverCred(b, nil)
	// saslLogin takes a *testing.T; its steps again, for a *testing.B.
	req := uint32(sspi.ISC_REQ_CONFIDENTIALITY)
	cctx, _, err := sspi.InitializeSecurityContext(ccred, nil, testSPN, req, nil, tokenOut())
	require.NoError(b, err)
	out := tokenOut()
	sctx, _, err := sspi.AcceptSecurityContext(scred, nil, nil, sspi.ASC_REQ_CONFIDENTIALITY, out)
	require.NoError(b, err)
	cout := tokenOut()
	_, _, err = sspi.InitializeSecurityContext(ccred, cctx, testSPN, req, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, out[0].Buffer)}, cout)
	require.NoError(b, err)
	out = tokenOut()
	_, _, err = sspi.AcceptSecurityContext(scred, sctx, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, cout[0].Buffer)}, sspi.ASC_REQ_CONFIDENTIALITY, out)
	require.NoError(b, err)
	_, st, err := sspi.InitializeSecurityContext(ccred, cctx, testSPN, req, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, out[0].Buffer)}, tokenOut())
	require.NoError(b, err)
	require.Equal(b, sspi.SEC_E_OK, st)

	msg := make([]byte, 1024)
	trailer := make([]byte, 24)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, msg), sspi.NewSecBuffer(sspi.SECBUFFER_PADDING, trailer)}
		if _, err := cctx.EncryptMessage(0, bufs); err != nil {
			b.Fatal(err)
		}
		if _, _, err := sctx.DecryptMessage(bufs); err != nil {
			b.Fatal(err)
		}
	}
}
