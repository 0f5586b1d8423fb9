package crypto

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// Cipher is one auth-conf cipher of RFC 2831 section 2.4.
type Cipher struct {
	name string
	// hA1Bytes is n in Kcc = MD5({H(A1)[0..n], ...}).
	hA1Bytes int
	// ssf is the security strength factor Cyrus SASL gives the cipher,
	// the order in which a client prefers them.
	ssf int
	// block is 8 for the DES ciphers, 0 for RC4.
	block   int
	newSeal func(kc [16]byte, encrypt bool) (sealer, error)
}

var ciphers = [...]Cipher{
	{"rc4", 16, 128, 0, newRC4},
	{"3des", 16, 112, 8, new3DES},
	{"rc4-56", 7, 56, 0, newRC4},
	{"des", 16, 55, 8, newDES},
	{"rc4-40", 5, 40, 0, newRC4},
}

// Ciphers returns every cipher, strongest first.
func Ciphers() []*Cipher {
	out := make([]*Cipher, len(ciphers))
	for i := range ciphers {
		out[i] = &ciphers[i]
	}
	return out
}

// LookupCipher finds a cipher by its RFC 2831 name.
func LookupCipher(name string) (*Cipher, bool) {
	for i := range ciphers {
		if ciphers[i].name == name {
			return &ciphers[i], true
		}
	}
	return nil, false
}

// Name is the cipher's RFC 2831 name.
func (c *Cipher) Name() string { return c.name }

// SSF is the cipher's security strength factor, as Cyrus SASL counts it.
func (c *Cipher) SSF() int { return c.ssf }

// BlockSize is 8 for des and 3des, 0 for the RC4 ciphers.
func (c *Cipher) BlockSize() int { return c.block }

// sealer is one direction of a cipher, keeping its state (the RC4 stream
// or the CBC chaining value) across messages. process returns the new
// state without changing the old one, so a message that fails its MAC
// leaves the stream where it was.
type sealer interface {
	process(dst, src []byte) sealer
}

type rc4Sealer struct{ c rc4.Cipher }

func newRC4(kc [16]byte, _ bool) (sealer, error) {
	// RFC 2831 section 2.4: every rc4 variant keys RC4 with all of Kc.
	c, err := rc4.NewCipher(kc[:])
	if err != nil {
		return nil, err
	}
	return &rc4Sealer{c: *c}, nil
}

func (s *rc4Sealer) process(dst, src []byte) sealer {
	next := &rc4Sealer{c: s.c}
	next.c.XORKeyStream(dst, src)
	return next
}

type cbcSealer struct {
	block   cipher.Block
	iv      [8]byte
	encrypt bool
}

// desKey spreads 56 key bits over 8 bytes, seven to a byte with the low
// bit left for parity, the expansion RFC 2831 section 2.4 implies when it
// keys DES with 7 bytes of Kc. crypto/des ignores the parity bits.
func desKey(k []byte) []byte {
	var bits uint64
	for _, b := range k[:7] {
		bits = bits<<8 | uint64(b)
	}
	out := make([]byte, 8)
	for i := range out {
		out[i] = byte(bits>>(56-7*(i+1))) << 1
	}
	return out
}

func newDES(kc [16]byte, encrypt bool) (sealer, error) {
	b, err := des.NewCipher(desKey(kc[:7]))
	if err != nil {
		return nil, err
	}
	s := &cbcSealer{block: b, encrypt: encrypt}
	copy(s.iv[:], kc[8:]) // the IV is the last 8 bytes of Kc
	return s, nil
}

func new3DES(kc [16]byte, encrypt bool) (sealer, error) {
	// Two-key triple DES, EDE with K1 = Kc[0..6], K2 = Kc[7..13], K1.
	k1, k2 := desKey(kc[:7]), desKey(kc[7:14])
	b, err := des.NewTripleDESCipher(append(append(append([]byte(nil), k1...), k2...), k1...))
	if err != nil {
		return nil, err
	}
	s := &cbcSealer{block: b, encrypt: encrypt}
	copy(s.iv[:], kc[8:])
	return s, nil
}

func (s *cbcSealer) process(dst, src []byte) sealer {
	next := &cbcSealer{block: s.block, encrypt: s.encrypt}
	if s.encrypt {
		cipher.NewCBCEncrypter(s.block, s.iv[:]).CryptBlocks(dst, src)
		copy(next.iv[:], dst[len(dst)-8:])
	} else {
		copy(next.iv[:], src[len(src)-8:])
		cipher.NewCBCDecrypter(s.block, s.iv[:]).CryptBlocks(dst, src)
	}
	return next
}

// TrailerLen is what the integrity layer appends to a message: a 10-byte
// MAC, the 2-byte message type 1 and the 4-byte sequence number (RFC 2831
// section 2.3).
const TrailerLen = 16

// MaxSealOverhead is the most the confidentiality layer adds: up to 8
// bytes of padding, the 10-byte MAC, the type and sequence number.
const MaxSealOverhead = 8 + TrailerLen

// Errors of the security layer, which the engine maps to statuses.
var (
	// ErrSequence is a message whose sequence number is not the next
	// one: a replay, a reordering or a gap.
	ErrSequence = errors.New("digest: message out of sequence")
	// ErrAltered is a message whose MAC, padding or layout is wrong.
	ErrAltered = errors.New("digest: message altered")
)

// direction is one way of a security layer.
type direction struct {
	ki  [16]byte
	seq uint32
	s   sealer // nil for integrity only
}

// Layer is the security layer of one side of a DIGEST-MD5 session: it
// signs or seals what this side sends and checks what it receives, each
// direction with its own key and sequence number starting at 0.
type Layer struct {
	send, recv direction
	cipher     *Cipher
}

