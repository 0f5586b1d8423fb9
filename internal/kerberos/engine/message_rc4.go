package engine

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"hash"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// RC4-HMAC contexts use the RFC 1964 token format with the algorithms of
// RFC 4757 section 7, framed like context tokens (RFC 2743 section 3.1):
//
//	TOK_ID (2)  01 01 MIC, 02 01 Wrap
//	SGN_ALG (2) 11 00 HMAC-MD5
//	SEAL_ALG(2) 10 00 RC4, ff ff none (and always ff ff in a MIC)
//	Filler (2)  ff ff
//	SND_SEQ (8) sequence number (big-endian) and four direction bytes,
//	            RC4-encrypted under a key derived from SGN_CKSUM
//	SGN_CKSUM(8) HMAC-MD5 checksum, usage 13 (Wrap) or 15 (MIC)
//	[Wrap only] confounder (8) and data with one pad byte 01, RC4-
//	            encrypted under a key derived from the sequence number
const (
	tokRC4MIC     uint16 = 0x0101
	tokRC4Wrap    uint16 = 0x0201
	rc4SignAlg           = 0x0011
	rc4SealAlg           = 0x0010
	rc4NoSeal            = 0xffff
	rc4HeaderLen         = 8
	rc4SeqLen            = 8
	rc4CksumLen          = 8
	rc4Confounder        = 8
)

// Key usages of the SGN_CKSUM checksum (RFC 4757 section 7.3: message
// type 13 signs Wrap tokens, 15 MIC tokens). hmac-md5 turns the
// acceptor's sign usage, 23, into 13 (crypto.RC4SignKey).
const (
	usageRC4WrapSign = crypto.UsageAcceptorSign
	usageRC4MICSign  = 15
)

