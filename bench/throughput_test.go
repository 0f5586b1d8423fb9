package bench_test

import (
	"crypto/tls"
	"io"
	"testing"

	"github.com/gosspi/schannel/internal/certgen"
)

// suiteCases are the record protections measured. crypto/tls does not let a
// TLS 1.3 suite be chosen (it picks by hardware), so its ChaCha20 cell is
// measured only for TLS 1.2.
var suiteCases = []struct {
	name    string
	version uint16
	suite   uint16
}{
	{"TLS13-AES128GCM", tls.VersionTLS13, tls.TLS_AES_128_GCM_SHA256},
	{"TLS13-CHACHA20", tls.VersionTLS13, tls.TLS_CHACHA20_POLY1305_SHA256},
	{"TLS12-AES128GCM", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
	{"TLS12-CHACHA20", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
}

const bulkWrite = 1 << 20

// BenchmarkThroughput moves 1 MiB per operation over loopback TCP with one
// Write on one side and reads into a 32 KiB buffer on the other.
func BenchmarkThroughput(b *testing.B) {
	for _, sc := range suiteCases {
		for _, st := range stacks {
			b.Run(sc.name+"/"+st.name, func(b *testing.B) {
				if st.name == "cryptotls" && sc.name == "TLS13-CHACHA20" {
					b.Skip("crypto/tls cannot be told to use a TLS 1.3 suite")
				}
				ccfg, scfg := pki(b).configs(certgen.ECDSAP256)
				ccfg.MaxVersion, ccfg.CipherSuites = sc.version, []uint16{sc.suite}
				client, server := connect(b, st, listen(b), ccfg, scfg)
				defer client.Close()
				defer server.Close()
				if got := client.(interface{ ConnectionState() tls.ConnectionState }).ConnectionState().CipherSuite; got != sc.suite {
					b.Fatalf("negotiated %s", tls.CipherSuiteName(got))
				}
				payload := make([]byte, bulkWrite)
				done := make(chan error, 1)
				go func() {
					buf := make([]byte, 32<<10)
					for range b.N {
						if _, err := io.CopyBuffer(io.Discard, io.LimitReader(server, bulkWrite), buf); err != nil {
							done <- err
							return
						}
					}
					done <- nil
				}()
				b.SetBytes(bulkWrite)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if _, err := client.Write(payload); err != nil {
						b.Fatal(err)
					}
				}
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// BenchmarkRoundTrip1K is a 1 KiB ping-pong: latency of small messages.
func BenchmarkRoundTrip1K(b *testing.B) {
	for _, st := range stacks {
		b.Run(st.name, func(b *testing.B) {
			ccfg, scfg := pki(b).configs(certgen.ECDSAP256)
			client, server := connect(b, st, listen(b), ccfg, scfg)
			defer client.Close()
			defer server.Close()
			go func() {
				buf := make([]byte, 1024)
				for {
					if _, err := io.ReadFull(server, buf); err != nil {
						return
					}
					if _, err := server.Write(buf); err != nil {
						return
					}
				}
			}()
			msg, reply := make([]byte, 1024), make([]byte, 1024)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := client.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(client, reply); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
