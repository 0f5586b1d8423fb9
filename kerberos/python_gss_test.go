package kerberos

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/peertest"
	"github.com/gosspi/schannel/sspi"
)

// The GSS_C_* flags python3-gssapi passes to MIT (RFC 2744; DCE_STYLE
// 0x1000 from RFC 4757 section 7.1).
const (
	pyDeleg    = 1
	pyMutual   = 2
	pyReplay   = 4
	pySequence = 8
	pyConf     = 16
	pyInteg    = 32
	pyDCE      = 0x1000
)

// pyPeer is one MIT GSS-API context in a /usr/bin/python3 process running
// testdata/gssapi_peer.py (python3-gssapi), driven line by line.
type pyPeer struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Scanner
}

// python starts the peer, or skips (fails under SCHANNEL_INTEROP=require)
// when /usr/bin/python3 or its gssapi module is missing. The pyenv or
// venv python3 a PATH may find first does not see Debian's module, hence
// the absolute path.
func python(t *testing.T, env ...string) *pyPeer {
	t.Helper()
	py := peertest.Program(t, "/usr/bin/python3", "python3")
	if out, err := exec.Command(py, "-c", "import gssapi.raw; gssapi.raw.wrap_iov").CombinedOutput(); err != nil {
		peertest.Missing(t, fmt.Sprintf("/usr/bin/python3 cannot import gssapi (%v: %s); install the Debian package python3-gssapi", err, strings.TrimSpace(string(out))))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, py, filepath.Join("testdata", "gssapi_peer.py"))
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		in.Close()
		_ = cmd.Wait()
		cancel()
	})
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	return &pyPeer{t: t, in: in, out: sc}
}

func hx(b []byte) string {
	if len(b) == 0 {
		return "-"
	}
	return hex.EncodeToString(b)
}

func unhx(t *testing.T, s string) []byte {
	if s == "-" {
		return nil
	}
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// call sends one command and returns the words after OK, or the error
// line ("ERR <class> <message>") as an error.
func (p *pyPeer) call(words ...string) ([]string, error) {
	p.t.Helper()
	_, err := fmt.Fprintln(p.in, strings.Join(words, " "))
	require.NoError(p.t, err)
	require.True(p.t, p.out.Scan(), "the python peer ended: %v", p.out.Err())
	line := p.out.Text()
	if strings.HasPrefix(line, "OK") {
		return strings.Fields(line)[1:], nil
	}
	return nil, fmt.Errorf("%s", line)
}

func (p *pyPeer) must(words ...string) []string {
	p.t.Helper()
	r, err := p.call(words...)
	require.NoError(p.t, err)
	return r
}

// step runs one MIT context step; it returns MIT's token and whether its
// context is complete.
func (p *pyPeer) step(tok []byte) ([]byte, bool) {
	r := p.must("step", hx(tok))
	return unhx(p.t, r[0]), r[1] == "1"
}

// pyClientToUs runs MIT's initiator against our acceptor until both are
// done, and returns our context and the number of tokens exchanged.
func pyClientToUs(t *testing.T, py *pyPeer, server *sspi.Credentials, flags int, in ...sspi.SecBuffer) (*sspi.Context, int) {
	t.Helper()
	tok, done := py.step(nil)
	legs := 1
	var sctx *sspi.Context
	for i := 0; i < 3; i++ {
		sout := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		sin := append(append([]sspi.SecBuffer(nil), in...), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok))
		var st sspi.Status
		var err error
		sctx, st, err = sspi.AcceptSecurityContext(server, sctx, sin, sspi.ASC_REQ_ALLOCATE_MEMORY, sout)
		require.NoError(t, err)
		if st == sspi.SEC_E_OK {
			if len(sout[0].Buffer) > 0 {
				// The AP-REP of mutual authentication.
				legs++
				var out []byte
				out, done = py.step(sout[0].Buffer)
				require.Empty(t, out)
			}
			require.True(t, done, "MIT's initiator is complete too")
			return sctx, legs
		}
		require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
		require.False(t, done)
		legs++
		tok, done = py.step(sout[0].Buffer)
		legs++
	}
	t.Fatal("no context")
	return nil, 0
}

