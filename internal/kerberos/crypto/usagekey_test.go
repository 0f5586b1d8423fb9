package crypto

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// aesEnctypes are the rows that have UsageKeys.
func aesEnctypes() []*Enctype {
	var out []*Enctype
	for i := range enctypes {
		if enctypes[i].derive != nil {
			out = append(out, &enctypes[i])
		}
	}
	return out
}

// split cuts b at the given offsets into segments sharing b's storage.
func split(b []byte, at ...int) [][]byte {
	var segs [][]byte
	prev := 0
	for _, a := range at {
		segs = append(segs, b[prev:a])
		prev = a
	}
	return append(segs, b[prev:])
}

// NewUsageKey takes the checksum size from TrailerSize because the
// checksum table cannot be read there; the two must agree.
func TestUsageKeyChecksumSize(t *testing.T) {
	for _, e := range aesEnctypes() {
		c, ok := LookupChecksum(e.ChecksumType)
		require.True(t, ok, e.Name)
		assert.Equal(t, c.Size, e.TrailerSize, e.Name)
	}
	rc4, _ := Lookup(RC4HMAC)
	_, err := rc4.NewUsageKey(make([]byte, 16), UsageInitiatorSeal)
	assert.Error(t, err, "RC4-HMAC keys depend on each message")
}

// TestUsageKeyMatchesFreshDerivation uses one UsageKey for many messages
// and checks each against the keys derived afresh: what a context's cache
// makes must be what a fresh derivation makes, message after message.
func TestUsageKeyMatchesFreshDerivation(t *testing.T) {
	for _, e := range aesEnctypes() {
		t.Run(e.Name, func(t *testing.T) {
			key, err := e.RandomKey()
			require.NoError(t, err)
			const usage = UsageAcceptorSeal
			k, err := e.NewUsageKey(key, usage)
			require.NoError(t, err)
			confounder := bytes.Repeat([]byte{0xc0}, e.ConfounderSize)
			for n := 0; n <= 70; n++ {
				plain := make([]byte, n)
				for i := range plain {
					plain[i] = byte(n + i)
				}
				want, err := e.EncryptWithConfounder(key, usage, confounder, plain)
				require.NoError(t, err)

				buf := append(append([]byte{}, confounder...), plain...)
				mac := make([]byte, e.TrailerSize)
				require.NoError(t, k.Seal([][]byte{buf}, mac))
				assert.Equal(t, want, append(buf, mac...), "%d bytes", n)
				require.NoError(t, k.Open([][]byte{buf}, mac))
				assert.Equal(t, plain, buf[e.ConfounderSize:])

				wantSum, err := e.Checksum(key, usage, plain)
				require.NoError(t, err)
				sum, err := k.Checksum(nil, plain[:n/2], plain[n/2:])
				require.NoError(t, err)
				assert.Equal(t, wantSum, sum, "checksum of %d bytes", n)
				assert.NoError(t, k.VerifyChecksum(sum, plain))
			}
		})
	}
}

// TestUsageKeySegments encrypts and decrypts one string cut into two and
// three segments at every offset: the result must be the contiguous one,
// blocks straddling segments included.
func TestUsageKeySegments(t *testing.T) {
	for _, e := range aesEnctypes() {
		k := newTestUsageKey(t, e)
		for _, n := range []int{16, 17, 31, 32, 33, 48, 61, 80} {
			plain := make([]byte, n)
			for i := range plain {
				plain[i] = byte(i * 7)
			}
			want := append([]byte{}, plain...)
			wantMAC := make([]byte, e.TrailerSize)
			require.NoError(t, k.Seal([][]byte{want}, wantMAC))
			for a := 0; a <= n; a++ {
				for _, b := range []int{a, (a + n) / 2, n} {
					t.Run(fmt.Sprintf("%s/%d/%d-%d", e.Name, n, a, b), func(t *testing.T) {
						buf := append([]byte{}, plain...)
						mac := make([]byte, e.TrailerSize)
						require.NoError(t, k.Seal(split(buf, a, b), mac))
						assert.Equal(t, want, buf)
						assert.Equal(t, wantMAC, mac)
						require.NoError(t, k.Open(split(buf, a, b), mac))
						assert.Equal(t, plain, buf)
					})
				}
			}
		}
	}
}

// TestUsageKeyOpenForged checks that a tag that does not verify leaves
// the ciphertext as it was, so that the engine may try the other rotation
// of a Wrap token (RFC 4121 section 4.2.5, MS-KILE section 3.4.5.4.1).
func TestUsageKeyOpenForged(t *testing.T) {
	for _, e := range aesEnctypes() {
		k := newTestUsageKey(t, e)
		buf := make([]byte, 16+45)
		mac := make([]byte, e.TrailerSize)
		require.NoError(t, k.Seal(split(buf, 20), mac))
		sealed := append([]byte{}, buf...)
		mac[0] ^= 1
		assert.ErrorIs(t, k.Open(split(buf, 20), mac), ErrIntegrity, e.Name)
		assert.Equal(t, sealed, buf, "%s: the ciphertext must be left as given", e.Name)
		mac[0] ^= 1
		require.NoError(t, k.Open(split(buf, 40), mac), e.Name)
		assert.Equal(t, make([]byte, len(buf)), buf)
	}
}

func BenchmarkUsageKey(b *testing.B) {
	for _, e := range aesEnctypes() {
		key, _ := e.RandomKey()
		k, _ := e.NewUsageKey(key, UsageInitiatorSeal)
		msg := make([]byte, 16+1024)
		mac := make([]byte, e.TrailerSize)
		b.Run(e.Name+"/seal-open", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if err := k.Seal([][]byte{msg}, mac); err != nil {
					b.Fatal(err)
				}
				if err := k.Open([][]byte{msg}, mac); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(e.Name+"/checksum", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := k.Checksum(mac[:0], msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// newTestUsageKey is a UsageKey of a random key of e, for the initiator's
// seal usage.
func newTestUsageKey(t *testing.T, e *Enctype) *UsageKey {
	t.Helper()
	key, err := e.RandomKey()
	require.NoError(t, err)
	k, err := e.NewUsageKey(key, UsageInitiatorSeal)
	require.NoError(t, err)
	return k
}
