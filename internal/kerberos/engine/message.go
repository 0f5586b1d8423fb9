package engine

import (
	"crypto/rand"
	"encoding/binary"
	"errors"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/iov"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// MessageLayer makes and checks the per-message tokens of an established
// context, RFC 4121 section 4.2: Wrap tokens (confidential or
// integrity-only) and MIC tokens, with sequence numbers and, when the
// context asked for them, replay and sequence detection.
//
// The key is the acceptor's subkey when the AP-REP had one (and tokens
// then carry FlagAcceptorSubkey), else the initiator's subkey (RFC 4121
// section 2). Usages follow the sender's role: Wrap tokens use the SEAL
// usages, with or without confidentiality, MIC tokens the SIGN usages.
//
// Sent tokens use RRC 0 as MIT does (the SSPI layer rotates them for
// its buffers); received tokens may use any RRC and EC (MS-KILE section
// 3.4.5.4.1 senders rotate, see Unwrap). In DCE style a confidential
// token carries EC filler bytes, as Windows and MIT send it (see Wrap).
// RC4-HMAC contexts use
// the RFC 1964 token format of RFC 4757 section 7 instead (message_rc4.go).
// It is not safe for concurrent use.
type MessageLayer struct {
	acceptor bool
	key      wire.EncryptionKey
	enc      *crypto.Enctype
	subkey   bool // the acceptor subkey is in use
	sendSeq  uint64
	recv     seqWindow
	// replay and sequence are the negotiated detection flags.
	replay, sequence bool
	// rc4 selects the RFC 1964 token format of RFC 4757 section 7.
	rc4 bool
	// dce is a DCE-style context (GSSDCEStyleFlag).
	dce  bool
	rand func([]byte) (int, error)
	// usageKeys are the derived keys of the four RFC 4121 usages
	// (acceptor seal and sign, initiator seal and sign), each made on
	// first use and kept for the context's life: index usage minus
	// UsageAcceptorSeal. A fixed array, so nothing a peer sends grows it.
	// RC4 contexts use rc4Keys instead.
	usageKeys [4]*crypto.UsageKey
	rc4Keys   *rc4Keys
	// hdr and mac are scratch for a header copy and a received tag,
	// kept here so that the per-message path allocates nothing.
	hdr [wire.TokenHeaderSize]byte
	mac [64]byte
}

// NewMessageLayer starts the message layer of a context from its keys.
func NewMessageLayer(keys ContextKeys, acceptor bool) (*MessageLayer, error) {
	m := &MessageLayer{
		rand:     rand.Read,
		acceptor: acceptor,
		replay:   keys.Flags&GSSReplayFlag != 0,
		sequence: keys.Flags&GSSSequenceFlag != 0,
		dce:      keys.Flags&GSSDCEStyleFlag != 0,
		key:      keys.InitiatorSubkey,
	}
	if keys.AcceptorSubkey != nil {
		m.key, m.subkey = *keys.AcceptorSubkey, true
	}
	e, ok := crypto.Lookup(m.key.KeyType)
	if !ok || len(m.key.KeyValue) != e.KeySize {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: context key of type %d is unusable", m.key.KeyType)
	}
	if e.ID == crypto.RC4HMAC {
		// RFC 4757 section 7: RC4 contexts use RFC 1964 tokens, keyed
		// with the initiator's subkey; as MIT does, an acceptor subkey
		// of the same enctype is not used (it is for RFC 4121 only).
		m.rc4 = true
		if m.subkey && keys.AcceptorSubkey.KeyType == keys.InitiatorSubkey.KeyType {
			m.key, m.subkey = keys.InitiatorSubkey, false
			e, _ = crypto.Lookup(m.key.KeyType)
		}
		if len(m.key.KeyValue) != 16 {
			return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: RC4 context key of %d bytes", len(m.key.KeyValue))
		}
		m.rc4Keys = newRC4Keys(m.key.KeyValue)
	}
	m.enc = e
	if acceptor {
		m.sendSeq, m.recv.next = uint64(keys.AcceptorSeq), uint64(keys.InitiatorSeq)
	} else {
		m.sendSeq, m.recv.next = uint64(keys.InitiatorSeq), uint64(keys.AcceptorSeq)
	}
	return m, nil
}

// usageKey returns the context's derived keys for usage, deriving them
// on first use.
func (m *MessageLayer) usageKey(usage uint32) (*crypto.UsageKey, error) {
	i := int(usage) - int(crypto.UsageAcceptorSeal)
	if i < 0 || i >= len(m.usageKeys) {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: key usage %d is not a GSS message usage", usage)
	}
	if m.usageKeys[i] == nil {
		k, err := m.enc.NewUsageKey(m.key.KeyValue, usage)
		if err != nil {
			return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
		}
		m.usageKeys[i] = k
	}
	return m.usageKeys[i], nil
}

func (m *MessageLayer) usages(sending bool) (seal, sign uint32) {
	fromAcceptor := m.acceptor == sending
	if fromAcceptor {
		return crypto.UsageAcceptorSeal, crypto.UsageAcceptorSign
	}
	return crypto.UsageInitiatorSeal, crypto.UsageInitiatorSign
}

func (m *MessageLayer) sendFlags() byte {
	var f byte
	if m.acceptor {
		f |= wire.FlagSentByAcceptor
	}
	if m.subkey {
		f |= wire.FlagAcceptorSubkey
	}
	return f
}

// DCE reports a DCE-style context.
func (m *MessageLayer) DCE() bool { return m.dce }

// EC is the extra count of the confidential Wrap tokens this layer makes:
// zero, as MIT sends, except in DCE style, where MS-KILE section 3.4.5.4.1
// says EC "must not be zero" for AES and "should" be one block (16), and
// MIT's DCE-style wrap agrees ("Windows rejects AEAD tokens with non-zero
// EC" is its comment, meaning a zero one).
func (m *MessageLayer) EC() int {
	if m.dce && !m.rc4 {
		// One cipher block: every RFC 4121 enctype here is AES, whose
		// confounder is one block.
		return m.enc.ConfounderSize
	}
	return 0
}

// Overhead is what a Wrap token adds to a message: the 16-byte header and,
// when confidential, the confounder, the EC filler, the encrypted header
// copy and the integrity tag; when not, the checksum. MIT's measured
// values are 60 and 28 for aes-sha1, 72 and 40 for aes-sha384
// (SSPI-PACKAGES.md); a DCE-style context adds EC, 76 for aes-sha1 (the
// cbSecurityTrailer Wine reports in DCE style).
func (m *MessageLayer) Overhead(conf bool) int {
	if m.rc4 {
		// An upper bound: the GSS frame (0x60, a DER length of at most
		// four bytes, the OID), TOK_ID, header, SND_SEQ, SGN_CKSUM,
		// confounder and pad byte: 49, the cbSecurityTrailer Wine reports.
		return 1 + 4 + 11 + 2 + 6 + rc4SeqLen + rc4CksumLen + rc4Confounder + 1
	}
	if conf {
		return wire.TokenHeaderSize + m.enc.ConfounderSize + m.EC() + wire.TokenHeaderSize + m.enc.TrailerSize
	}
	return wire.TokenHeaderSize + m.checksumSize()
}

// checksumSize is the length of the checksum of a MIC or integrity-only
// Wrap token: the AES enctypes' truncated HMAC, as long as their
// encryption tag (crypto.UsageKey.ChecksumSize), so no checksum-table
// lookup, which could miss, stands on the path.
func (m *MessageLayer) checksumSize() int { return m.enc.TrailerSize }

// MICSize is the length of a MIC token.
func (m *MessageLayer) MICSize() int {
	if m.rc4 {
		// 0x60, a one-byte length, the OID, TOK_ID, header, SND_SEQ and
		// SGN_CKSUM: 37, the cbMaxSignature Wine reports.
		return 1 + 1 + 11 + 2 + 6 + rc4SeqLen + rc4CksumLen
	}
	return wire.TokenHeaderSize + m.checksumSize()
}

// Wrap makes a Wrap token of msg, RFC 4121 section 4.2.4, with RRC 0,
// into a new slice. A confidential token encrypts msg | EC filler |
// header (the filler is zeros; RFC 4121 leaves its value open).
func (m *MessageLayer) Wrap(msg []byte, conf bool) ([]byte, error) {
	if err := m.checkWrapSize(msg, conf); err != nil {
		return nil, err
	}
	if m.rc4 {
		return m.wrapRC4(msg, conf)
	}
	// One allocation: the token is built where it will be sent and
	// encrypted there.
	out := make([]byte, m.Overhead(conf)+len(msg))
	hdr, body := out[:wire.TokenHeaderSize], out[wire.TokenHeaderSize:]
	if conf {
		c, t := m.enc.ConfounderSize, m.enc.TrailerSize
		copy(body[c:], msg)
		if err := m.seal(hdr, body[:c], body[c:c+len(msg)], body[c+len(msg):len(body)-t], body[len(body)-t:]); err != nil {
			return nil, err
		}
	} else {
		copy(body, msg)
		if err := m.sign(hdr, body[:len(msg)], body[len(msg):]); err != nil {
			return nil, err
		}
	}
	m.sendSeq++
	return out, nil
}

// WrapTo makes a Wrap token of data in place, laid out as Windows lays
// EncryptMessage's buffers (MS-KILE section 3.4.5.4.1): data is encrypted
// where it lies, and tok receives the header and the rest of the token,
// rotated right (RFC 4121 section 4.2.5) so that the token is tok[:n]
// followed by data, n being Overhead(conf). RRC is then the encrypted
// header copy with the tag for a confidential token (28 for aes-sha1, as
// Windows sends), the checksum for an integrity-only one (12); a
// DCE-style token's bytes are rotated by RRC+EC, as Windows sends it and
// MIT's DCE-style wrap copies it. RRC is outside both the checksum and
// the encrypted header copy, so setting it after the fact is what a
// rotating sender does.
func (m *MessageLayer) WrapTo(tok, data []byte, conf bool) (int, error) {
	if err := m.checkWrapSize(data, conf); err != nil {
		return 0, err
	}
	if m.rc4 {
		return 0, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "kerberos: RC4-HMAC tokens have no TOKEN and DATA layout")
	}
	n := m.Overhead(conf)
	if len(tok) < n {
		return 0, sspi.Errorf(sspi.SEC_E_BUFFER_TOO_SMALL, "kerberos: the TOKEN buffer needs %d bytes (cbSecurityTrailer), has %d", n, len(tok))
	}
	hdr, rest := tok[:wire.TokenHeaderSize], tok[wire.TokenHeaderSize:n]
	var rrc int
	if conf {
		// rest: EC filler | header copy | tag, then the confounder.
		c, t := m.enc.ConfounderSize, m.enc.TrailerSize
		rot := len(rest) - c
		if err := m.seal(hdr, rest[rot:], data, rest[:rot-t], rest[rot-t:rot]); err != nil {
			return 0, err
		}
		rrc = rot - m.EC()
	} else {
		// rest: the checksum.
		if err := m.sign(hdr, data, rest); err != nil {
			return 0, err
		}
		rrc = len(rest)
	}
	binary.BigEndian.PutUint16(hdr[rrcOffset:], uint16(rrc))
	m.sendSeq++
	return n, nil
}