// usToPyServer runs our initiator against MIT's acceptor.
func usToPyServer(t *testing.T, py *pyPeer, client *sspi.Credentials, req uint32, in ...sspi.SecBuffer) (*sspi.Context, int) {
	t.Helper()
	var cctx *sspi.Context
	var fromMIT []byte
	var done bool
	legs := 0
	for i := 0; i < 3; i++ {
		cin := append([]sspi.SecBuffer(nil), in...)
		if fromMIT != nil {
			cin = append(cin, sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, fromMIT))
		}
		out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		var st sspi.Status
		var err error
		cctx, st, err = sspi.InitializeSecurityContext(client, cctx, "host/localhost", req|sspi.ISC_REQ_ALLOCATE_MEMORY, cin, out)
		require.NoError(t, err)
		if len(out[0].Buffer) > 0 {
			legs++
			fromMIT, done = py.step(out[0].Buffer)
			if len(fromMIT) > 0 {
				legs++
			}
		}
		if st == sspi.SEC_E_OK {
			require.True(t, done, "MIT's acceptor is complete too")
			return cctx, legs
		}
		require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	}
	t.Fatal("no context")
	return nil, 0
}

// exchangeMessages sends Wrap tokens (confidential and integrity-only) and
// MICs both ways between our context and MIT's, whole tokens as gss_wrap
// makes and takes them.
func exchangeMessages(t *testing.T, py *pyPeer, ours *sspi.Context) {
	for _, conf := range []bool{true, false} {
		msg := []byte(fmt.Sprintf("from MIT, confidential %v", conf))
		c := "0"
		if conf {
			c = "1"
		}
		tok := unhx(t, py.must("wrap", c, hx(msg))[0])
		bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, tok), {BufferType: sspi.SECBUFFER_DATA}}
		qop, _, err := ours.DecryptMessage(bufs)
		require.NoError(t, err, "MIT's gss_wrap token")
		assert.Equal(t, msg, bufs[1].Buffer)
		assert.Equal(t, conf, qop == 0)

		msg = []byte(fmt.Sprintf("from Go, confidential %v", conf))
		qopIn := uint32(0)
		if !conf {
			qopIn = sspi.SECQOP_WRAP_NO_ENCRYPT
		}
		head, data := wrap(t, ours, qopIn, msg, 76)
		whole := append(append([]byte(nil), head...), data...)
		if conf && binary.BigEndian.Uint16(whole[4:]) != 0 {
			// A DCE-style token: gss_unwrap takes the rotation from RRC
			// alone (see gss.go's wrapToken); the IOV form is tested
			// apart.
			binary.BigEndian.PutUint16(whole[6:], binary.BigEndian.Uint16(whole[6:])+binary.BigEndian.Uint16(whole[4:]))
		}
		r := py.must("unwrap", hx(whole))
		assert.Equal(t, msg, unhx(t, r[0]))
		assert.Equal(t, c, r[1])
	}
	msg := []byte("signed by MIT")
	mic := unhx(t, py.must("mic", hx(msg))[0])
	_, _, err := ours.VerifySignature([]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, msg), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, mic)})
	require.NoError(t, err, "MIT's MIC")
	msg = []byte("signed by Go")
	sig := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, msg), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 28))}
	_, err = ours.MakeSignature(0, sig)
	require.NoError(t, err)
	py.must("verify", hx(msg), hx(sig[1].Buffer[:sig[1].Size]))
	_, err = py.call("verify", hx([]byte("not what was signed")), hx(sig[1].Buffer[:sig[1].Size]))
	assert.ErrorContains(t, err, "BadMIC", "the check on MIT's side can fail")
}

