package mitrealm

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/peertest"
)

// MIT's GSS-API sample programs (krb5-gss-samples) as peers: the tests
// of the Kerberos engine, the kerberos and negotiate packages and the CLI
// all run gss-server for one connection or gss-client against a listener
// of their own, and speak to them with package gsssample.

// GSSServer is MIT's gss-server serving one connection (-once) on a
// loopback port.
type GSSServer struct {
	// Port is where it listens, on all addresses.
	Port int
	// LogPath is its -logfile, where it writes what it received.
	LogPath string
	cmd     *exec.Cmd
	out     peertest.Buffer
	waited  bool
}

// StartGSSServer runs gss-server -once for service (MIT's form,
// host@localhost) with its log file in dir, killed after timeout and at
// the end of the test. It does not wait until the server listens: Dial
// does, or the client under test retries.
func StartGSSServer(t testing.TB, dir string, timeout time.Duration, service string) *GSSServer {
	t.Helper()
	program := Require(t, "gss-server")
	s := &GSSServer{Port: freePort(t)}
	s.LogPath = filepath.Join(dir, fmt.Sprintf("gss-server-%d.log", s.Port))
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	s.cmd = exec.CommandContext(ctx, program, "-port", fmt.Sprint(s.Port), "-once", "-logfile", s.LogPath, service)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("gss-server: %v", err)
	}
	t.Cleanup(func() {
		if !s.waited {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}
		cancel()
	})
	return s
}

// Dial connects to the server, retrying for up to 15 seconds while it
// starts, and gives the connection a one-minute deadline.
func (s *GSSServer) Dial(t testing.TB) net.Conn {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), time.Second)
		if err == nil {
			if err := c.SetDeadline(time.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("gss-server did not listen on %d: %v\n%s", s.Port, err, s.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Output returns what gss-server printed so far, for failure messages.
func (s *GSSServer) Output() string { return s.out.String() }

// Wait waits for gss-server to exit, after its one connection, and
// returns its error.
func (s *GSSServer) Wait() error {
	s.waited = true
	return s.cmd.Wait()
}

// Log returns what the server logged about its connection: its log file
// and its output, where the message received appears.
func (s *GSSServer) Log() string {
	log, _ := os.ReadFile(s.LogPath)
	return string(log) + s.Output()
}

// GSSClient is MIT's gss-client run against a listener of the test's.
type GSSClient struct {
	cmd  *exec.Cmd
	out  peertest.Buffer
	done chan error
}

// StartGSSClient listens on a loopback port, runs gss-client with -port
// set to it followed by args (options, then host, service and message),
// killed after timeout and at the end of the test, and returns the
// client and the connection it made, with a one-minute deadline. The
// test fails with gss-client's output when it exits without connecting.
func StartGSSClient(t testing.TB, timeout time.Duration, args ...string) (*GSSClient, net.Conn) {
	t.Helper()
	program := Require(t, "gss-client")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	c := &GSSClient{done: make(chan error, 1)}
	c.cmd = exec.CommandContext(ctx, program, append([]string{"-port", fmt.Sprint(l.Addr().(*net.TCPAddr).Port)}, args...)...)
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	if err := c.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("gss-client: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		c.done <- c.cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-exited
		cancel()
	})
	// A client that dies before it connects would leave Accept waiting
	// for ever: closing the listener then ends it.
	go func() {
		select {
		case <-exited:
			l.Close()
		case <-ctx.Done():
		}
	}()
	conn, err := l.Accept()
	if err != nil {
		t.Fatalf("gss-client did not connect: %v\n%s", err, c.out.String())
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	return c, conn
}

// Output returns what gss-client printed so far, for failure messages.
func (c *GSSClient) Output() string { return c.out.String() }

// Wait waits for gss-client to exit and returns all it printed and its
// error.
func (c *GSSClient) Wait() (string, error) {
	err := <-c.done
	c.done <- err
	return c.out.String(), err
}
