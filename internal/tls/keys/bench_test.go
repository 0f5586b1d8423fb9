package keys_test

import (
	"crypto"
	"crypto/rand"
	"testing"

	"github.com/gosspi/schannel/internal/tls/keys"
)

const benchRecordSize = 16 << 10

func benchSuite13(b *testing.B, id uint16) *keys.Suite {
	s := keys.Suite13(id)
	if s == nil {
		b.Fatalf("no TLS 1.3 suite %#04x", id)
	}
	return s
}

func benchSuite12(b *testing.B, id uint16) *keys.Suite {
	s := keys.Suite12(id)
	if s == nil {
		b.Fatalf("no TLS 1.2 suite %#04x", id)
	}
	return s
}

// benchmarkSeal seals full-size records over and over in one buffer; the
// plaintext becomes ciphertext after the first round, which costs the same.
func benchmarkSeal(b *testing.B, p *keys.RecordProtection) {
	header, trailer := p.Overhead()
	buf := make([]byte, header+benchRecordSize+trailer)
	b.SetBytes(benchRecordSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Seal(buf, 23, benchRecordSize); err != nil {
			b.Fatal(err)
		}
	}
}

// benchmarkOpen opens the same full-size record each round. Open decrypts in
// place, so each round first restores the record (a 16 KiB copy, small next
// to the AEAD) and rewinds the sequence number.
func benchmarkOpen(b *testing.B, sealer, opener *keys.RecordProtection) {
	header, trailer := sealer.Overhead()
	record := make([]byte, header+benchRecordSize+trailer)
	n, err := sealer.Seal(record, 23, benchRecordSize)
	if err != nil {
		b.Fatal(err)
	}
	record = record[:n]
	buf := make([]byte, n)
	b.SetBytes(benchRecordSize)
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, record)
		opener.SetSequenceForTest(0)
		if _, _, err := opener.Open(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeal13AESGCM16K(b *testing.B) {
	benchmarkSeal(b, fixedProtection13(b, benchSuite13(b, 0x1301)))
}

func BenchmarkOpen13AESGCM16K(b *testing.B) {
	s := benchSuite13(b, 0x1301)
	benchmarkOpen(b, fixedProtection13(b, s), fixedProtection13(b, s))
}

func BenchmarkSeal13AES256GCM16K(b *testing.B) {
	benchmarkSeal(b, fixedProtection13(b, benchSuite13(b, 0x1302)))
}

func BenchmarkOpen13AES256GCM16K(b *testing.B) {
	s := benchSuite13(b, 0x1302)
	benchmarkOpen(b, fixedProtection13(b, s), fixedProtection13(b, s))
}

func BenchmarkSeal13ChaCha20Poly130516K(b *testing.B) {
	benchmarkSeal(b, fixedProtection13(b, benchSuite13(b, 0x1303)))
}

func BenchmarkOpen13ChaCha20Poly130516K(b *testing.B) {
	s := benchSuite13(b, 0x1303)
	benchmarkOpen(b, fixedProtection13(b, s), fixedProtection13(b, s))
}

func BenchmarkSeal12AESGCM16K(b *testing.B) {
	benchmarkSeal(b, fixedProtection12(b, benchSuite12(b, 0xC02F)))
}

func BenchmarkOpen12AESGCM16K(b *testing.B) {
	s := benchSuite12(b, 0xC02F)
	benchmarkOpen(b, fixedProtection12(b, s), fixedProtection12(b, s))
}

func BenchmarkSeal12ChaCha20Poly130516K(b *testing.B) {
	benchmarkSeal(b, fixedProtection12(b, benchSuite12(b, 0xCCA8)))
}

func BenchmarkOpen12ChaCha20Poly130516K(b *testing.B) {
	s := benchSuite12(b, 0xCCA8)
	benchmarkOpen(b, fixedProtection12(b, s), fixedProtection12(b, s))
}

// BenchmarkSchedule13FullHandshake measures every derivation a full TLS 1.3
// handshake makes, from the shared secret to the resumption PSK.
func BenchmarkSchedule13FullHandshake(b *testing.B) {
	s := benchSuite13(b, 0x1301)
	shared := counting(1, 32)
	th := hashOf(crypto.SHA256, []byte("transcript"))
	b.ReportAllocs()
	for b.Loop() {
		schedule := keys.NewSchedule13(s.Hash, nil)
		schedule.SetSharedSecret(shared)
		chs := schedule.ClientHandshakeTrafficSecret(th)
		shs := schedule.ServerHandshakeTrafficSecret(th)
		keys.TrafficKeys(s, chs)
		keys.TrafficKeys(s, shs)
		keys.FinishedMAC(s.Hash, keys.FinishedKey(s.Hash, shs), th)
		keys.FinishedMAC(s.Hash, keys.FinishedKey(s.Hash, chs), th)
		schedule.SetMaster()
		keys.TrafficKeys(s, schedule.ClientApplicationTrafficSecret(th))
		keys.TrafficKeys(s, schedule.ServerApplicationTrafficSecret(th))
		schedule.ExporterMasterSecret(th)
		keys.ResumptionPSK(s.Hash, schedule.ResumptionMasterSecret(th), []byte{0, 0})
	}
}

func BenchmarkKeyExchange(b *testing.B) {
	for _, g := range groups {
		b.Run(g.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				client, err := keys.NewPrivateShare(g.id, rand.Reader)
				if err != nil {
					b.Fatal(err)
				}
				serverShare, _, err := keys.RespondToShare(g.id, client.Public(), rand.Reader)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := client.SharedSecret(serverShare); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
