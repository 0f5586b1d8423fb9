package schannel_test

import (
	"crypto/sha256"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const keyUpdateTransfer = 64 << 20

// pattern is deterministic data, so both ends can hash what they expect.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>10)
	}
	return b
}

// TestKeyUpdateMidTransferWithCryptoTLS sends 64 MiB each way between our
// Conn and crypto/tls, with our KeyUpdate (asking the peer to update too) in
// the middle: the data must arrive intact, hashed on both ends.
func TestKeyUpdateMidTransferWithCryptoTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB transfer: not in -short runs")
	}
	p := pki(t)
	data := pattern(keyUpdateTransfer)
	want := sha256.Sum256(data)
	for _, ourRole := range []string{"client", "server"} {
		t.Run("our "+ourRole, func(t *testing.T) {
			c1, c2 := tcpPair(t)
			var ours *schannel.Conn
			var peer *tls.Conn
			if ourRole == "client" {
				ours = schannel.Client(c1, p.clientConfig())
				peer = tls.Server(c2, &tls.Config{Certificates: []tls.Certificate{p.server}})
			} else {
				ours = schannel.Server(c1, p.serverConfig())
				peer = tls.Client(c2, p.clientConfig())
			}
			defer ours.Close()
			defer peer.Close()
			deadline := time.Now().Add(2 * time.Minute)
			require.NoError(t, ours.SetDeadline(deadline))
			require.NoError(t, peer.SetDeadline(deadline))

			// The peer echoes everything back while hashing it.
			peerSum := make(chan [32]byte, 1)
			go func() {
				h := sha256.New()
				_, _ = io.Copy(io.MultiWriter(h, peer), io.LimitReader(peer, keyUpdateTransfer))
				var sum [32]byte
				copy(sum[:], h.Sum(nil))
				peerSum <- sum
			}()
			received := make(chan [32]byte, 1)
			go func() {
				h := sha256.New()
				_, _ = io.Copy(h, io.LimitReader(ours, keyUpdateTransfer))
				var sum [32]byte
				copy(sum[:], h.Sum(nil))
				received <- sum
			}()
			half := keyUpdateTransfer / 2
			_, err := ours.Write(data[:half])
			require.NoError(t, err)
			require.NoError(t, ours.KeyUpdate(true), "KeyUpdate in the middle of the transfer")
			_, err = ours.Write(data[half:])
			require.NoError(t, err)
			assert.Equal(t, want, <-peerSum, "crypto/tls received our 64 MiB intact")
			assert.Equal(t, want, <-received, "and sent it back intact under its updated keys")
		})
	}
}

var _ net.Conn = (*schannel.Conn)(nil)
