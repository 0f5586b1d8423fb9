package bench_test

import (
	"crypto/tls"
	"net"
	"runtime"
	"sync"
	"testing"

	"github.com/gosspi/schannel/internal/certgen"
)

// BenchmarkHandshake is one full handshake per operation over loopback TCP,
// for each key exchange and server key type.
func BenchmarkHandshake(b *testing.B) {
	for _, kx := range []tls.CurveID{tls.X25519, tls.X25519MLKEM768} {
		for _, key := range []certgen.KeyType{certgen.ECDSAP256, certgen.RSA2048} {
			for _, st := range stacks {
				b.Run(kx.String()+"/"+key.String()+"/"+st.name, func(b *testing.B) {
					ccfg, scfg := pki(b).configs(key)
					ccfg.CurvePreferences = []tls.CurveID{kx}
					scfg.SessionTicketsDisabled = true
					ln := listen(b)
					b.ReportAllocs()
					for b.Loop() {
						client, server := connect(b, st, ln, ccfg, scfg)
						client.Close()
						server.Close()
					}
				})
			}
		}
	}
}

// BenchmarkResumedHandshake is one TLS 1.3 resumed handshake per operation.
func BenchmarkResumedHandshake(b *testing.B) {
	for _, st := range stacks {
		b.Run(st.name, func(b *testing.B) {
			ccfg, scfg := pki(b).configs(certgen.ECDSAP256)
			ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(16)
			ln := listen(b)
			prime := func() {
				client, server := connect(b, st, ln, ccfg, scfg)
				// The ticket arrives after the handshake: read until it is stored.
				go func() { _, _ = server.Write([]byte{1}) }()
				one := make([]byte, 1)
				if _, err := client.Read(one); err != nil {
					b.Fatal(err)
				}
				client.Close()
				server.Close()
			}
			prime()
			b.ReportAllocs()
			for b.Loop() {
				prime()
			}
			client, server := connect(b, st, ln, ccfg, scfg)
			resumed := client.(interface{ ConnectionState() tls.ConnectionState }).ConnectionState().DidResume
			client.Close()
			server.Close()
			if !resumed {
				b.Fatal("the session was not resumed")
			}
		})
	}
}

// BenchmarkIdleConnectionMemory establishes 1,000 client/server pairs in
// memory per operation and reports the live heap per pair once the
// handshakes are done: what an idle connection costs.
func BenchmarkIdleConnectionMemory(b *testing.B) {
	const pairs = 1000
	for _, st := range stacks {
		b.Run(st.name, func(b *testing.B) {
			ccfg, scfg := pki(b).configs(certgen.ECDSAP256)
			scfg.SessionTicketsDisabled = true
			var perPair float64
			for b.Loop() {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				// The TLS conns stay referenced (that is what is measured); the
				// pipes under them are closed directly at the end, since a
				// close_notify over an unbuffered pipe nobody reads would block.
				conns := make([]net.Conn, 0, 2*pairs)
				pipes := make([]net.Conn, 0, 2*pairs)
				var wg sync.WaitGroup
				for range pairs {
					c1, c2 := net.Pipe()
					pipes = append(pipes, c1, c2)
					client, server := st.client(c1, ccfg), st.server(c2, scfg)
					wg.Add(1)
					go func() {
						defer wg.Done()
						_ = server.(handshaker).Handshake()
					}()
					if err := client.(handshaker).Handshake(); err != nil {
						b.Fatal(err)
					}
					conns = append(conns, client, server)
				}
				wg.Wait()
				runtime.GC()
				runtime.ReadMemStats(&after)
				perPair = float64(after.HeapAlloc-before.HeapAlloc) / pairs
				runtime.KeepAlive(conns)
				for _, c := range pipes {
					c.Close()
				}
			}
			b.ReportMetric(perPair, "B/pair")
		})
	}
}
