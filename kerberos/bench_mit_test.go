package kerberos

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/internal/peertest"
)

// mitBench runs kerberos/testdata/mitbench/mitbench.c, compiled against
// MIT's libgssapi_krb5, in a throwaway realm shared by one benchmark's
// cases: a user with a TGT in the FILE ccache and, per enctype, a service
// bench<enctype>/localhost whose only key and session keys are of that
// enctype (as the offline realm of the "ours" cases).
type mitBench struct {
	// missing says why the mit cases cannot run; empty when they can.
	missing string
	binary  string
	// env is, per enctype, the environment that limits MIT to it.
	env map[int32][]string
}

// newMITBench sets the realm up in the top-level benchmark b, so that it
// outlives the sub-benchmarks (which run more than once). It never skips
// b itself: the "ours" cases run whatever is installed.
func newMITBench(b *testing.B) *mitBench {
	b.Helper()
	m := &mitBench{}
	for _, p := range []struct{ program, pkg string }{
		{"gcc", "gcc"}, {"krb5-config", "libkrb5-dev"},
		{"kdb5_util", "krb5-kdc"}, {"krb5kdc", "krb5-kdc"}, {"kadmin.local", "krb5-admin-server"}, {"kinit", "krb5-user"},
	} {
		if _, err := peertest.Path(p.program); err != nil {
			m.missing = fmt.Sprintf("MIT comparison: %s is not installed; install the Debian package %s", p.program, p.pkg)
			return m
		}
	}
	dir := b.TempDir()
	m.binary = filepath.Join(dir, "mitbench")
	if msg := compileMITBench(m.binary); msg != "" {
		m.missing = msg
		return m
	}
	r := mitrealm.New(b)
	r.Admin(b, "addprinc -pw secret user")
	kt := filepath.Join(r.Dir, "keytab") // KRB5_KTNAME, set by mitrealm.New
	for _, id := range benchEnctypes {
		name := enctypeName(id)
		svc := fmt.Sprintf("bench%d/localhost", id)
		r.Admin(b, fmt.Sprintf("addprinc -randkey -e %s:normal %s", name, svc))
		// Without it MIT's KDC picks the session key from the client's
		// list whatever the service's key is.
		r.Admin(b, fmt.Sprintf("setstr %s session_enctypes %s", svc, name))
		r.Admin(b, fmt.Sprintf("ktadd -k %s -e %s:normal %s", kt, name, svc))
	}
	r.Start(b)
	// MIT's initiator lists its permitted enctypes in the authenticator
	// (RFC 4537) and its acceptor makes its subkey, which protects the
	// messages, of the first one it supports: aes256-sha1 whatever the
	// ticket. So each enctype gets a krb5.conf permitting only it, and a
	// TGT obtained under it.
	conf, err := os.ReadFile(r.ConfigPath)
	if err != nil {
		b.Fatal(err)
	}
	m.env = make(map[int32][]string)
	for _, id := range benchEnctypes {
		name := enctypeName(id)
		only := fmt.Sprintf("[libdefaults]\n\tpermitted_enctypes = %[1]s\n\tdefault_tgs_enctypes = %[1]s\n\tdefault_tkt_enctypes = %[1]s\n", name)
		path := filepath.Join(r.Dir, fmt.Sprintf("krb5-%d.conf", id))
		if err := os.WriteFile(path, []byte(strings.Replace(string(conf), "[libdefaults]\n", only, 1)), 0o600); err != nil {
			b.Fatal(err)
		}
		env := []string{"KRB5_CONFIG=" + path, "KRB5CCNAME=FILE:" + filepath.Join(r.Dir, fmt.Sprintf("ccache-%d", id)),
			// The acceptor's replay cache off, as in the "ours" cases.
			"KRB5RCACHETYPE=none"}
		kinit := exec.Command(mitrealm.Require(b, "kinit"), "user")
		kinit.Env = append(os.Environ(), env...)
		kinit.Stdin = strings.NewReader("secret\n")
		if out, err := kinit.CombinedOutput(); err != nil {
			b.Fatalf("kinit under %s: %v\n%s", name, err, out)
		}
		m.env[id] = env
	}
	return m
}

// compileMITBench builds the C program with krb5-config's flags, or says
// why it cannot.
func compileMITBench(out string) string {
	flags := func(arg string) ([]string, error) {
		o, err := exec.Command("krb5-config", arg, "gssapi").Output()
		return strings.Fields(string(o)), err
	}
	cflags, err := flags("--cflags")
	if err != nil {
		return fmt.Sprintf("MIT comparison: krb5-config --cflags gssapi: %v (install libkrb5-dev)", err)
	}
	libs, err := flags("--libs")
	if err != nil {
		return fmt.Sprintf("MIT comparison: krb5-config --libs gssapi: %v (install libkrb5-dev)", err)
	}
	args := append([]string{"-O2", "-Wall", "-o", out, filepath.Join("testdata", "mitbench", "mitbench.c")}, cflags...)
	if o, err := exec.Command("gcc", append(args, libs...)...).CombinedOutput(); err != nil {
		return fmt.Sprintf("MIT comparison: gcc mitbench.c: %v\n%s", err, o)
	}
	return ""
}

// run times b.N iterations of op in the C program and reports its time
// per operation in place of the framework's (which would count process
// start and the warm-up establishment), its CPU time per operation
// (cpu-ns/op, as the ours cases report theirs), and MB/s for messages.
func (m *mitBench) run(b *testing.B, op string, enctype int32, size int) {
	if m.missing != "" {
		peertest.Missing(b, m.missing)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, m.binary, op, fmt.Sprint(b.N), fmt.Sprint(size), fmt.Sprintf("bench%d@localhost", enctype))
	cmd.Env = append(os.Environ(), m.env[enctype]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("mitbench %s: %v\n%s", op, err, stderr.String())
	}
	var got, n int
	var ns, cpu float64
	var tok int
	if _, err := fmt.Sscanf(string(out), "enctype=%d n=%d ns_per_op=%g cpu_ns_per_op=%g token=%d", &got, &n, &ns, &cpu, &tok); err != nil {
		b.Fatalf("mitbench printed %q: %v", out, err)
	}
	if got != int(enctype) || n != b.N {
		b.Fatalf("mitbench ran %d iterations with enctype %d, want %d with %d", n, got, b.N, enctype)
	}
	b.ReportMetric(ns, "ns/op")
	b.ReportMetric(cpu, "cpu-ns/op")
	if size > 0 {
		b.ReportMetric(float64(size)*1e3/ns, "MB/s")
	}
	if os.Getenv("MITBENCH_VERBOSE") != "" {
		b.Logf("MIT %s %s: token %d bytes", op, enctypeName(enctype), tok)
	}
}
