package peertest

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The Cyrus SASL sample programs (sasl-sample-server, sasl-sample-client
// of sasl2-bin) and the test helpers written after them speak one line
// protocol on stdin and stdout: "S: " or "C: " and the base64 of a token,
// from the server or the client; every other line is their log, which
// the tests read too ("Negotiation complete", "SSF: 1"). Cyrus runs one
// such program; the Digest and Negotiate tests share it so that the
// protocol, and how a dead peer is reported, live in one place.

// Tags of the Cyrus sample line protocol.
const (
	CyrusServerTag = "S: " // a token from the SASL server
	CyrusClientTag = "C: " // a token from the SASL client
)

// CyrusOptions says how StartCyrus runs a program.
type CyrusOptions struct {
	// Timeout bounds the program's run; it is killed then.
	Timeout time.Duration
	// Env is added to the test's environment (SASL_CONF_PATH).
	Env []string
	// SysProcAttr, when set, is the program's (Setsid for
	// sasl-sample-client, whose getpass then reads stdin).
	SysProcAttr *syscall.SysProcAttr
	// SeparateStderr keeps stderr out of the transcript, in Stderr:
	// a plugin's messages on stderr may fall between two stdout lines a
	// test expects together. Otherwise stderr joins the transcript.
	SeparateStderr bool
}

// Cyrus is a running program speaking the Cyrus sample line protocol.
type Cyrus struct {
	t      testing.TB
	name   string
	in     io.WriteCloser
	out    *bufio.Reader
	log    strings.Builder
	stderr Buffer
}

// StartCyrus starts program with args as opts says and returns it, its
// stdin and stdout piped to the test. The program is killed, and waited
// for, when the test ends.
func StartCyrus(t testing.TB, opts CyrusOptions, program string, args ...string) *Cyrus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	cmd := exec.CommandContext(ctx, program, args...)
	if opts.Env != nil {
		cmd.Env = append(os.Environ(), opts.Env...)
	}
	cmd.SysProcAttr = opts.SysProcAttr
	c := &Cyrus{t: t, name: filepath.Base(program)}
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	if opts.SeparateStderr {
		cmd.Stderr = &c.stderr
	} else {
		cmd.Stderr = cmd.Stdout
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("%s: %v", program, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		cancel()
	})
	c.in, c.out = stdin, bufio.NewReader(stdout)
	return c
}

// line reads the next line into the transcript, without its line end;
// false at the end of the output.
func (c *Cyrus) line() (string, bool) {
	l, err := c.out.ReadString('\n')
	if l == "" && err != nil {
		return "", false
	}
	l = strings.TrimRight(l, "\r\n")
	c.log.WriteString(l + "\n")
	return l, true
}

// TryRecv returns the token of the next line tagged tag, logging the
// lines before it; false when the program's output ends first.
func (c *Cyrus) TryRecv(tag string) ([]byte, bool) {
	c.t.Helper()
	for {
		l, ok := c.line()
		if !ok {
			return nil, false
		}
		if b64, ok := strings.CutPrefix(l, tag); ok {
			b, err := base64.StdEncoding.DecodeString(b64)
			require.NoError(c.t, err, "%q", l)
			return b, true
		}
	}
}

// Recv is TryRecv that fails the test, with the transcript, when the
// program's output ends.
func (c *Cyrus) Recv(tag string) []byte {
	c.t.Helper()
	b, ok := c.TryRecv(tag)
	if !ok {
		c.t.Fatalf("%s ended: %s%s", c.name, c.log.String(), c.stderr.String())
	}
	return b
}

// Send writes tok as one line tagged tag.
func (c *Cyrus) Send(tag string, tok []byte) {
	c.t.Helper()
	_, err := fmt.Fprintf(c.in, "%s%s\n", tag, base64.StdEncoding.EncodeToString(tok))
	require.NoError(c.t, err)
}

// Input writes s as it is: what the program reads outside the protocol,
// such as the password sasl-sample-client asks for.
func (c *Cyrus) Input(s string) {
	c.t.Helper()
	_, err := io.WriteString(c.in, s)
	require.NoError(c.t, err)
}

// Close closes the program's stdin, reads the rest of its output and
// returns the whole transcript.
func (c *Cyrus) Close() string {
	_ = c.in.Close()
	for {
		if _, ok := c.line(); !ok {
			return c.log.String()
		}
	}
}

// Log returns the transcript so far: every line read from stdout (with
// stderr, unless CyrusOptions.SeparateStderr).
func (c *Cyrus) Log() string { return c.log.String() }

// Stderr returns what the program wrote on stderr, with
// CyrusOptions.SeparateStderr.
func (c *Cyrus) Stderr() string { return c.stderr.String() }

// CyrusConf writes the Cyrus configuration of application "sample" (the
// sample programs' name) with a sasldb holding chris@test.realm, password
// "secret", and DIGEST-MD5 as the only mechanism, and returns the
// directory for SASL_CONF_PATH.
func CyrusConf(t testing.TB) string {
	t.Helper()
	passwd := Program(t, "saslpasswd2", "sasl2-bin")
	dir := t.TempDir()
	db := filepath.Join(dir, "sasldb")
	conf := fmt.Sprintf("pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: %s\nmech_list: DIGEST-MD5\n", db)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sample.conf"), []byte(conf), 0o644))
	cmd := exec.Command(passwd, "-f", db, "-c", "-p", "-a", "sample", "-u", "test.realm", "chris")
	cmd.Stdin = strings.NewReader("secret")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return dir
}