func hmacMD5(key []byte, data ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

// rc4Keys are the keys of an RC4 context that do not change from token to
// token, keyed once: RFC 4757 derives the sequence and data encryption
// keys from each token's checksum and sequence number by design, but the
// first step of each, and the signing key, depend on the context key
// alone.
type rc4Keys struct {
	// sign is the hmac-md5 checksum's Ksign, RFC 4757 section 4.
	sign *crypto.RC4SignKey
	// seq and seal are HMAC-MD5 keyed with K1 = HMAC-MD5(key, 0) and
	// HMAC-MD5(Klocal, 0), Klocal being key xor F0 (section 7.3): the
	// first step of arcfourCrypt.
	seq, seal hash.Hash
}

func newRC4Keys(key []byte) *rc4Keys {
	klocal := make([]byte, len(key))
	for i, b := range key {
		klocal[i] = b ^ 0xf0
	}
	zero := []byte{0, 0, 0, 0} // usage 0, little-endian
	return &rc4Keys{
		sign: crypto.NewRC4SignKey(key),
		seq:  hmac.New(md5.New, hmacMD5(key, zero)),
		seal: hmac.New(md5.New, hmacMD5(klocal, zero)),
	}
}

// arcfourCrypt is RFC 4757's two-step keying, MIT's kg_arcfour_docrypt,
// with the first step done: k1 is HMAC-MD5 keyed with K1 = HMAC-MD5(key,
// usage); K2 = HMAC-MD5(K1, kd), then RC4 under K2.
func arcfourCrypt(k1 hash.Hash, kd, data []byte) []byte {
	k1.Reset()
	k1.Write(kd)
	c, _ := rc4.NewCipher(k1.Sum(nil))
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

func (m *MessageLayer) rc4Header(tokID uint16, sealed bool) []byte {
	h := make([]byte, rc4HeaderLen)
	binary.BigEndian.PutUint16(h, tokID)
	binary.LittleEndian.PutUint16(h[2:], rc4SignAlg)
	seal := uint16(rc4NoSeal)
	if sealed {
		seal = rc4SealAlg
	}
	binary.LittleEndian.PutUint16(h[4:], seal)
	h[6], h[7] = 0xff, 0xff
	return h
}

// rc4Checksum is the hmac-md5 checksum of RFC 4757 section 4 over header
// | data, cut to SGN_CKSUM's 8 bytes.
func (m *MessageLayer) rc4Checksum(usage uint32, header, data []byte) []byte {
	return m.rc4Keys.sign.Checksum(nil, usage, header, data)[:rc4CksumLen]
}

// rc4SeqPlain is the sequence number, big-endian as RFC 4757 7.1 says,
// and the sender's four direction bytes: 00 from the initiator, ff from
// the acceptor.
func rc4SeqPlain(seq uint32, fromAcceptor bool) []byte {
	b := binary.BigEndian.AppendUint32(nil, seq)
	d := byte(0)
	if fromAcceptor {
		d = 0xff
	}
	return append(b, d, d, d, d)
}

func (m *MessageLayer) frame(tokID uint16, body []byte) ([]byte, error) {
	t := wire.GSSToken{TokID: tokID, Message: body}
	out, err := t.Marshal()
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	return out, nil
}

func (m *MessageLayer) wrapRC4(msg []byte, conf bool) ([]byte, error) {
	hdr := m.rc4Header(tokRC4Wrap, conf)
	plain := make([]byte, rc4Confounder, rc4Confounder+len(msg)+1)
	if _, err := m.rand(plain); err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	plain = append(append(plain, msg...), 1)
	sum := m.rc4Checksum(usageRC4WrapSign, hdr, plain)
	seq := uint32(m.sendSeq)
	snd := arcfourCrypt(m.rc4Keys.seq, sum, rc4SeqPlain(seq, m.acceptor))
	data := plain
	if conf {
		data = arcfourCrypt(m.rc4Keys.seal, binary.BigEndian.AppendUint32(nil, seq), plain)
	}
	body := append(append(append(hdr[2:], snd...), sum...), data...)
	m.sendSeq++
	return m.frame(tokRC4Wrap, body)
}

func (m *MessageLayer) micRC4(msg []byte) ([]byte, error) {
	hdr := m.rc4Header(tokRC4MIC, false)
	sum := m.rc4Checksum(usageRC4MICSign, hdr, msg)
	snd := arcfourCrypt(m.rc4Keys.seq, sum, rc4SeqPlain(uint32(m.sendSeq), m.acceptor))
	m.sendSeq++
	return m.frame(tokRC4MIC, append(append(hdr[2:], snd...), sum...))
}

// openRC4 checks the frame and header of an RC4 token and recovers its
// sequence number; it returns the body after SGN_CKSUM.
func (m *MessageLayer) openRC4(tok []byte, want uint16) (hdr, sum, rest []byte, seq uint32, sealed bool, err error) {
	var t wire.GSSToken
	if e := t.Unmarshal(tok); e != nil || t.TokID != want {
		return nil, nil, nil, 0, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: not an RFC 1964 token %04x", want)
	}
	b := t.Message
	if len(b) < rc4HeaderLen-2+rc4SeqLen+rc4CksumLen {
		return nil, nil, nil, 0, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: RC4 token of %d bytes", len(b))
	}
	hdr = binary.BigEndian.AppendUint16(nil, want)
	hdr = append(hdr, b[:6]...)
	seal := binary.LittleEndian.Uint16(hdr[4:])
	if binary.LittleEndian.Uint16(hdr[2:]) != rc4SignAlg || hdr[6] != 0xff || hdr[7] != 0xff ||
		(seal != rc4NoSeal && (want == tokRC4MIC || seal != rc4SealAlg)) {
		return nil, nil, nil, 0, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: RC4 token header %x", hdr)
	}
	snd, sum := b[6:14], b[14:22]
	plain := arcfourCrypt(m.rc4Keys.seq, sum, snd)
	// The direction bytes must be the peer's, or the token is our own
	// reflected back; a forged checksum gives garbage here too, which
	// the checksum check below catches.
	if string(plain) != string(rc4SeqPlain(binary.BigEndian.Uint32(plain), !m.acceptor)) {
		return nil, nil, nil, 0, false, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: RC4 token sequence number does not decrypt (forged or reflected)")
	}
	return hdr, sum, b[22:], binary.BigEndian.Uint32(plain), seal == rc4SealAlg, nil
}

func (m *MessageLayer) unwrapRC4(tok []byte) ([]byte, bool, error) {
	hdr, sum, rest, seq, sealed, err := m.openRC4(tok, tokRC4Wrap)
	if err != nil {
		return nil, false, err
	}
	if len(rest) < rc4Confounder+1 {
		return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: RC4 Wrap token without confounder and padding")
	}
	plain := rest
	if sealed {
		plain = arcfourCrypt(m.rc4Keys.seal, binary.BigEndian.AppendUint32(nil, seq), rest)
	}
	want := m.rc4Checksum(usageRC4WrapSign, hdr, plain)
	if subtle.ConstantTimeCompare(want, sum) != 1 {
		return nil, false, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: RC4 Wrap token checksum does not verify")
	}
	if plain[len(plain)-1] != 1 {
		return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: RC4 Wrap token padding %d", plain[len(plain)-1])
	}
	if err := m.recv.check(uint64(seq), m.replay, m.sequence); err != nil {
		return nil, false, err
	}
	return plain[rc4Confounder : len(plain)-1], sealed, nil
}

func (m *MessageLayer) verifyMICRC4(msg, tok []byte) error {
	hdr, sum, rest, seq, _, err := m.openRC4(tok, tokRC4MIC)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: RC4 MIC token with %d extra bytes", len(rest))
	}
	want := m.rc4Checksum(usageRC4MICSign, hdr, msg)
	if subtle.ConstantTimeCompare(want, sum) != 1 {
		return sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: RC4 MIC does not verify")
	}
	return m.recv.check(uint64(seq), m.replay, m.sequence)
}
