package main

import (
	"context"
	"net"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
)

// TestGSSServerRefusesDCEStyle: DCE style is not implemented; MIT's
// gss-client -dce sends a raw AP-REQ, which our acceptor refuses with
// SEC_E_INVALID_TOKEN at once rather than hang either side.
func TestGSSServerRefusesDCEStyle(t *testing.T) {
	r := krbRealm(t)
	gssClient := mitrealm.Require(t, "gss-client")
	r.Run(t, []byte("secret\n"), "kinit", "user")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, _, _ := testCLI("")
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- c.gssServer(ctx, []string{"-port", "0", "-once"}, func(a string) { ready <- a }) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("gss-server: %v", err)
	}
	_, port, _ := net.SplitHostPort(addr)
	_, err := exec.CommandContext(ctx, gssClient, "-dce", "-port", port, "127.0.0.1", "host@localhost", "x").CombinedOutput()
	assert.Error(t, err, "MIT's client sees the connection end")
	err = <-done
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SEC_E_INVALID_TOKEN")
}
