package keys_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// protectionCase is one version/suite combination with a fresh sealer and
// opener keyed alike.
type protectionCase struct {
	name  string
	suite *keys.Suite
	tls13 bool
	new   func(testing.TB) *keys.RecordProtection
}

func allProtections() []protectionCase {
	var cases []protectionCase
	for _, s := range keys.Suites13 {
		cases = append(cases, protectionCase{"TLS13/" + s.Name, s, true,
			func(tb testing.TB) *keys.RecordProtection { return fixedProtection13(tb, s) }})
	}
	for _, s := range keys.Suites12 {
		cases = append(cases, protectionCase{"TLS12/" + s.Name, s, false,
			func(tb testing.TB) *keys.RecordProtection { return fixedProtection12(tb, s) }})
	}
	return cases
}

func TestRecordRoundTrip(t *testing.T) {
	for _, pc := range allProtections() {
		t.Run(pc.name, func(t *testing.T) {
			sealer, opener := pc.new(t), pc.new(t)
			for i, n := range []int{0, 1, 100, 1 << 14} {
				for _, contentType := range []uint8{21, 22, 23} {
					plaintext := counting(byte(n), n)
					record := seal(t, sealer, contentType, plaintext)

					gotType, got, err := opener.Open(record)
					require.NoError(t, err, "n=%d type=%d", n, contentType)
					assert.Equal(t, contentType, gotType)
					assert.Equal(t, plaintext, got)
					if n > 0 {
						assert.GreaterOrEqual(t, indexOf(record, got), 0, "the plaintext must be decrypted in place")
					}
				}
				assert.Equal(t, uint64(3*(i+1)), sealer.Sequence())
				assert.Equal(t, uint64(3*(i+1)), opener.Sequence())
			}
		})
	}
}

// indexOf returns where sub starts inside buf's backing array.
func indexOf(buf, sub []byte) int {
	for i := range buf {
		if &buf[i] == &sub[0] {
			return i
		}
	}
	return -1
}

func TestRecordLayout(t *testing.T) {
	for _, pc := range allProtections() {
		t.Run(pc.name, func(t *testing.T) {
			p := pc.new(t)
			header, trailer := p.Overhead()
			switch {
			case pc.tls13:
				assert.Equal(t, 5, header)
				assert.Equal(t, 17, trailer)
			case pc.suite.ExplicitNonce:
				assert.Equal(t, 13, header)
				assert.Equal(t, 16, trailer)
			default:
				assert.Equal(t, 5, header)
				assert.Equal(t, 16, trailer)
			}

			p.SetSequenceForTest(0x0102030405060708)
			record := seal(t, p, 22, []byte("hello"))
			assert.Len(t, record, header+5+trailer)
			assert.Equal(t, []byte{3, 3}, record[1:3], "record version")
			assert.Equal(t, len(record)-5, int(record[3])<<8|int(record[4]), "length field")
			if pc.tls13 {
				assert.Equal(t, uint8(23), record[0], "TLS 1.3 hides the type behind application_data")
			} else {
				assert.Equal(t, uint8(22), record[0])
			}
			if pc.suite.ExplicitNonce {
				assert.Equal(t, []byte{1, 2, 3, 4, 5, 6, 7, 8}, record[5:13], "explicit nonce is the sequence number")
			}
		})
	}
}

func TestRecordLimit(t *testing.T) {
	for _, pc := range allProtections() {
		want := uint64(1 << 24)
		if strings.Contains(pc.suite.Name, "CHACHA20") {
			want = 1 << 62
		}
		assert.Equal(t, want, pc.new(t).Limit(), pc.name)
	}
}

// TestRecordTampering flips a bit in each byte of a sealed record in turn. Header bytes that Open checks before decrypting produce their own
// alerts; every other change must fail authentication.
func TestRecordTampering(t *testing.T) {
	for _, pc := range allProtections() {
		t.Run(pc.name, func(t *testing.T) {
			record := seal(t, pc.new(t), 23, []byte("attack at dawn"))
			for i := range record {
				tampered := bytes.Clone(record)
				tampered[i] ^= 0x01
				_, _, err := pc.new(t).Open(tampered)
				want := keys.AlertBadRecordMAC
				switch {
				case i == 3 || i == 4:
					want = keys.AlertDecodeError
				case i == 0 && pc.tls13:
					want = keys.AlertUnexpectedMessage
				}
				assert.Equal(t, want, alertOf(t, err), "byte %d", i)
			}
		})
	}
}

