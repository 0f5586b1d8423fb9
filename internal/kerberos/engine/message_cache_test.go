package engine

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/internal/peertest"
)

// fixedConfounder makes confidential Wrap tokens deterministic, so that
// two layers can be compared byte for byte.
func fixedConfounder(b []byte) (int, error) {
	for i := range b {
		b[i] = 0xc5
	}
	return len(b), nil
}

// pairAt is an initiator and an acceptor over fixed keys, the initiator
// starting at sequence number seq.
func pairAt(t *testing.T, id int32, k1, k2 []byte, seq uint32, flags uint32) (ini, acc *MessageLayer) {
	t.Helper()
	keys := ContextKeys{
		InitiatorSubkey: wire.EncryptionKey{KeyType: id, KeyValue: k1},
		AcceptorSubkey:  &wire.EncryptionKey{KeyType: id, KeyValue: k2},
		InitiatorSeq:    seq, AcceptorSeq: 7, Flags: flags,
	}
	var err error
	ini, err = NewMessageLayer(keys, false)
	require.NoError(t, err)
	acc, err = NewMessageLayer(keys, true)
	require.NoError(t, err)
	ini.rand, acc.rand = fixedConfounder, fixedConfounder
	return ini, acc
}

// eachContextKind runs fn, as a subtest, for every enctype in a plain and
// a DCE-style context with fresh keys: flags is 0 or GSSDCEStyleFlag.
// RC4-HMAC, which has no DCE style here and no TOKEN/DATA layout, runs in
// a plain context when withRC4 says so.
func eachContextKind(t *testing.T, withRC4 bool, fn func(t *testing.T, id int32, e *crypto.Enctype, k1, k2 []byte, flags uint32)) {
	for _, id := range crypto.All() {
		e, _ := crypto.Lookup(id)
		for _, flags := range []uint32{0, GSSDCEStyleFlag} {
			if e.Weak && (!withRC4 || flags != 0) {
				continue
			}
			t.Run(fmt.Sprintf("%s/dce=%v", e.Name, flags != 0), func(t *testing.T) {
				k1, err := e.RandomKey()
				require.NoError(t, err)
				k2, err := e.RandomKey()
				require.NoError(t, err)
				fn(t, id, e, k1, k2, flags)
			})
		}
	}
}

// TestMessageLayerCachedKeysMatchFresh: a layer that has made and checked
// many tokens (its derived keys cached, its HMACs reset and reused) makes
// the same bytes as a fresh layer at the same sequence number, and its
// MIC checksums and Wrap ciphertexts are those of crypto's uncached
// functions, which derive the keys again for each call.
func TestMessageLayerCachedKeysMatchFresh(t *testing.T) {
	eachContextKind(t, true, func(t *testing.T, id int32, e *crypto.Enctype, k1, k2 []byte, flags uint32) {
		used, peer := pairAt(t, id, k1, k2, 100, flags)
		for i := range 20 {
			msg := bytes.Repeat([]byte{byte(i)}, i*7)
			for _, conf := range []bool{true, false} {
				tok, err := used.Wrap(msg, conf)
				require.NoError(t, err)
				_, _, err = peer.Unwrap(tok)
				require.NoError(t, err)
			}
			mic, err := used.MIC(msg)
			require.NoError(t, err)
			require.NoError(t, peer.VerifyMIC(msg, mic))
		}
		fresh, _ := pairAt(t, id, k1, k2, uint32(used.sendSeq), flags)
		msg := []byte("the same message through both layers")
		for _, conf := range []bool{true, false} {
			a, err := used.Wrap(msg, conf)
			require.NoError(t, err)
			b, err := fresh.Wrap(msg, conf)
			require.NoError(t, err)
			assert.Equal(t, b, a, "Wrap conf=%v", conf)
		}
		a, err := used.MIC(msg)
		require.NoError(t, err)
		b, err := fresh.MIC(msg)
		require.NoError(t, err)
		assert.Equal(t, b, a, "MIC")

		if e.Weak {
			// RFC 4757 section 4 from scratch (Ksign derived
			// afresh), against the cached Ksign: usage 23 is
			// the acceptor's sign usage, which hmac-md5 turns
			// into message type 13.
			hdr := used.rc4Header(tokRC4Wrap, true)
			c, _ := crypto.LookupChecksum(crypto.HMACMD5)
			want, err := c.Checksum(used.key.KeyValue, crypto.UsageAcceptorSign, append(append([]byte{}, hdr...), msg...))
			require.NoError(t, err)
			got := used.rc4Checksum(usageRC4WrapSign, hdr, msg)
			assert.Equal(t, want[:rc4CksumLen], got)
			return
		}
		// The MIC checksum, derived afresh: RFC 4121 section
		// 4.2.6.1, over the message and the header.
		_, sign := used.usages(true)
		want, err := e.Checksum(k2, sign, append(append([]byte{}, msg...), a[:wire.TokenHeaderSize]...))
		require.NoError(t, err)
		assert.Equal(t, want, a[wire.TokenHeaderSize:], "MIC checksum")
		// A confidential token, encrypted afresh.
		tok, err := used.Wrap(msg, true)
		require.NoError(t, err)
		seal, _ := used.usages(true)
		plain := append(append(append([]byte{}, msg...), make([]byte, used.EC())...), tok[:wire.TokenHeaderSize]...)
		conf := make([]byte, e.ConfounderSize)
		_, _ = fixedConfounder(conf)
		ct, err := e.EncryptWithConfounder(k2, seal, conf, plain)
		require.NoError(t, err)
		assert.Equal(t, ct, tok[wire.TokenHeaderSize:], "Wrap ciphertext")
	})
}

