package engine

import (
	"testing"

	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/sspi"
)

// BenchmarkServerVerify measures one later request verified by the
// server: parse, nonce check, H(A1) from the password, response, replay
// table, Authentication-Info.
func BenchmarkServerVerify(b *testing.B) {
	for _, alg := range []*crypto.Algorithm{crypto.MD5, crypto.SHA256} {
		b.Run(alg.Name(), func(b *testing.B) {
			clk := newClock()
			srv := newTestServer(b, clk, func(cfg *ServerConfig) { cfg.Algorithms = []*crypto.Algorithm{alg} })
			c := newTestClient(b, nil)
			ch, _, _ := srv.NewContext().Step(get(nil))
			if _, _, err := c.Step(get(ch)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				auth, err := c.NextRequest(get(nil))
				if err != nil {
					b.Fatal(err)
				}
				if _, st, err := srv.NewContext().Step(get(auth)); st != sspi.SEC_E_OK {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSeal measures the SASL confidentiality layer on 1 KiB messages.
func BenchmarkSeal(b *testing.B) {
	for _, ci := range crypto.Ciphers() {
		b.Run(ci.Name(), func(b *testing.B) {
			var ha1 [16]byte
			client, _ := crypto.NewLayer(ha1, true, ci)
			server, _ := crypto.NewLayer(ha1, false, ci)
			msg := make([]byte, 1024)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				tok, err := client.Seal(msg)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := server.Unseal(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
