package kerberos

import (
	"fmt"
	"testing"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/sspi"
)

var benchEnctypes = []int32{crypto.AES128CTSHMACSHA196, crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA256128, crypto.AES256CTSHMACSHA384192}

func enctypeName(id int32) string {
	e, _ := crypto.Lookup(id)
	return e.Name
}

// BenchmarkEstablish is a mutually authenticated context with a cached
// service ticket: ISC (AP-REQ), ASC (verify, AP-REP), ISC (verify). No KDC
// round trip is involved, as with a ticket in the cache. The acceptor has
// no replay cache (see pair).
func BenchmarkEstablish(b *testing.B) {
	for _, id := range benchEnctypes {
		b.Run(enctypeName(id), func(b *testing.B) {
			r := newOfflineRealm(b, id)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, _, err := r.pair(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWrapUnwrap is EncryptMessage then DecryptMessage of one
// message, confidential, per enctype and size.
func BenchmarkWrapUnwrap(b *testing.B) {
	for _, id := range benchEnctypes {
		for _, size := range []int{1024, 16384} {
			b.Run(fmt.Sprintf("%s/%d", enctypeName(id), size), func(b *testing.B) {
				r := newOfflineRealm(b, id)
				cctx, sctx, _, err := r.pair()
				if err != nil {
					b.Fatal(err)
				}
				msg := make([]byte, size)
				data := make([]byte, size)
				tok := make([]byte, 72)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					copy(data, msg)
					bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data)}
					if _, err := cctx.EncryptMessage(0, bufs); err != nil {
						b.Fatal(err)
					}
					if _, _, err := sctx.DecryptMessage(bufs); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
