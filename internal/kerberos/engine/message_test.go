package engine

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// layers returns both ends of a context with keys of one enctype.
func layers(t testing.TB, id int32, flags uint32, acceptorSubkey bool) (ini, acc *MessageLayer) {
	e, _ := crypto.Lookup(id)
	k1, _ := e.RandomKey()
	k2, _ := e.RandomKey()
	keys := ContextKeys{
		SessionKey:      wire.EncryptionKey{KeyType: id, KeyValue: k1},
		InitiatorSubkey: wire.EncryptionKey{KeyType: id, KeyValue: k1},
		InitiatorSeq:    1000, AcceptorSeq: 0x7fffffff, Flags: flags,
	}
	if acceptorSubkey {
		keys.AcceptorSubkey = &wire.EncryptionKey{KeyType: id, KeyValue: k2}
	}
	var err error
	ini, err = NewMessageLayer(keys, false)
	require.NoError(t, err)
	acc, err = NewMessageLayer(keys, true)
	require.NoError(t, err)
	return ini, acc
}

func TestMessageLayerRoundTrip(t *testing.T) {
	for _, id := range crypto.All() {
		e, _ := crypto.Lookup(id)
		if e.Weak {
			continue // RC4 has RFC 1964 tokens; see TestMessageLayerRC4
		}
		for _, sub := range []bool{false, true} {
			t.Run(e.Name, func(t *testing.T) {
				ini, acc := layers(t, id, GSSReplayFlag|GSSSequenceFlag, sub)
				for _, n := range []int{0, 1, 15, 16, 17, 1000} {
					msg := bytes.Repeat([]byte{byte(n)}, n)
					for _, conf := range []bool{true, false} {
						tok, err := ini.Wrap(msg, conf)
						require.NoError(t, err)
						assert.Len(t, tok, n+ini.Overhead(conf))
						got, gotConf, err := acc.Unwrap(tok)
						require.NoError(t, err)
						assert.Equal(t, msg, got)
						assert.Equal(t, conf, gotConf)

						tok, err = acc.Wrap(msg, conf)
						require.NoError(t, err)
						got, _, err = ini.Unwrap(tok)
						require.NoError(t, err)
						assert.Equal(t, msg, got)
					}
					mic, err := acc.MIC(msg)
					require.NoError(t, err)
					assert.Len(t, mic, acc.MICSize())
					require.NoError(t, ini.VerifyMIC(msg, mic))
				}
			})
		}
	}
}

// TestMessageOverheadMatchesMIT checks the sizes SSPI's SECPKG_ATTR_SIZES
// will report against MIT's measured token overheads (SSPI-PACKAGES.md).
func TestMessageOverheadMatchesMIT(t *testing.T) {
	for _, tt := range []struct {
		id               int32
		wrap, integ, mic int
	}{
		{crypto.AES256CTSHMACSHA196, 60, 28, 28},
		{crypto.AES128CTSHMACSHA196, 60, 28, 28},
		{crypto.AES256CTSHMACSHA384192, 72, 40, 40},
	} {
		ini, _ := layers(t, tt.id, 0, true)
		assert.Equal(t, tt.wrap, ini.Overhead(true), "%d wrap", tt.id)
		assert.Equal(t, tt.integ, ini.Overhead(false), "%d integrity-only wrap", tt.id)
		assert.Equal(t, tt.mic, ini.MICSize(), "%d MIC", tt.id)
	}
}

// TestUnwrapRotated accepts a token rotated as MS-KILE senders rotate it
// (RRC 28), confidential and integrity-only.
func TestUnwrapRotated(t *testing.T) {
	for _, conf := range []bool{true, false} {
		ini, acc := layers(t, crypto.AES256CTSHMACSHA196, 0, true)
		tok, err := ini.Wrap([]byte("rotate me, please"), conf)
		require.NoError(t, err)
		h, payload, err := wire.SplitWrapToken(tok)
		require.NoError(t, err)
		const rrc = 28
		h.RRC = rrc
		rotated := append(append(h.Marshal(), payload[len(payload)-rrc:]...), payload[:len(payload)-rrc]...)
		got, _, err := acc.Unwrap(rotated)
		require.NoError(t, err, "conf=%v", conf)
		assert.Equal(t, "rotate me, please", string(got))
	}
}