// TestWrapToLayout checks the in-place layout EncryptMessage uses: the
// token is tok[:n] followed by the message's bytes, encrypted where they
// lay, and it is the RRC 0 token of Wrap rotated as RRC (and EC, in DCE
// style) say. UnwrapIn decrypts it where it lies: the message comes back
// in data's own storage.
func TestWrapToLayout(t *testing.T) {
	eachContextKind(t, false, func(t *testing.T, id int32, e *crypto.Enctype, k1, k2 []byte, flags uint32) {
		ini, acc := pairAt(t, id, k1, k2, 5, flags)
		ref, _ := pairAt(t, id, k1, k2, 5, flags)
		for _, n := range []int{0, 1, 15, 16, 17, 33, 1000} {
			msg := bytes.Repeat([]byte{byte(n)}, n)
			for _, conf := range []bool{true, false} {
				want, err := ref.Wrap(msg, conf)
				require.NoError(t, err)
				data := append([]byte{}, msg...)
				tok := make([]byte, ini.Overhead(conf)+3)
				used, err := ini.WrapTo(tok, data, conf)
				require.NoError(t, err)
				require.Equal(t, ini.Overhead(conf), used)
				tok = tok[:used]

				var h wire.WrapHeader
				require.NoError(t, h.Unmarshal(tok[:wire.TokenHeaderSize]))
				by := int(h.RRC)
				if conf {
					by += int(h.EC)
				}
				body := append(append([]byte{}, tok[wire.TokenHeaderSize:]...), data...)
				unrotated := append(append([]byte{}, body[by:]...), body[:by]...)
				assert.Equal(t, want[wire.TokenHeaderSize:], unrotated, "n=%d conf=%v", n, conf)
				h.RRC = 0
				assert.Equal(t, want[:wire.TokenHeaderSize], h.Marshal())

				got, gotConf, err := acc.UnwrapIn(tok, data)
				require.NoError(t, err, "n=%d conf=%v", n, conf)
				assert.Equal(t, msg, got)
				assert.Equal(t, conf, gotConf)
				if n > 0 {
					assert.Same(t, &data[0], &got[0], "the message is decrypted in place")
				}
			}
		}
	})
}

// TestUnwrapInSplitMessage covers the rare layout where a rotation leaves
// the message split between tok and data: it comes back whole, in a new
// slice.
func TestUnwrapInSplitMessage(t *testing.T) {
	ini, acc := layers(t, crypto.AES128CTSHMACSHA256128, 0, true)
	msg := []byte("a message long enough to be cut in two")
	for _, conf := range []bool{true, false} {
		tok, err := ini.Wrap(msg, conf)
		require.NoError(t, err)
		at := wire.TokenHeaderSize + 30
		got, gotConf, err := acc.UnwrapIn(append([]byte{}, tok[:at]...), append([]byte{}, tok[at:]...))
		require.NoError(t, err)
		assert.Equal(t, msg, got)
		assert.Equal(t, conf, gotConf)
	}
}

// TestAllocsMessageLayer holds the per-message path to no allocation in
// steady state (ARCHITECTURE.md, "In place"): the derived keys are made
// once, and tokens are built and opened in the caller's storage.
func TestAllocsMessageLayer(t *testing.T) {
	peertest.SkipUnderRace(t)
	for _, id := range crypto.All() {
		e, _ := crypto.Lookup(id)
		if e.Weak {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			ini, acc := layers(t, id, GSSReplayFlag|GSSSequenceFlag, true)
			for _, size := range []int{100, 16384} {
				msg := make([]byte, size)
				data := make([]byte, size)
				tok := make([]byte, ini.Overhead(true))
				mic := make([]byte, ini.MICSize())
				for _, conf := range []bool{true, false} {
					round := func() {
						copy(data, msg)
						n, err := ini.WrapTo(tok, data, conf)
						if err != nil {
							t.Fatal(err)
						}
						if _, _, err := acc.UnwrapIn(tok[:n], data); err != nil {
							t.Fatal(err)
						}
					}
					round() // derives the keys
					assert.Zero(t, testing.AllocsPerRun(50, round), "allocations per %d-byte WrapTo and UnwrapIn, conf=%v", size, conf)
				}
				sign := func() {
					n, err := ini.MICTo(mic, msg)
					if err != nil {
						t.Fatal(err)
					}
					if err := acc.VerifyMIC(msg, mic[:n]); err != nil {
						t.Fatal(err)
					}
				}
				sign()
				assert.Zero(t, testing.AllocsPerRun(50, sign), "allocations per %d-byte MICTo and VerifyMIC", size)
			}
		})
	}
}