// exchangeIOV is the DCE RPC layout both ways: MIT's gss_wrap_iov into
// [HEADER, DATA] against our DecryptMessage([TOKEN, DATA]), and our
// EncryptMessage against MIT's gss_unwrap_iov. It returns MIT's header of
// a confidential token, whose EC and RRC the caller checks.
func exchangeIOV(t *testing.T, py *pyPeer, ours *sspi.Context, trailer int) []byte {
	var mitHeader []byte
	for _, conf := range []bool{true, false} {
		c, qopIn := "0", uint32(sspi.SECQOP_WRAP_NO_ENCRYPT)
		if conf {
			c, qopIn = "1", 0
		}
		msg := []byte("DCE RPC stub data from MIT, " + c)
		r := py.must("wrapiov", c, hx(msg))
		head, data := unhx(t, r[0]), unhx(t, r[1])
		if conf {
			mitHeader = head
		}
		got, qop := unwrap(t, ours, head, data)
		assert.Equal(t, msg, got)
		assert.Equal(t, conf, qop == 0)

		msg = []byte("DCE RPC stub data from Go, " + c)
		head, data = wrap(t, ours, qopIn, msg, trailer)
		r = py.must("unwrapiov", hx(head), hx(data))
		assert.Equal(t, msg, unhx(t, r[0]), "MIT's gss_unwrap_iov of our EncryptMessage buffers")
		assert.Equal(t, c, r[1])
	}
	return mitHeader
}

