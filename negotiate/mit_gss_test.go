package negotiate

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/internal/negotiate/wire"
	"github.com/gosspi/schannel/sspi"
)

// The framing of MIT's krb5 GSS-API sample programs (src/appl/gss-sample):
// one flags octet, a 4-byte big-endian length, the token.
const (
	tokNoop        = 0x01
	tokContext     = 0x02
	tokData        = 0x04
	tokMIC         = 0x08
	tokContextNext = 0x10
	tokWrapped     = 0x20
	tokEncrypted   = 0x40
	tokSendMIC     = 0x80
)

func gssSend(w io.Writer, flags byte, tok []byte) error {
	b := append([]byte{flags}, binary.BigEndian.AppendUint32(nil, uint32(len(tok)))...)
	_, err := w.Write(append(b, tok...))
	return err
}

func gssRecv(r io.Reader) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("token of %d bytes", n)
	}
	tok := make([]byte, n)
	_, err := io.ReadFull(r, tok)
	return h[0], tok, err
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMITGSSClientSPNEGO: MIT's gss-client -spnego against our Negotiate
// acceptor: its NegTokenInit, our NegTokenResp with the AP-REP, its Wrap
// token unwrapped through Negotiate, our MIC verified by gss-client; with
// -d, its delegated TGT reaches DelegatedCredentials.
func TestMITGSSClientSPNEGO(t *testing.T) {
	gssClient := mitrealm.Require(t, "gss-client")
	newRealm(t)
	for _, flags := range [][]string{nil, {"-d"}, {"-nomutual"}} {
		t.Run(strings.Join(append([]string{"spnego"}, flags...), " "), func(t *testing.T) {
			server := serverCred(t)
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer l.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			args := append(append([]string{"-spnego", "-port", fmt.Sprint(l.Addr().(*net.TCPAddr).Port)}, flags...), "127.0.0.1", "host@localhost", "hello over SPNEGO")
			cmd := exec.CommandContext(ctx, gssClient, args...)
			out := make(chan string, 1)
			go func() {
				b, _ := cmd.CombinedOutput()
				out <- string(b)
			}()
			c, err := l.Accept()
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.SetDeadline(time.Now().Add(time.Minute)))

			f, _, err := gssRecv(c)
			require.NoError(t, err)
			require.Equal(t, byte(tokNoop|tokContextNext), f)
			var sctx *sspi.Context
			for legs := 0; ; legs++ {
				require.Less(t, legs, 4)
				f, tok, err := gssRecv(c)
				require.NoError(t, err)
				require.Equal(t, byte(tokContext), f)
				if legs == 0 {
					capture(t, "mit-gss-client-negtokeninit.der", tok)
					var init wire.NegTokenInit
					require.NoError(t, init.Unmarshal(tok), "MIT sends a NegTokenInit")
					assert.True(t, wire.IsKerberos(init.MechTypes[0]), "%v", init.MechTypes)
				}
				var st sspi.Status
				var reply []byte
				sctx, st, reply, err = asc(server, sctx, tok)
				require.NoError(t, err)
				if len(reply) > 0 {
					require.NoError(t, gssSend(c, tokContext, reply))
				}
				if st == sspi.SEC_E_OK {
					break
				}
			}
			v, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NEGOTIATION_INFO)
			require.NoError(t, err)
			assert.Equal(t, sspi.NegotiationInfo{PackageInfo: mustInfo(t, "Kerberos"), NegotiationState: sspi.SECPKG_NEGOTIATION_COMPLETE}, v)

			f, wrapped, err := gssRecv(c)
			require.NoError(t, err)
			require.NotZero(t, f&tokWrapped)
			bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, wrapped), {BufferType: sspi.SECBUFFER_DATA}}
			_, _, err = sctx.DecryptMessage(bufs)
			require.NoError(t, err, "MIT's Wrap token through Negotiate")
			msg := append([]byte(nil), bufs[1].Buffer...)
			assert.Contains(t, string(msg), "hello over SPNEGO")
			require.NoError(t, gssSend(c, tokMIC, sign(t, sctx, msg)))
			f, _, err = gssRecv(c)
			require.NoError(t, err)
			assert.Equal(t, byte(tokNoop), f)
			assert.Contains(t, <-out, "Signature verified")

			_, err = DelegatedCredentials(sctx)
			if len(flags) == 1 && flags[0] == "-d" {
				assert.NoError(t, err)
				assert.NotZero(t, sctx.Attributes()&sspi.ASC_RET_DELEGATE)
			} else {
				assert.ErrorIs(t, err, sspi.SEC_E_NO_CREDENTIALS)
			}
		})
	}
}