func TestRecordReplayAndReorder(t *testing.T) {
	for _, pc := range allProtections() {
		t.Run(pc.name, func(t *testing.T) {
			sealer, opener := pc.new(t), pc.new(t)
			first := seal(t, sealer, 23, []byte("first"))
			second := seal(t, sealer, 23, []byte("second"))

			_, _, err := opener.Open(bytes.Clone(second))
			assert.Equal(t, keys.AlertBadRecordMAC, alertOf(t, err), "out of order")
			assert.Equal(t, uint64(0), opener.Sequence(), "a rejected record consumes no sequence number")

			_, _, err = opener.Open(bytes.Clone(first))
			require.NoError(t, err)
			_, _, err = opener.Open(bytes.Clone(first))
			assert.Equal(t, keys.AlertBadRecordMAC, alertOf(t, err), "replayed")
		})
	}
}

func TestRecordSequenceExhaustion(t *testing.T) {
	for _, pc := range allProtections() {
		t.Run(pc.name, func(t *testing.T) {
			sealer, opener := pc.new(t), pc.new(t)
			sealer.SetSequenceForTest(math.MaxUint64 - 1)
			opener.SetSequenceForTest(math.MaxUint64 - 1)

			last := seal(t, sealer, 23, []byte("last"))
			_, _, err := opener.Open(last)
			require.NoError(t, err)

			buf := make([]byte, 64)
			_, err = sealer.Seal(buf, 23, 4)
			assert.Equal(t, keys.AlertInternalError, alertOf(t, err))
			_, _, err = opener.Open(bytes.Clone(last))
			assert.Equal(t, keys.AlertInternalError, alertOf(t, err))
			assert.Equal(t, uint64(math.MaxUint64), sealer.Sequence(), "the sequence number must not wrap")
		})
	}
}

func TestSealRejectsMisuse(t *testing.T) {
	for _, pc := range allProtections() {
		t.Run(pc.name, func(t *testing.T) {
			p := pc.new(t)
			header, trailer := p.Overhead()

			_, err := p.Seal(make([]byte, header+(1<<14)+1+trailer), 23, 1<<14+1)
			assert.Equal(t, keys.AlertInternalError, alertOf(t, err), "plaintext over 2^14")

			_, err = p.Seal(make([]byte, header+10+trailer-1), 23, 10)
			assert.Equal(t, keys.AlertInternalError, alertOf(t, err), "buffer without room for the trailer")

			_, err = p.Seal(make([]byte, 64), 23, -1)
			assert.Equal(t, keys.AlertInternalError, alertOf(t, err), "negative length")

			if pc.tls13 {
				_, err = p.Seal(make([]byte, 64), 0, 1)
				assert.Equal(t, keys.AlertInternalError, alertOf(t, err), "type 0 would read as padding")
			}
			assert.Equal(t, uint64(0), p.Sequence(), "refused records consume no sequence number")
		})
	}
}

func TestOpenRejectsMalformedFraming(t *testing.T) {
	for _, pc := range allProtections() {
		t.Run(pc.name, func(t *testing.T) {
			tests := []struct {
				name   string
				record []byte
				want   uint8
			}{
				{"empty", nil, keys.AlertDecodeError},
				{"partial header", []byte{23, 3, 3, 0}, keys.AlertDecodeError},
				{"length field too long", []byte{23, 3, 3, 0, 20, 1, 2, 3}, keys.AlertDecodeError},
				{"length field too short", append([]byte{23, 3, 3, 0, 1}, make([]byte, 30)...), keys.AlertDecodeError},
				{"header only", []byte{23, 3, 3, 0, 0}, keys.AlertBadRecordMAC},
				{"shorter than a tag", append([]byte{23, 3, 3, 0, 15}, make([]byte, 15)...), keys.AlertBadRecordMAC},
			}
			if !pc.tls13 && pc.suite.ExplicitNonce {
				tests = append(tests, struct {
					name   string
					record []byte
					want   uint8
				}{"nonce but tag cut short", append([]byte{23, 3, 3, 0, 23}, make([]byte, 23)...), keys.AlertBadRecordMAC})
			}
			for _, tt := range tests {
				_, _, err := pc.new(t).Open(tt.record)
				assert.Equal(t, tt.want, alertOf(t, err), tt.name)
			}
		})
	}
}

