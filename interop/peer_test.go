//go:build linux

package interop_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/peertest"
)

// cellTimeout bounds one cell: its peer process and every connection.
const cellTimeout = 30 * time.Second

// requirePeer skips the test when the program is not installed, or fails it
// when SCHANNEL_INTEROP=require (CI installs every peer, so a missing one is
// a broken setup there, not a reason to pass).
func requirePeer(t testing.TB, program string) string {
	t.Helper()
	return peertest.Program(t, program, "of .ci/interop-deps")
}

// peerPath finds a program, daemons in sbin included.
func peerPath(program string) (string, error) { return peertest.Path(program) }

// peerCommand is exec.CommandContext with the program found by peerPath.
func peerCommand(ctx context.Context, program string, args ...string) *exec.Cmd {
	if path, err := peerPath(program); err == nil {
		program = path
	}
	return exec.CommandContext(ctx, program, args...)
}

// requirePeers is requirePeer for each program.
func requirePeers(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		requirePeer(t, p)
	}
}

// cellContext is the deadline of one cell.
func cellContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), cellTimeout)
	t.Cleanup(cancel)
	return ctx
}

// proc is a peer process. It runs in its own process group, is killed with
// that group when the context ends or the test is cleaned up, and its
// output is logged when the test fails.
type proc struct {
	t     testing.TB
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   peertest.Buffer // stdout and stderr together
	done  chan struct{}
	err   error // the Wait result, valid once done is closed
}

// startProc starts program with args. The process gets a pipe for standard
// input that stays open until closeStdin.
func startProc(t testing.TB, ctx context.Context, program string, args ...string) *proc {
	t.Helper()
	return startProcEnv(t, ctx, nil, "", program, args...)
}

// startProcEnv is startProc with extra environment variables and a working
// directory ("" for the current one).
func startProcEnv(t testing.TB, ctx context.Context, env []string, dir string, program string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: program, done: make(chan struct{})}
	p.cmd = peerCommand(ctx, program, args...)
	p.cmd.Dir = dir
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = &p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.Cancel = p.killGroup
	p.cmd.WaitDelay = 3 * time.Second
	var err error
	p.stdin, err = p.cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start(), "starting %s", program)
	t.Logf("started %s (pid %d): %s", program, p.cmd.Process.Pid, shellQuote(p.cmd.Args))
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.killGroup()
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			t.Errorf("%s (pid %d) did not exit after SIGKILL", program, p.cmd.Process.Pid)
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", shellQuote(p.cmd.Args), tail(p.out.String(), 8000))
		}
	})
	return p
}

// killGroup kills the process and everything it started.
func (p *proc) killGroup() error {
	if p.cmd.Process == nil {
		return nil
	}
	err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// kill kills the process and waits until it is gone, so that the kernel has
// closed its sockets.
func (p *proc) kill() {
	p.t.Helper()
	_ = p.killGroup()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.t.Fatalf("%s did not exit after SIGKILL", p.name)
	}
}

// send writes s to the process's standard input.
func (p *proc) send(s string) {
	p.t.Helper()
	_, err := io.WriteString(p.stdin, s)
	require.NoError(p.t, err, "writing to the stdin of %s", p.name)
}

func (p *proc) closeStdin() { _ = p.stdin.Close() }

// output is everything the process printed so far.
func (p *proc) output() string { return p.out.String() }

// outputSettleTime bounds how long a check waits for a peer to print what
// it is expected to: its output is not synchronised with the connection.
const outputSettleTime = 5 * time.Second

// outputWith returns the output once it contains s, or, after
// outputSettleTime, whatever there is, for the assertion to report.
func (p *proc) outputWith(s string) string {
	return p.settledOutput(func(out string) bool { return strings.Contains(out, s) })
}

// outputMatching is outputWith for a regular expression.
func (p *proc) outputMatching(expr string) string {
	re := regexp.MustCompile(expr)
	return p.settledOutput(re.MatchString)
}

func (p *proc) settledOutput(done func(string) bool) string {
	deadline := time.Now().Add(outputSettleTime)
	for {
		out := p.output()
		if done(out) || time.Now().After(deadline) {
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFor waits until the output matches re, and returns the first match's
// submatches. It fails the test on timeout or when the process exits first.
func (p *proc) waitFor(re *regexp.Regexp, timeout time.Duration) []string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := re.FindStringSubmatch(p.output()); m != nil {
			return m
		}
		select {
		case <-p.done:
			if m := re.FindStringSubmatch(p.output()); m != nil {
				return m
			}
			p.t.Fatalf("%s exited (%v) before printing %q; output:\n%s", p.name, p.err, re, tail(p.output(), 4000))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s did not print %q within %v; output:\n%s", p.name, re, timeout, tail(p.output(), 4000))
		}
	}
}

// waitText is waitFor with a literal string.
func (p *proc) waitText(s string, timeout time.Duration) {
	p.t.Helper()
	p.waitFor(regexp.MustCompile(regexp.QuoteMeta(s)), timeout)
}

// wait waits for the process to exit and returns its Wait error.
func (p *proc) wait(timeout time.Duration) error {
	p.t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		p.t.Fatalf("%s did not exit within %v; output:\n%s", p.name, timeout, tail(p.output(), 4000))
		return nil
	}
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitListening polls until addr accepts TCP connections.
func waitListening(t testing.TB, p *proc, addr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return
		}
		if p != nil && p.exited() {
			t.Fatalf("%s exited (%v) before listening on %s; output:\n%s", p.name, p.err, addr, tail(p.output(), 4000))
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s after %v: %v", addr, timeout, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "[...]\n" + s[len(s)-n:]
}

func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"$&;|<>*?()[]{}\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// peerVersion runs program with args and returns the first line of its
// output (its version), or "" when it cannot run.
func peerVersion(program string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := peerCommand(ctx, program, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line)
}