// NewLayer builds the layer for the initiator (client) or the acceptor,
// with cipher nil for auth-int and non-nil for auth-conf.
func NewLayer(ha1 [16]byte, initiator bool, c *Cipher) (*Layer, error) {
	k := DeriveKeys(ha1, c)
	l := &Layer{cipher: c}
	sendKi, recvKi, sendKc, recvKc := k.Kic, k.Kis, k.Kcc, k.Kcs
	if !initiator {
		sendKi, recvKi, sendKc, recvKc = k.Kis, k.Kic, k.Kcs, k.Kcc
	}
	l.send.ki, l.recv.ki = sendKi, recvKi
	if c != nil {
		var err error
		if l.send.s, err = c.newSeal(sendKc, true); err != nil {
			return nil, err
		}
		if l.recv.s, err = c.newSeal(recvKc, false); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Confidential reports whether the layer seals (auth-conf).
func (l *Layer) Confidential() bool { return l.cipher != nil }

// mac is HMAC(Ki, {SeqNum, msg})[0..9] (RFC 2831 section 2.3).
func mac(ki [16]byte, seq uint32, msg []byte) [10]byte {
	h := hmac.New(md5.New, ki[:])
	var s [4]byte
	binary.BigEndian.PutUint32(s[:], seq)
	h.Write(s[:])
	h.Write(msg)
	var out [10]byte
	copy(out[:], h.Sum(nil))
	return out
}

func putTrailerTail(dst []byte, seq uint32) {
	binary.BigEndian.PutUint16(dst, 1)
	binary.BigEndian.PutUint32(dst[2:], seq)
}

// Sign returns the 16-byte trailer that protects msg: MAC, type 1 and the
// sequence number, then advances the send sequence number.
func (l *Layer) Sign(msg []byte) [TrailerLen]byte {
	var t [TrailerLen]byte
	m := mac(l.send.ki, l.send.seq, msg)
	copy(t[:], m[:])
	putTrailerTail(t[10:], l.send.seq)
	l.send.seq++
	return t
}

// checkTail reads type and sequence number; the number must be the next
// one expected, or the message is a replay, reordered or after a gap.
func (l *Layer) checkTail(tail []byte) error {
	if binary.BigEndian.Uint16(tail) != 1 {
		return ErrAltered
	}
	if binary.BigEndian.Uint32(tail[2:]) != l.recv.seq {
		return ErrSequence
	}
	return nil
}

// Verify checks a trailer made by the peer's Sign over msg.
func (l *Layer) Verify(msg, trailer []byte) error {
	if len(trailer) != TrailerLen {
		return ErrAltered
	}
	if err := l.checkTail(trailer[10:]); err != nil {
		return err
	}
	m := mac(l.recv.ki, l.recv.seq, msg)
	if !hmac.Equal(m[:], trailer[:10]) {
		return ErrAltered
	}
	l.recv.seq++
	return nil
}

// SealedLen is the length Seal gives a message of n bytes.
func (l *Layer) SealedLen(n int) int {
	body := n + 10
	if b := l.cipher.block; b > 0 {
		body += b - body%b
	}
	return body + 6
}

// Seal encrypts msg with its MAC and padding and appends type and sequence
// number: CIPHER(Kc, {msg, pad, MAC}), 0x0001, SeqNum (RFC 2831 section
// 2.4). The result is a new slice of SealedLen(len(msg)) bytes.
func (l *Layer) Seal(msg []byte) ([]byte, error) {
	if l.cipher == nil {
		return nil, errors.New("digest: no confidentiality layer")
	}
	out := make([]byte, l.SealedLen(len(msg)))
	body := out[:len(out)-6]
	copy(body, msg)
	padLen := len(body) - len(msg) - 10
	for i := len(msg); i < len(msg)+padLen; i++ {
		body[i] = byte(padLen)
	}
	m := mac(l.send.ki, l.send.seq, msg)
	copy(body[len(body)-10:], m[:])
	l.send.s = l.send.s.process(body, body)
	putTrailerTail(out[len(body):], l.send.seq)
	l.send.seq++
	return out, nil
}

// Unseal checks and decrypts a token made by the peer's Seal and returns
// the message. On failure nothing changes: not the sequence number, not
// the cipher stream.
func (l *Layer) Unseal(token []byte) ([]byte, error) {
	if l.cipher == nil {
		return nil, errors.New("digest: no confidentiality layer")
	}
	if len(token) < TrailerLen {
		return nil, ErrAltered
	}
	body, tail := token[:len(token)-6], token[len(token)-6:]
	if b := l.cipher.block; b > 0 && len(body)%b != 0 {
		return nil, ErrAltered
	}
	if err := l.checkTail(tail); err != nil {
		return nil, err
	}
	plain := make([]byte, len(body))
	next := l.recv.s.process(plain, body)
	msgEnd := len(plain) - 10
	if b := l.cipher.block; b > 0 {
		pad := int(plain[msgEnd-1])
		if pad < 1 || pad > b || pad > msgEnd {
			return nil, ErrAltered
		}
		bad := 0
		for _, p := range plain[msgEnd-pad : msgEnd] {
			bad |= subtle.ConstantTimeByteEq(p, byte(pad)) ^ 1
		}
		if bad != 0 {
			return nil, ErrAltered
		}
		msgEnd -= pad
	}
	m := mac(l.recv.ki, l.recv.seq, plain[:msgEnd])
	if !hmac.Equal(m[:], plain[len(plain)-10:]) {
		return nil, ErrAltered
	}
	l.recv.s = next
	l.recv.seq++
	return plain[:msgEnd], nil
}