func mustInfo(t *testing.T, name string) sspi.PackageInfo {
	info, err := sspi.QuerySecurityPackageInfo(name)
	require.NoError(t, err)
	return info
}

// TestMITGSSServerSPNEGO: our Negotiate client against MIT's gss-server,
// whose acceptor takes SPNEGO: our NegTokenInit, its NegTokenResp (the
// AP-REP checked), our Wrap token, its MIC verified through Negotiate.
func TestMITGSSServerSPNEGO(t *testing.T) {
	gssServer := mitrealm.Require(t, "gss-server")
	r := newRealm(t)
	for _, req := range []uint32{fullReq, sspi.ISC_REQ_CONFIDENTIALITY} {
		t.Run(fmt.Sprintf("req=%#x", req), func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			port := l.Addr().(*net.TCPAddr).Port
			l.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			logPath := filepath.Join(r.Dir, fmt.Sprintf("gss-server-%d.log", port))
			srv := exec.CommandContext(ctx, gssServer, "-port", fmt.Sprint(port), "-once", "-logfile", logPath, "host@localhost")
			var srvOut lockedBuffer
			srv.Stdout, srv.Stderr = &srvOut, &srvOut
			require.NoError(t, srv.Start())
			defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
			var c net.Conn
			for deadline := time.Now().Add(10 * time.Second); ; {
				c, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
				if err == nil || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.SetDeadline(time.Now().Add(time.Minute)))

			cred := clientCred(t)
			require.NoError(t, gssSend(c, tokNoop|tokContextNext, nil))
			var cctx *sspi.Context
			var in []byte
			for legs := 0; ; legs++ {
				require.Less(t, legs, 4)
				var st sspi.Status
				var out []byte
				cctx, st, out, err = isc(cred, cctx, "host/localhost", req, in)
				require.NoError(t, err, "gss-server: %s", srvOut.String())
				if len(out) > 0 {
					require.NoError(t, gssSend(c, tokContext, out))
				}
				if st == sspi.SEC_E_OK {
					break
				}
				var f byte
				f, in, err = gssRecv(c)
				require.NoError(t, err, "gss-server: %s", srvOut.String())
				require.Equal(t, byte(tokContext), f)
				if legs == 0 {
					capture(t, "mit-gss-server-negtokenresp.der", in)
					var resp wire.NegTokenResp
					require.NoError(t, resp.Unmarshal(in), "MIT answers with a NegTokenResp")
					assert.Equal(t, wire.NegStateAcceptCompleted, resp.NegState)
				}
			}
			if req&sspi.ISC_REQ_MUTUAL_AUTH != 0 {
				assert.NotZero(t, cctx.Attributes()&sspi.ISC_RET_MUTUAL_AUTH, "MIT's AP-REP checked")
			}
			msg := []byte("hello from Negotiate")
			v, err := cctx.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
			require.NoError(t, err)
			sizes := v.(sspi.Sizes)
			data := append([]byte(nil), msg...)
			bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, sizes.SecurityTrailer)), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data), sspi.NewSecBuffer(sspi.SECBUFFER_PADDING, make([]byte, sizes.BlockSize))}
			_, err = cctx.EncryptMessage(0, bufs)
			require.NoError(t, err)
			wrapped := append(append([]byte(nil), bufs[0].Buffer[:bufs[0].Size]...), bufs[1].Buffer...)
			require.NoError(t, gssSend(c, tokData|tokWrapped|tokEncrypted|tokSendMIC, wrapped))
			f, mic, err := gssRecv(c)
			require.NoError(t, err, "gss-server: %s", srvOut.String())
			require.Equal(t, byte(tokMIC), f)
			require.NoError(t, verify(cctx, msg, mic), "gss-server's MIC through Negotiate")
			require.NoError(t, gssSend(c, tokNoop, nil))
			require.NoError(t, srv.Wait(), "gss-server: %s", srvOut.String())
			log, _ := os.ReadFile(logPath)
			assert.Contains(t, string(log)+srvOut.String(), "hello from Negotiate")
		})
	}
}

// capture writes a token MIT produced to NEGOTIATE_CAPTURE_DIR, when set:
// how internal/negotiate/wire/testdata was made.
func capture(t *testing.T, name string, tok []byte) {
	if dir := os.Getenv("NEGOTIATE_CAPTURE_DIR"); dir != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), tok, 0o644))
	}
}
