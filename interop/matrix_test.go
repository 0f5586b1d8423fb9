//go:build linux

package interop_test

import "testing"

// TestInteropMatrix runs every cell of the interop matrix: our client
// against openssl s_server and gnutls-serv, our server against openssl
// s_client, gnutls-cli and curl. Each peer is a subtest whose cells run in
// parallel; a cell fails the test when it does not behave as expected, and a
// cell the peer cannot do (X25519MLKEM768 before OpenSSL 3.5) is recorded as
// not supported instead of run.
func TestInteropMatrix(t *testing.T) {
	for _, peer := range []struct {
		name  string
		cells func(t *testing.T)
	}{
		{"client/openssl-s_server", opensslServerCells},
		{"client/gnutls-serv", gnutlsServerCells},
		{"server/openssl-s_client", opensslClientCells},
		{"server/gnutls-cli", gnutlsClientCells},
		{"server/curl", curlCells},
	} {
		t.Run(peer.name, peer.cells)
	}
}