// rrcOffset is where RRC sits in a Wrap header: TOK_ID(2) Flags(1)
// Filler(1) EC(2) RRC(2) SND_SEQ(8).
const rrcOffset = 6

func (m *MessageLayer) checkWrapSize(msg []byte, conf bool) error {
	if len(msg) > wire.MaxTokenSize-m.Overhead(conf) {
		return sspi.Errorf(sspi.SEC_E_BUFFER_TOO_SMALL, "kerberos: %d-byte message is too long to wrap", len(msg))
	}
	return nil
}

// seal writes a confidential Wrap token's header (RRC 0) into hdr and
// encrypts confounder | msg | tail in place, tail being the EC filler and
// the header copy, with the tag into mac.
func (m *MessageLayer) seal(hdr, confounder, msg, tail, mac []byte) error {
	usage, _ := m.usages(true)
	k, err := m.usageKey(usage)
	if err != nil {
		return err
	}
	h := wire.WrapHeader{Flags: m.sendFlags() | wire.FlagSealed, EC: uint16(m.EC()), SeqNum: m.sendSeq}
	h.MarshalTo(hdr)
	if _, err := m.rand(confounder); err != nil {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: reading a confounder: %w", err)
	}
	filler := len(tail) - wire.TokenHeaderSize
	clear(tail[:filler])
	copy(tail[filler:], hdr)
	segs := [...][]byte{confounder, msg, tail}
	if err := k.Seal(segs[:], mac); err != nil {
		return sspi.Errorf(sspi.SEC_E_ENCRYPT_FAILURE, "kerberos: %w", err)
	}
	return nil
}

