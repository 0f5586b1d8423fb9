package schannel_test

import (
	"testing"

	"github.com/gosspi/schannel"
)

const benchRecordSize = 16 << 10

// BenchmarkEncryptMessage seals one 16 KiB record in place per operation.
func BenchmarkEncryptMessage(b *testing.B) {
	p := pki(b)
	client, _ := established(&testing.T{}, p.clientConfig(), p.serverConfig())
	sizes, _ := client.ctx.StreamSizes()
	buf := make([]byte, sizes.Header+benchRecordSize+sizes.Trailer)
	bufs := make([]schannel.SecBuffer, 4)
	b.SetBytes(benchRecordSize)
	b.ReportAllocs()
	for b.Loop() {
		bufs[0] = schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_HEADER, buf[:sizes.Header])
		bufs[1] = schannel.NewSecBuffer(schannel.SECBUFFER_DATA, buf[sizes.Header:sizes.Header+benchRecordSize])
		bufs[2] = schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_TRAILER, buf[sizes.Header+benchRecordSize:])
		bufs[3] = schannel.SecBuffer{}
		if _, err := client.ctx.EncryptMessage(0, bufs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecryptMessage opens one 16 KiB record in place per operation; the
// records were sealed beforehand so only decryption is measured.
func BenchmarkDecryptMessage(b *testing.B) {
	p := pki(b)
	client, server := established(&testing.T{}, p.clientConfig(), p.serverConfig())
	payload := make([]byte, benchRecordSize)
	const batch = 1024
	records := make([][]byte, batch)
	refill := func() {
		for i := range records {
			records[i] = encrypt(&testing.T{}, client.ctx, payload)
		}
	}
	bufs := make([]schannel.SecBuffer, 4)
	b.SetBytes(benchRecordSize)
	b.ReportAllocs()
	i := batch
	for b.Loop() {
		if i == batch {
			b.StopTimer()
			refill()
			i = 0
			b.StartTimer()
		}
		bufs[0] = schannel.NewSecBuffer(schannel.SECBUFFER_DATA, records[i])
		bufs[1], bufs[2], bufs[3] = schannel.SecBuffer{}, schannel.SecBuffer{}, schannel.SecBuffer{}
		if status, err := server.ctx.DecryptMessage(bufs); status != schannel.SEC_E_OK {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkHandshake is one full TLS 1.3 handshake (X25519MLKEM768, ECDSA
// P-256) through the SSPI calls, both sides in process.
func BenchmarkHandshake(b *testing.B) {
	p := pki(b)
	b.ReportAllocs()
	for b.Loop() {
		client, server := newPeers(b, p.clientConfig(), p.serverConfig())
		if err := handshakePair(b, client, server, allAtOnce); err != nil {
			b.Fatal(err)
		}
	}
}
