package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
)

// TestGSSServerDCEStyleAgainstMIT: MIT's gss-client -dce (GSS_C_DCE_STYLE:
// a bare AP-REQ, our bare AP-REP, its bare AP-REP) against our gss-server,
// which accepts in two AcceptSecurityContext calls, the first returning
// SEC_I_CONTINUE_NEEDED with the AP-REP (MS-KILE section 3.4.5.1). Then
// MIT's wrapped message is unwrapped and our MIC verified by MIT.
func TestGSSServerDCEStyleAgainstMIT(t *testing.T) {
	r := krbRealm(t)
	gssClient := mitrealm.Require(t, "gss-client")
	if out, _ := exec.Command("strings", gssClient).Output(); len(out) > 0 && !strings.Contains(string(out), "-dce") {
		t.Skip("this gss-client has no -dce option")
	}
	r.Run(t, []byte("secret\n"), "kinit", "user")
	for _, flags := range [][]string{{"-dce"}, {"-dce", "-nx"}, {"-dce", "-seq"}} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			c, stdout, stderr := testCLI("")
			port, done := startGSSServer(t, ctx, c, "-port", "0", "-once", "-v")
			args := append(append([]string{"-port", port}, flags...), "127.0.0.1", "host@localhost", "hello in DCE style")
			out, err := exec.CommandContext(ctx, gssClient, args...).CombinedOutput()
			require.NoError(t, err, "gss-client: %s\nours: %s", out, stderr)
			assert.Contains(t, string(out), "Signature verified")
			require.NoError(t, <-done, "stderr: %s", stderr)
			assert.Contains(t, stdout.String(), `Accepted connection: "user@TEST.LOCAL"`)
			assert.Contains(t, stdout.String(), `Received message: "hello in DCE style"`)
			log := stderr.String()
			first := strings.Index(log, "AcceptSecurityContext -> SEC_I_CONTINUE_NEEDED")
			second := strings.Index(log, "AcceptSecurityContext -> SEC_E_OK")
			require.True(t, first >= 0 && second > first, "ASC: CONTINUE_NEEDED with the AP-REP, then SEC_E_OK on MIT's AP-REP:\n%s", log)
		})
	}
}

// TestGSSClientDCEStyleAgainstMIT: our gss-client -dce against MIT's
// gss-server, which follows DCE style from the bare AP-REQ and checks our
// third-leg AP-REP with krb5_rd_rep_dce before it unwraps the message.
func TestGSSClientDCEStyleAgainstMIT(t *testing.T) {
	r := krbRealm(t)
	mitrealm.Require(t, "gss-server")
	r.Run(t, []byte("secret\n"), "kinit", "user")
	for _, flags := range [][]string{{"-dce"}, {"-dce", "-nx"}} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			srv := mitrealm.StartGSSServer(t, r.Dir, testTimeout, "host@localhost")
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			stdout, stderr := runGSSClient(t, ctx, srv, flags, "hello from Go in DCE style")
			assert.Contains(t, stdout, "Signature verified.")
			// ISC: CONTINUE_NEEDED with the bare AP-REQ, then SEC_E_OK
			// with the third leg; ISC_RET_USED_DCE_STYLE (0x200) is set.
			assert.Contains(t, stderr, "InitializeSecurityContext -> SEC_I_CONTINUE_NEEDED")
			assert.Contains(t, stderr, "InitializeSecurityContext -> SEC_E_OK")
			assert.Regexp(t, `flags 0x[0-9a-f]*[2367abef][0-9a-f]{2}\b`, stdout, "ISC_RET_USED_DCE_STYLE")
			require.NoError(t, srv.Wait(), "gss-server: %s", srv.Output())
			assert.Contains(t, srv.Log(), "hello from Go in DCE style")
		})
	}
}
