package pac

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDelegationInfo round-trips S4U_DELEGATION_INFO through the test
// encoder (no capture with one was found; the layout is MS-PAC section
// 2.9's) and refuses broken ones.
func TestDelegationInfo(t *testing.T) {
	d := &DelegationInfo{S4U2proxyTarget: "cifs/fs.example.com", S4UTransitedServices: []string{"HTTP/web.example.com@EXAMPLE.COM", "host/a@EXAMPLE.COM"}}
	b := encodeDelegationInfo(d)
	got, err := ParseDelegationInfo(b)
	require.NoError(t, err)
	assert.Equal(t, d, got)

	p, err := Parse(build(Buffer{Type: TypeDelegationInfo, Data: b}))
	require.NoError(t, err)
	assert.Equal(t, d, p.DelegationInfo)

	none, err := ParseDelegationInfo(encodeDelegationInfo(&DelegationInfo{S4U2proxyTarget: "x/y"}))
	require.NoError(t, err)
	assert.Empty(t, none.S4UTransitedServices)

	// TransitedListSize is at 16 (headers) + 4 (pointer) + 8 (string).
	for name, mutate := range map[string]func([]byte) []byte{
		"list size mismatch": func(b []byte) []byte { binary.LittleEndian.PutUint32(b[28:], 3); return b },
		"list size huge":     func(b []byte) []byte { binary.LittleEndian.PutUint32(b[28:], 0xFFFFFFFF); return b },
		"null list":          func(b []byte) []byte { binary.LittleEndian.PutUint32(b[32:], 0); return b },
		"truncated":          func(b []byte) []byte { return resize(b[:len(b)-16]) },
		"big-endian":         func(b []byte) []byte { b[1] = 0; return b },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseDelegationInfo(mutate(append([]byte{}, b...)))
			var pe *Error
			assert.True(t, errors.As(err, &pe), "%v", err)
		})
	}
}

// FuzzDelegationInfo: no panic, only *Error, stable round trip.
func FuzzDelegationInfo(f *testing.F) {
	f.Add(encodeDelegationInfo(&DelegationInfo{S4U2proxyTarget: "cifs/fs", S4UTransitedServices: []string{"HTTP/web@R"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDelegationInfo(b)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("ParseDelegationInfo returned %T: %v", err, err)
			}
			return
		}
		again, err := ParseDelegationInfo(encodeDelegationInfo(d))
		if err != nil {
			t.Fatalf("re-encoded delegation info does not decode: %v", err)
		}
		assert.Equal(t, d, again)
	})
}
