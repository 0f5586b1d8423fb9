package gsssample

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags byte
		tok   []byte
	}{
		{"noop with no token", Noop | ContextNext, nil},
		{"context token", Context, []byte{0x60, 0x01, 0x00}},
		{"sealed message", Data | Wrapped | Encrypted, bytes.Repeat([]byte{7}, 70000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, WriteToken(&buf, tc.flags, tc.tok))
			assert.Equal(t, 5+len(tc.tok), buf.Len())
			flags, tok, err := ReadToken(&buf)
			require.NoError(t, err)
			assert.Equal(t, tc.flags, flags)
			assert.Equal(t, len(tc.tok), len(tok))
			assert.True(t, bytes.Equal(tc.tok, tok))
		})
	}
}

func TestReadTokenRefuses(t *testing.T) {
	over := make([]byte, 5)
	over[0] = Context
	binary.BigEndian.PutUint32(over[1:], MaxToken+1)
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, io.EOF},
		{"short header", []byte{Context, 0, 0}, io.ErrUnexpectedEOF},
		{"short token", []byte{Context, 0, 0, 0, 4, 1, 2}, io.ErrUnexpectedEOF},
		{"over the cap", over, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadToken(bytes.NewReader(tc.in))
			require.Error(t, err)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
			}
		})
	}
}

// FuzzReadToken holds ReadToken to its cap and to WriteToken: whatever a
// peer sends, a token read is at most MaxToken bytes and writes back as
// the bytes it was read from.
func FuzzReadToken(f *testing.F) {
	for _, seed := range [][]byte{
		{Noop | ContextNext, 0, 0, 0, 0},
		{Context, 0, 0, 0, 3, 0x60, 0x01, 0x00},
		{Data, 0xff, 0xff, 0xff, 0xff},
		{Data, 0, 0, 0, 9, 1},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		flags, tok, err := ReadToken(bytes.NewReader(in))
		if err != nil {
			return
		}
		require.LessOrEqual(t, len(tok), MaxToken)
		var out bytes.Buffer
		require.NoError(t, WriteToken(&out, flags, tok))
		assert.Equal(t, in[:out.Len()], out.Bytes())
	})
}