// sign writes an integrity-only Wrap token's header into hdr and its
// checksum, over msg and the header with EC and RRC zero, into sum.
func (m *MessageLayer) sign(hdr, msg, sum []byte) error {
	usage, _ := m.usages(true)
	k, err := m.usageKey(usage)
	if err != nil {
		return err
	}
	h := wire.WrapHeader{Flags: m.sendFlags(), SeqNum: m.sendSeq}
	h.MarshalTo(hdr)
	if _, err := k.Checksum(sum[:0], msg, hdr); err != nil {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	h.EC = uint16(len(sum))
	h.MarshalTo(hdr)
	return nil
}

// Unwrap checks a Wrap token and returns the message, in a new slice, and
// whether it was confidential; tok is left as it was. See UnwrapIn.
func (m *MessageLayer) Unwrap(tok []byte) ([]byte, bool, error) {
	return m.UnwrapIn(append([]byte(nil), tok...), nil)
}

// UnwrapIn checks a Wrap token that is tok followed by data (data may be
// empty) and returns the message and whether it was confidential. It
// works in place: a confidential token is decrypted inside tok and data,
// and the message returned is where it lies in them (for EncryptMessage's
// layout, data itself), or a new slice in the rare layout that leaves it
// split between the two.
//
// Statuses follow Wine's GSS-to-SSPI table: malformed is
// SEC_E_INVALID_TOKEN, forged SEC_E_MESSAGE_ALTERED, a replay
// SEC_E_INVALID_TOKEN, a gap or reordering SEC_E_OUT_OF_SEQUENCE.
//
// The EC filler of a confidential token is encrypted with the message
// (RFC 4121 section 4.2.4) and dropped after decryption. Where the bytes
// were rotated is not the same for every sender: RFC 4121 section 4.2.5
// and MIT rotate by RRC, while MS-KILE section 3.4.5.4.1 says Windows
// rotates "by RRC+EC bytes, which is different from RRC alone" (MIT and
// Heimdal do so in DCE style: MIT's sender sets RRC 28 and rotates by 44
// with EC 16). With EC 0 the two agree. Otherwise the context's rotation
// (RRC+EC in DCE style, RRC elsewhere) is tried first and the other one
// after it; both are authenticated decryptions under the same key and
// usage, so a forger gains nothing from the second, and a sender's
// choice costs at most one extra decryption of a token that fails (and
// one encryption, which puts the bytes back for the second try).
func (m *MessageLayer) UnwrapIn(tok, data []byte) ([]byte, bool, error) {
	if m.rc4 {
		if len(data) > 0 {
			tok = append(append(make([]byte, 0, len(tok)+len(data)), tok...), data...)
		}
		return m.unwrapRC4(tok)
	}
	if len(tok) < wire.TokenHeaderSize || len(tok)+len(data) > wire.MaxTokenSize {
		return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: Wrap token of %d bytes", len(tok)+len(data))
	}
	var h wire.WrapHeader
	if err := h.Unmarshal(tok[:wire.TokenHeaderSize]); err != nil {
		return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: %w", err)
	}
	if err := m.checkFlags(h.Flags); err != nil {
		return nil, false, err
	}
	a := tok[wire.TokenHeaderSize:]
	if len(a)+len(data) == 0 {
		return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: empty Wrap token")
	}
	usage, _ := m.usages(false)
	k, err := m.usageKey(usage)
	if err != nil {
		return nil, false, err
	}
	var msg []byte
	conf := h.Flags&wire.FlagSealed != 0
	if conf {
		rotations := [2]int{int(h.RRC), -1}
		if h.EC != 0 {
			both := int(h.RRC) + int(h.EC)
			if m.dce {
				rotations = [2]int{both, int(h.RRC)}
			} else {
				rotations[1] = both
			}
		}
		var first error
		for _, r := range rotations {
			if r < 0 {
				break
			}
			msg, err = m.openSealed(k, h, unrotate(a, data, r))
			if err == nil {
				break
			}
			if first == nil {
				first = err
			}
		}
		if err != nil {
			return nil, false, first
		}
	} else {
		body := unrotate(a, data, int(h.RRC))
		c := m.checksumSize()
		n := len(a) + len(data)
		if int(h.EC) != c || n < c {
			return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: integrity-only Wrap token with EC %d, checksum size %d", h.EC, c)
		}
		text, sumSegs := cut(body, n-c)
		sum := m.mac[:c]
		iov.Gather(sum, sumSegs[:], 0)
		zeroed := h
		zeroed.EC, zeroed.RRC = 0, 0
		zeroed.MarshalTo(m.hdr[:])
		if k.VerifyChecksum(sum, text[0], text[1], text[2], m.hdr[:]) != nil {
			return nil, false, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: Wrap token checksum does not verify")
		}
		msg = joined(text, 0, n-c)
	}
	if err := m.recv.check(h.SeqNum, m.replay, m.sequence); err != nil {
		return nil, false, err
	}
	return msg, conf, nil
}

// segments is a byte string in up to three slices: a token body that is
// a followed by b, read after a left rotation.
type segments [3][]byte

// unrotate is a | b rotated left by n (undoing the sender's right
// rotation, RFC 4121 section 4.2.5), as segments of the same storage.
func unrotate(a, b []byte, n int) segments {
	total := len(a) + len(b)
	if total == 0 {
		return segments{}
	}
	n %= total
	if n <= len(a) {
		return segments{a[n:], b, a[:n]}
	}
	n -= len(a)
	return segments{b[n:], a, b[:n]}
}

// cut splits s at offset n.
func cut(s segments, n int) (head, tail segments) {
	for i, p := range s {
		switch {
		case n >= len(p):
			head[i] = p
			n -= len(p)
		default:
			head[i], tail[i] = p[:n], p[n:]
			n = 0
		}
	}
	return head, tail
}

// joined is the bytes [from, to) of s: a subslice of the segment that
// holds them all, else a new slice.
func joined(s segments, from, to int) []byte {
	_, rest := cut(s, from)
	want, _ := cut(rest, to-from)
	one := []byte{} // an empty message is not nil, as before
	parts := 0
	for _, p := range want {
		if len(p) > 0 {
			one = p
			parts++
		}
	}
	if parts > 1 {
		one = make([]byte, to-from)
		iov.Gather(one, want[:], 0)
	}
	return one
}

// openSealed decrypts a confidential Wrap token's rotated body in place
// and checks the encrypted header copy: every field but RRC, which the
// sender may set after encrypting (RFC 4121 section 4.2.5 puts 0 in the
// copy; Heimdal also ignores it there). When the tag does not verify,
// body holds the ciphertext as it was.
func (m *MessageLayer) openSealed(k *crypto.UsageKey, h wire.WrapHeader, body segments) ([]byte, error) {
	n := iov.Len(body[:])
	t := m.enc.TrailerSize
	if n < m.enc.ConfounderSize+t {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: Wrap token: %d-byte ciphertext is shorter than its %d-byte overhead", n, m.enc.ConfounderSize+t)
	}
	cipher, tagSegs := cut(body, n-t)
	tag := m.mac[:t]
	iov.Gather(tag, tagSegs[:], 0)
	err := k.Open(cipher[:], tag)
	if errors.Is(err, crypto.ErrIntegrity) {
		return nil, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: Wrap token does not verify")
	}
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: Wrap token: %w", err)
	}
	plain := n - t // confounder | message | EC filler | header copy
	if plain-m.enc.ConfounderSize < int(h.EC)+wire.TokenHeaderSize {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: Wrap token shorter than its EC (%d) and header copy", h.EC)
	}
	_, copySegs := cut(cipher, plain-wire.TokenHeaderSize)
	iov.Gather(m.hdr[:], copySegs[:], 0)
	var inner wire.WrapHeader
	if inner.Unmarshal(m.hdr[:]) != nil {
		return nil, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: Wrap token's encrypted header copy is not a Wrap header")
	}
	inner.RRC = h.RRC
	if inner != h {
		return nil, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: Wrap token header differs from its encrypted copy")
	}
	return joined(cipher, m.enc.ConfounderSize, plain-int(h.EC)-wire.TokenHeaderSize), nil
}