func TestMessageLayerHostile(t *testing.T) {
	status := func(err error) sspi.Status {
		var se *sspi.Error
		require.True(t, errors.As(err, &se), "%T: %v", err, err)
		return se.Status
	}
	t.Run("flipped bit", func(t *testing.T) {
		for _, conf := range []bool{true, false} {
			ini, acc := layers(t, crypto.AES128CTSHMACSHA256128, 0, true)
			tok, _ := ini.Wrap([]byte("message"), conf)
			tok[len(tok)-1] ^= 1
			_, _, err := acc.Unwrap(tok)
			assert.Equal(t, sspi.SEC_E_MESSAGE_ALTERED, status(err))
		}
	})
	t.Run("header changed", func(t *testing.T) {
		ini, acc := layers(t, crypto.AES256CTSHMACSHA196, 0, true)
		tok, _ := ini.Wrap([]byte("message"), true)
		tok[15] ^= 1 // the sequence number in the clear header
		_, _, err := acc.Unwrap(tok)
		assert.Equal(t, sspi.SEC_E_MESSAGE_ALTERED, status(err))
	})
	t.Run("reflected", func(t *testing.T) {
		ini, _ := layers(t, crypto.AES256CTSHMACSHA196, 0, true)
		tok, _ := ini.Wrap([]byte("message"), true)
		_, _, err := ini.Unwrap(tok)
		assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, status(err))
		mic, _ := ini.MIC([]byte("m"))
		assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, status(ini.VerifyMIC([]byte("m"), mic)))
	})
	t.Run("subkey flag missing", func(t *testing.T) {
		ini, _ := layers(t, crypto.AES256CTSHMACSHA196, 0, false)
		_, acc := layers(t, crypto.AES256CTSHMACSHA196, 0, true)
		tok, _ := ini.Wrap([]byte("message"), true)
		_, _, err := acc.Unwrap(tok)
		assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, status(err))
	})
	t.Run("MIC over other data", func(t *testing.T) {
		ini, acc := layers(t, crypto.AES128CTSHMACSHA196, 0, true)
		mic, _ := ini.MIC([]byte("one"))
		assert.Equal(t, sspi.SEC_E_MESSAGE_ALTERED, status(acc.VerifyMIC([]byte("two"), mic)))
	})
	t.Run("truncated", func(t *testing.T) {
		ini, acc := layers(t, crypto.AES256CTSHMACSHA196, 0, true)
		tok, _ := ini.Wrap([]byte("message"), true)
		for _, n := range []int{0, 15, 16, 17, len(tok) - 1} {
			_, _, err := acc.Unwrap(tok[:n])
			assert.Contains(t, []sspi.Status{sspi.SEC_E_INVALID_TOKEN, sspi.SEC_E_MESSAGE_ALTERED}, status(err), "%d bytes", n)
		}
		_, _, err := acc.Unwrap(tok[:15])
		assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, status(err))
	})
	t.Run("integrity-only with a wrong EC", func(t *testing.T) {
		ini, acc := layers(t, crypto.AES256CTSHMACSHA196, 0, true)
		tok, _ := ini.Wrap([]byte("message"), false)
		tok[5]++
		_, _, err := acc.Unwrap(tok)
		assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, status(err))
	})
}

func TestMessageSequence(t *testing.T) {
	wraps := func(ini *MessageLayer, n int) [][]byte {
		var out [][]byte
		for i := 0; i < n; i++ {
			tok, err := ini.Wrap([]byte{byte(i)}, true)
			require.NoError(t, err)
			out = append(out, tok)
		}
		return out
	}
	tests := []struct {
		name  string
		flags uint32
		order []int
		want  []sspi.Status // per delivery; SEC_E_OK for success
	}{
		{"in order", GSSReplayFlag | GSSSequenceFlag, []int{0, 1, 2}, []sspi.Status{0, 0, 0}},
		{"replay", GSSReplayFlag, []int{0, 1, 1}, []sspi.Status{0, 0, sspi.SEC_E_INVALID_TOKEN}},
		{"replay, no detection", 0, []int{0, 1, 1}, []sspi.Status{0, 0, 0}},
		{"gap", GSSReplayFlag | GSSSequenceFlag, []int{0, 2}, []sspi.Status{0, sspi.SEC_E_OUT_OF_SEQUENCE}},
		{"gap, replay only", GSSReplayFlag, []int{0, 2, 1}, []sspi.Status{0, 0, 0}},
		{"late", GSSReplayFlag | GSSSequenceFlag, []int{1, 0}, []sspi.Status{sspi.SEC_E_OUT_OF_SEQUENCE, sspi.SEC_E_OUT_OF_SEQUENCE}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ini, acc := layers(t, crypto.AES256CTSHMACSHA196, tt.flags, true)
			toks := wraps(ini, 3)
			for i, idx := range tt.order {
				_, _, err := acc.Unwrap(toks[idx])
				if tt.want[i] == 0 {
					assert.NoError(t, err, "delivery %d", i)
					continue
				}
				var se *sspi.Error
				require.True(t, errors.As(err, &se), "delivery %d: %v", i, err)
				assert.Equal(t, tt.want[i], se.Status, "delivery %d", i)
			}
		})
	}
}

func TestMessageLayerRC4(t *testing.T) {
	e, _ := crypto.Lookup(crypto.RC4HMAC)
	k, _ := e.RandomKey()
	_, err := NewMessageLayer(ContextKeys{InitiatorSubkey: wire.EncryptionKey{KeyType: crypto.RC4HMAC, KeyValue: k}}, false)
	assert.ErrorIs(t, err, sspi.SEC_E_UNSUPPORTED_FUNCTION)
}

func BenchmarkWrapUnwrap(b *testing.B) {
	msg := make([]byte, 16<<10)
	for _, id := range crypto.All() {
		e, _ := crypto.Lookup(id)
		if e.Weak {
			continue
		}
		b.Run(e.Name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			ini, acc := layers(b, id, 0, true)
			for b.Loop() {
				tok, err := ini.Wrap(msg, true)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := acc.Unwrap(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