// TestPythonGSSAPI drives MIT's GSS-API through python3-gssapi against our
// package, both ways: context establishment (with mutual authentication,
// delegation, DCE style), Wrap tokens confidential and integrity-only,
// MICs, the IOV layout with EC and RRC, and channel bindings.
func TestPythonGSSAPI(t *testing.T) {
	r := newRealm(t, true)
	ktEnv := "KRB5_KTNAME=FILE:" + r.Keytab
	client, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, nil)
	require.NoError(t, err)
	server, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, &Config{Keytab: r.Keytab})
	require.NoError(t, err)
	std := pyMutual | pyReplay | pySequence | pyConf | pyInteg

	t.Run("MIT initiator, our acceptor", func(t *testing.T) {
		for _, c := range []struct {
			name  string
			flags int
			legs  int
		}{
			{"mutual", std, 2},
			{"one leg", pyReplay | pyConf | pyInteg, 1},
			{"delegation", std | pyDeleg, 2},
			{"DCE style", pyDCE | pyReplay | pySequence | pyConf | pyInteg, 3},
		} {
			t.Run(c.name, func(t *testing.T) {
				py := python(t)
				py.must("init", "host@localhost", strconv.Itoa(c.flags), "-")
				sctx, legs := pyClientToUs(t, py, server, c.flags)
				assert.Equal(t, c.legs, legs)
				names, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
				require.NoError(t, err)
				assert.Equal(t, "user@TEST.LOCAL", names.(sspi.Names).UserName)
				info := py.must("info")
				mitFlags, _ := strconv.Atoi(info[0])
				if c.flags&pyDeleg != 0 {
					assert.NotZero(t, sctx.Attributes()&sspi.ASC_RET_DELEGATE)
					onward, err := DelegatedCredentials(sctx)
					require.NoError(t, err, "MIT's forwarded TGT is usable")
					_, _, legs := establish(t, onward, server, "HTTP/localhost", fullReq, 0)
					assert.Equal(t, 2, legs)
				}
				if c.flags&pyDCE != 0 {
					assert.NotZero(t, mitFlags&pyDCE, "MIT's context is DCE style")
					assert.NotZero(t, sctx.Attributes()&sspi.ASC_RET_USED_DCE_STYLE)
					hdr := exchangeIOV(t, py, sctx, 76)
					// MIT's DCE-style wrap_iov: EC 16 and RRC 28 with the
					// trailer rotated by RRC+EC, Windows' form.
					assert.Equal(t, uint16(16), binary.BigEndian.Uint16(hdr[4:]), "EC")
					assert.Equal(t, uint16(28), binary.BigEndian.Uint16(hdr[6:]), "RRC")
					assert.Len(t, hdr, 76)
				}
				exchangeMessages(t, py, sctx)
			})
		}
	})

	t.Run("our initiator, MIT acceptor", func(t *testing.T) {
		for _, c := range []struct {
			name string
			req  uint32
			legs int
		}{
			{"mutual", fullReq, 2},
			{"one leg", sspi.ISC_REQ_REPLAY_DETECT | sspi.ISC_REQ_CONFIDENTIALITY, 1},
			{"delegation", fullReq | sspi.ISC_REQ_DELEGATE, 2},
			{"DCE style", dceReq, 3},
		} {
			t.Run(c.name, func(t *testing.T) {
				py := python(t, ktEnv)
				py.must("accept", "-")
				cctx, legs := usToPyServer(t, py, client, c.req)
				assert.Equal(t, c.legs, legs)
				info := py.must("info")
				mitFlags, _ := strconv.Atoi(info[0])
				assert.Equal(t, "user@TEST.LOCAL", info[2])
				assert.Equal(t, c.req&sspi.ISC_REQ_MUTUAL_AUTH != 0 || c.req&sspi.ISC_REQ_USE_DCE_STYLE != 0, mitFlags&pyMutual != 0)
				if c.req&sspi.ISC_REQ_DELEGATE != 0 {
					assert.NotZero(t, cctx.Attributes()&sspi.ISC_RET_DELEGATE)
					assert.Equal(t, "1", info[1], "MIT's acceptor has our delegated TGT")
				}
				if c.req&sspi.ISC_REQ_USE_DCE_STYLE != 0 {
					assert.NotZero(t, mitFlags&pyDCE)
					exchangeIOV(t, py, cctx, 76)
				}
				exchangeMessages(t, py, cctx)
			})
		}
	})

	t.Run("EC and RRC outside DCE style", func(t *testing.T) {
		// MIT's non-DCE gss_wrap_iov with everything in the header: RRC
		// covers EC, 16 and the tag (RRC alone rotates), EC 0 for AES.
		py := python(t, ktEnv)
		py.must("accept", "-")
		cctx, _ := usToPyServer(t, py, client, fullReq)
		hdr := exchangeIOV(t, py, cctx, 60)
		assert.Equal(t, uint16(0), binary.BigEndian.Uint16(hdr[4:]), "EC")
		assert.Equal(t, uint16(28), binary.BigEndian.Uint16(hdr[6:]), "RRC")
	})

	t.Run("channel bindings", func(t *testing.T) {
		app := []byte("tls-server-end-point:AAAA")
		cb := sspi.NewSecBuffer(sspi.SECBUFFER_CHANNEL_BINDINGS, channelBindings(app))
		other := sspi.NewSecBuffer(sspi.SECBUFFER_CHANNEL_BINDINGS, channelBindings([]byte("tls-server-end-point:BBBB")))

		py := python(t)
		py.must("init", "host@localhost", strconv.Itoa(std), hx(app))
		sctx, _ := pyClientToUs(t, py, server, std, cb)
		exchangeMessages(t, py, sctx)

		py = python(t)
		py.must("init", "host@localhost", strconv.Itoa(std), hx(app))
		tok, _ := py.step(nil)
		_, st, err := accept(server, tok, other)
		require.Error(t, err)
		assert.Equal(t, sspi.SEC_E_BAD_BINDINGS, st, "%v", err)

		py = python(t, ktEnv)
		py.must("accept", hx(app))
		cctx, _ := usToPyServer(t, py, client, fullReq, cb)
		exchangeMessages(t, py, cctx)

		py = python(t, ktEnv)
		py.must("accept", hx([]byte("tls-server-end-point:BBBB")))
		out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		_, _, err = sspi.InitializeSecurityContext(client, nil, "host/localhost", fullReq|sspi.ISC_REQ_ALLOCATE_MEMORY, []sspi.SecBuffer{cb}, out)
		require.NoError(t, err)
		_, err = py.call("step", hx(out[0].Buffer))
		assert.ErrorContains(t, err, "BadChannelBindings", "MIT refuses our bindings when its own differ")
	})
}