// MIC makes a MIC token over msg, RFC 4121 section 4.2.6.1, into a new
// slice.
func (m *MessageLayer) MIC(msg []byte) ([]byte, error) {
	tok := make([]byte, m.MICSize())
	n, err := m.MICTo(tok, msg)
	if err != nil {
		return nil, err
	}
	return tok[:n], nil
}

// MICTo makes a MIC token over msg into tok, which must hold MICSize
// bytes, and returns its length.
func (m *MessageLayer) MICTo(tok, msg []byte) (int, error) {
	if len(tok) < m.MICSize() {
		return 0, sspi.Errorf(sspi.SEC_E_BUFFER_TOO_SMALL, "kerberos: the TOKEN buffer needs %d bytes (cbMaxSignature), has %d", m.MICSize(), len(tok))
	}
	if m.rc4 {
		mic, err := m.micRC4(msg)
		if err != nil {
			return 0, err
		}
		return copy(tok, mic), nil
	}
	_, usage := m.usages(true)
	k, err := m.usageKey(usage)
	if err != nil {
		return 0, err
	}
	h := wire.MICHeader{Flags: m.sendFlags(), SeqNum: m.sendSeq}
	hdr := tok[:wire.TokenHeaderSize]
	h.MarshalTo(hdr)
	sum, err := k.Checksum(tok[wire.TokenHeaderSize:wire.TokenHeaderSize], msg, hdr)
	if err != nil {
		return 0, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	m.sendSeq++
	return wire.TokenHeaderSize + len(sum), nil
}

// VerifyMIC checks a MIC token over msg.
func (m *MessageLayer) VerifyMIC(msg, tok []byte) error {
	if m.rc4 {
		return m.verifyMICRC4(msg, tok)
	}
	h, sum, err := wire.SplitMICToken(tok)
	if err != nil {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: %w", err)
	}
	if err := m.checkFlags(h.Flags); err != nil {
		return err
	}
	_, usage := m.usages(false)
	k, err := m.usageKey(usage)
	if err != nil {
		return err
	}
	if k.VerifyChecksum(sum, msg, tok[:wire.TokenHeaderSize]) != nil {
		return sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: MIC does not verify")
	}
	return m.recv.check(h.SeqNum, m.replay, m.sequence)
}

// checkFlags refuses a token that claims the wrong direction or key:
// RFC 4121 section 4.2.2 (a reflected token is the attack it stops).
func (m *MessageLayer) checkFlags(f byte) error {
	if (f&wire.FlagSentByAcceptor != 0) == m.acceptor {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: token sent in our own direction (reflected?)")
	}
	if (f&wire.FlagAcceptorSubkey != 0) != m.subkey {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: token flags name the wrong subkey")
	}
	return nil
}

// seqWindow is replay and sequence detection over a 64-number window, as
// MIT's g_seqstate keeps it.
type seqWindow struct {
	next uint64 // the next expected number
	seen uint64 // bit i: next-1-i was received
}

func (w *seqWindow) check(n uint64, replay, sequence bool) error {
	switch {
	case n == w.next:
		w.seen = w.seen<<1 | 1
		w.next++
	case n > w.next:
		gap := n - w.next
		if gap >= 64 {
			w.seen = 1
		} else {
			w.seen = w.seen<<(gap+1) | 1
		}
		w.next = n + 1
		if sequence {
			return sspi.Errorf(sspi.SEC_E_OUT_OF_SEQUENCE, "kerberos: %d messages missing before sequence number %d", gap, n)
		}
	default:
		back := w.next - 1 - n
		if back < 64 && w.seen&(1<<back) != 0 {
			if replay {
				return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: replayed sequence number %d", n)
			}
			return nil
		}
		if back < 64 {
			w.seen |= 1 << back
		}
		if sequence {
			return sspi.Errorf(sspi.SEC_E_OUT_OF_SEQUENCE, "kerberos: sequence number %d arrived late", n)
		}
		if replay && back >= 64 {
			// Too old to tell: GSS_S_OLD_TOKEN, which Wine maps to
			// SEC_E_INVALID_TOKEN.
			return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: sequence number %d is older than the replay window", n)
		}
	}
	return nil
}