func TestOpenRecordOverflow(t *testing.T) {
	t.Run("TLS13", func(t *testing.T) {
		for _, s := range keys.Suites13 {
			secret := fixedSecret13[:s.Hash.Size()]
			tests := []struct {
				name  string
				inner []byte
				want  uint8 // 0: accepted
			}{
				// RFC 8446 section 5.4: 2^14 of content and the type is the
				// most a TLSInnerPlaintext may hold, padding included.
				{"largest legal", append(counting(1, 1<<14), 23), 0},
				{"largest legal, padded", append(append(counting(1, 1<<14-200), 23), make([]byte, 200)...), 0},
				{"padded over 2^14+1", append(append(counting(1, 1<<14), 23), 0), keys.AlertRecordOverflow},
				{"padded up to the ciphertext limit", append(append(counting(1, 1<<14), 23), make([]byte, 256-1-16)...), keys.AlertRecordOverflow},
				{"ciphertext over 2^14+256", append(append(counting(1, 1<<14), 23), make([]byte, 256-16)...), keys.AlertRecordOverflow},
				{"plaintext over 2^14", append(counting(1, 1<<14+1), 23), keys.AlertRecordOverflow},
			}
			for _, tt := range tests {
				_, _, err := fixedProtection13(t, s).Open(sealRaw13(t, s, secret, 0, tt.inner))
				if tt.want == 0 {
					assert.NoError(t, err, "%s %s", s.Name, tt.name)
				} else {
					assert.Equal(t, tt.want, alertOf(t, err), "%s %s", s.Name, tt.name)
				}
			}
		}
	})
	t.Run("TLS12", func(t *testing.T) {
		for _, s := range keys.Suites12 {
			key, iv := fixedKeys12(s)
			_, _, err := fixedProtection12(t, s).Open(sealRaw12(t, s, key, iv, 0, 23, counting(1, 1<<14)))
			assert.NoError(t, err, "%s largest legal", s.Name)

			_, _, err = fixedProtection12(t, s).Open(sealRaw12(t, s, key, iv, 0, 23, counting(1, 1<<14+1)))
			assert.Equal(t, keys.AlertRecordOverflow, alertOf(t, err), "%s plaintext over 2^14", s.Name)

			// Rejected on length alone, before any decryption.
			tooLong := append([]byte{23, 3, 3, 0x48, 0x01}, make([]byte, 1<<14+2048+1)...)
			_, _, err = fixedProtection12(t, s).Open(tooLong)
			assert.Equal(t, keys.AlertRecordOverflow, alertOf(t, err), "%s ciphertext over 2^14+2048", s.Name)
		}
	})
}

func TestOpen13Padding(t *testing.T) {
	for _, s := range keys.Suites13 {
		t.Run(s.Name, func(t *testing.T) {
			secret := fixedSecret13[:s.Hash.Size()]
			tests := []struct {
				name     string
				inner    []byte
				wantType uint8
				want     []byte
				alert    uint8
			}{
				{"no padding", []byte{'h', 'i', 22}, 22, []byte("hi"), 0},
				{"padded", append([]byte{'h', 'i', 0, 23}, make([]byte, 100)...), 23, []byte{'h', 'i', 0}, 0},
				{"empty content, padded", append([]byte{21}, make([]byte, 7)...), 21, []byte{}, 0},
				{"padding only", make([]byte, 10), 0, nil, keys.AlertUnexpectedMessage},
				{"nothing at all", nil, 0, nil, keys.AlertUnexpectedMessage},
			}
			for _, tt := range tests {
				contentType, plaintext, err := fixedProtection13(t, s).Open(sealRaw13(t, s, secret, 0, tt.inner))
				if tt.alert != 0 {
					assert.Equal(t, tt.alert, alertOf(t, err), tt.name)
					continue
				}
				require.NoError(t, err, tt.name)
				assert.Equal(t, tt.wantType, contentType, tt.name)
				assert.Equal(t, tt.want, plaintext, tt.name)
			}
		})
	}
}

func TestNewRecordProtectionRejectsWrongKeys(t *testing.T) {
	s13, s12gcm, s12chacha := keys.Suites13[0], keys.Suite12(0xC02F), keys.Suite12(0xCCA8)
	require.NotNil(t, s12gcm)
	require.NotNil(t, s12chacha)

	_, err := keys.NewRecordProtection13(s12gcm, fixedSecret13[:32])
	assert.Error(t, err, "TLS 1.2 suite for TLS 1.3")
	_, err = keys.NewRecordProtection12(s13, counting(0, 16), counting(0, 4))
	assert.Error(t, err, "TLS 1.3 suite for TLS 1.2")
	_, err = keys.NewRecordProtection12(s12gcm, counting(0, 15), counting(0, 4))
	assert.Error(t, err, "short key")
	_, err = keys.NewRecordProtection12(s12gcm, counting(0, 16), counting(0, 12))
	assert.Error(t, err, "GCM takes a 4-byte fixed IV")
	_, err = keys.NewRecordProtection12(s12chacha, counting(0, 32), counting(0, 4))
	assert.Error(t, err, "ChaCha20-Poly1305 takes a 12-byte IV")
}

// TestRecordZeroAllocs guards the property the benchmarks report: protecting
// and opening a record allocates nothing.
func TestRecordZeroAllocs(t *testing.T) {
	for _, pc := range allProtections() {
		t.Run(pc.name, func(t *testing.T) {
			sealer, opener := pc.new(t), pc.new(t)
			header, trailer := sealer.Overhead()
			buf := make([]byte, header+1024+trailer)
			allocs := testing.AllocsPerRun(100, func() {
				n, err := sealer.Seal(buf, 23, 1024)
				if err != nil {
					panic(err)
				}
				if _, _, err := opener.Open(buf[:n]); err != nil {
					panic(err)
				}
			})
			assert.Zero(t, allocs)
		})
	}
}
