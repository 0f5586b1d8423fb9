package keys_test

import (
	"bytes"
	"testing"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/stretchr/testify/require"
)

// The fuzz targets feed arbitrary bytes to Open under fixed keys for every
// suite. Open must never panic, must fail only with the alerts it documents,
// and whatever it accepts must be self-consistent: the plaintext lies inside
// the record, another opener agrees, and sealing the result again reproduces
// the record wherever the record is canonical.

func FuzzOpen13(f *testing.F) {
	for _, s := range keys.Suites13 {
		secret := fixedSecret13[:s.Hash.Size()]
		f.Add(seal(f, fixedProtection13(f, s), 23, []byte("application data")))
		f.Add(seal(f, fixedProtection13(f, s), 22, nil))
		f.Add(sealRaw13(f, s, secret, 0, append([]byte("padded\x15"), make([]byte, 32)...)))
		f.Add(sealRaw13(f, s, secret, 0, make([]byte, 8))) // padding only
	}
	addFramingSeeds(f)

	openers := newFuzzOpeners(f, keys.Suites13, func(tb testing.TB, s *keys.Suite) *keys.RecordProtection {
		return fixedProtection13(tb, s)
	})
	f.Fuzz(func(t *testing.T, record []byte) {
		for _, o := range openers {
			o.check(t, record, true)
		}
	})
}

func FuzzOpen12(f *testing.F) {
	for _, s := range keys.Suites12 {
		key, iv := fixedKeys12(s)
		f.Add(seal(f, fixedProtection12(f, s), 23, []byte("application data")))
		f.Add(seal(f, fixedProtection12(f, s), 21, []byte{1, 0}))
		f.Add(sealRaw12(f, s, key, iv, 0, 22, nil))
	}
	addFramingSeeds(f)

	openers := newFuzzOpeners(f, keys.Suites12, func(tb testing.TB, s *keys.Suite) *keys.RecordProtection {
		return fixedProtection12(tb, s)
	})
	f.Fuzz(func(t *testing.T, record []byte) {
		for _, o := range openers {
			o.check(t, record, false)
		}
	})
}

func addFramingSeeds(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{23, 3, 3, 0, 0})
	f.Add([]byte{23, 3, 3, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(append([]byte{23, 3, 3, 0x41, 0x11}, make([]byte, 0x4111)...))
}

// fuzzOpener keeps two protections per suite so the target does not derive
// keys on every input; their sequence numbers are reset before each use.
type fuzzOpener struct {
	suite         *keys.Suite
	first, second *keys.RecordProtection
	sealer        *keys.RecordProtection
	explicitNonce bool
}

func newFuzzOpeners(f *testing.F, suites []*keys.Suite, newProtection func(testing.TB, *keys.Suite) *keys.RecordProtection) []fuzzOpener {
	var openers []fuzzOpener
	for _, s := range suites {
		openers = append(openers, fuzzOpener{
			suite:         s,
			first:         newProtection(f, s),
			second:        newProtection(f, s),
			sealer:        newProtection(f, s),
			explicitNonce: s.ExplicitNonce,
		})
	}
	return openers
}

func (o fuzzOpener) check(t *testing.T, record []byte, tls13 bool) {
	o.first.SetSequenceForTest(0)
	buf := bytes.Clone(record)
	contentType, plaintext, err := o.first.Open(buf)
	if err != nil {
		var alertErr *keys.AlertError
		require.ErrorAs(t, err, &alertErr, o.suite.Name)
		require.Contains(t, []uint8{keys.AlertUnexpectedMessage, keys.AlertBadRecordMAC, keys.AlertRecordOverflow, keys.AlertDecodeError},
			alertErr.Code, o.suite.Name)
		require.Nil(t, plaintext)
		if alertErr.Code == keys.AlertBadRecordMAC || alertErr.Code == keys.AlertDecodeError {
			require.Zero(t, o.first.Sequence(), "a record that did not authenticate must not consume a sequence number")
		}
		return
	}

	header, trailer := o.first.Overhead()
	require.Equal(t, uint64(1), o.first.Sequence())
	require.NotNil(t, plaintext)
	require.LessOrEqual(t, len(plaintext), 1<<14)
	require.LessOrEqual(t, header+len(plaintext)+trailer, len(record))
	if len(plaintext) > 0 {
		require.Equal(t, header, indexOf(buf, plaintext), "plaintext must be decrypted in place")
	}
	if tls13 {
		require.Equal(t, uint8(23), record[0])
		require.NotZero(t, contentType)
	} else {
		require.Equal(t, record[0], contentType)
	}

	o.second.SetSequenceForTest(0)
	againType, again, err := o.second.Open(bytes.Clone(record))
	require.NoError(t, err)
	require.Equal(t, contentType, againType)
	require.Equal(t, plaintext, again)

	// Seal writes version 0x0303, no padding and (for GCM) the sequence
	// number as explicit nonce; a record with exactly those choices must
	// come back byte for byte.
	canonical := bytes.Equal(record[1:3], []byte{3, 3}) &&
		len(record) == header+len(plaintext)+trailer &&
		(!o.explicitNonce || bytes.Equal(record[5:13], make([]byte, 8)))
	if canonical {
		o.sealer.SetSequenceForTest(0)
		require.Equal(t, record, seal(t, o.sealer, contentType, plaintext))
	}
}
