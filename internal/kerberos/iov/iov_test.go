package iov

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// split cuts b at the offsets cuts (ascending) into slices of b itself.
func split(b []byte, cuts ...int) [][]byte {
	var segs [][]byte
	prev := 0
	for _, c := range cuts {
		segs = append(segs, b[prev:c])
		prev = c
	}
	return append(segs, b[prev:])
}

// TestGatherScatter reads and writes every range of a string cut in
// three at every pair of points, empty slices included, against the
// contiguous string.
func TestGatherScatter(t *testing.T) {
	const n = 9
	for a := 0; a <= n; a++ {
		for b := a; b <= n; b++ {
			t.Run(fmt.Sprintf("cut-%d-%d", a, b), func(t *testing.T) {
				buf := make([]byte, n)
				for i := range buf {
					buf[i] = byte(i)
				}
				segs := split(buf, a, b)
				assert.Equal(t, n, Len(segs))
				for off := 0; off <= n; off++ {
					for size := 0; off+size <= n+2; size++ {
						got := make([]byte, size)
						Gather(got, segs, off)
						want := make([]byte, size)
						copy(want, buf[min(off, n):])
						assert.Equal(t, want, got, "Gather %d bytes from %d", size, off)
					}
				}
				src := []byte{0xa0, 0xa1, 0xa2, 0xa3}
				for off := 0; off <= n; off++ {
					for i := range buf {
						buf[i] = byte(i)
					}
					want := append([]byte(nil), buf...)
					copy(want[off:], src)
					Scatter(segs, off, src)
					assert.Equal(t, want, buf, "Scatter at %d", off)
				}
			})
		}
	}
}
