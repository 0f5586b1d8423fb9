package engine

import (
	"crypto/rand"
	"errors"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
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
	}
	m.enc = e
	if acceptor {
		m.sendSeq, m.recv.next = uint64(keys.AcceptorSeq), uint64(keys.InitiatorSeq)
	} else {
		m.sendSeq, m.recv.next = uint64(keys.InitiatorSeq), uint64(keys.AcceptorSeq)
	}
	return m, nil
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
	c, _ := crypto.LookupChecksum(m.enc.ChecksumType)
	return wire.TokenHeaderSize + c.Size
}

// MICSize is the length of a MIC token.
func (m *MessageLayer) MICSize() int {
	if m.rc4 {
		// 0x60, a one-byte length, the OID, TOK_ID, header, SND_SEQ and
		// SGN_CKSUM: 37, the cbMaxSignature Wine reports.
		return 1 + 1 + 11 + 2 + 6 + rc4SeqLen + rc4CksumLen
	}
	c, _ := crypto.LookupChecksum(m.enc.ChecksumType)
	return wire.TokenHeaderSize + c.Size
}

// Wrap makes a Wrap token of msg, RFC 4121 section 4.2.4, with RRC 0. A
// confidential token encrypts msg | EC filler | header (the filler is
// zeros; RFC 4121 leaves its value open).
func (m *MessageLayer) Wrap(msg []byte, conf bool) ([]byte, error) {
	if len(msg) > wire.MaxTokenSize-m.Overhead(conf) {
		return nil, sspi.Errorf(sspi.SEC_E_BUFFER_TOO_SMALL, "kerberos: %d-byte message is too long to wrap", len(msg))
	}
	if m.rc4 {
		return m.wrapRC4(msg, conf)
	}
	seal, _ := m.usages(true)
	h := wire.WrapHeader{Flags: m.sendFlags(), SeqNum: m.sendSeq}
	var out []byte
	if conf {
		h.Flags |= wire.FlagSealed
		ec := m.EC()
		h.EC = uint16(ec)
		hdr := h.Marshal()
		plain := make([]byte, len(msg)+ec, len(msg)+ec+len(hdr))
		copy(plain, msg)
		plain = append(plain, hdr...)
		c, err := m.enc.Encrypt(m.key.KeyValue, seal, plain)
		if err != nil {
			return nil, sspi.Errorf(sspi.SEC_E_ENCRYPT_FAILURE, "kerberos: %w", err)
		}
		out = append(hdr, c...)
	} else {
		sum, err := m.enc.Checksum(m.key.KeyValue, seal, append(append([]byte{}, msg...), h.Marshal()...))
		if err != nil {
			return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
		}
		h.EC = uint16(len(sum))
		out = append(append(h.Marshal(), msg...), sum...)
	}
	m.sendSeq++
	return out, nil
}

// Unwrap checks a Wrap token and returns the message and whether it was
// confidential. Statuses follow Wine's GSS-to-SSPI table: malformed is
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
// choice costs at most one extra decryption of a token that fails.
func (m *MessageLayer) Unwrap(tok []byte) ([]byte, bool, error) {
	if m.rc4 {
		return m.unwrapRC4(tok)
	}
	h, payload, err := wire.SplitWrapToken(tok)
	if err != nil {
		return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: %w", err)
	}
	if err := m.checkFlags(h.Flags); err != nil {
		return nil, false, err
	}
	if len(payload) == 0 {
		return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: empty Wrap token")
	}
	seal, _ := m.usages(false)
	var msg []byte
	conf := h.Flags&wire.FlagSealed != 0
	if conf {
		rotations := []int{int(h.RRC)}
		if h.EC != 0 {
			both := int(h.RRC) + int(h.EC)
			if m.dce {
				rotations = []int{both, int(h.RRC)}
			} else {
				rotations = append(rotations, both)
			}
		}
		var first error
		for _, r := range rotations {
			msg, err = m.openSealed(h, payload, r, seal)
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
		payload = rotateLeft(payload, int(h.RRC))
		c, _ := crypto.LookupChecksum(m.enc.ChecksumType)
		if int(h.EC) != c.Size || len(payload) < c.Size {
			return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: integrity-only Wrap token with EC %d, checksum size %d", h.EC, c.Size)
		}
		msg = payload[:len(payload)-c.Size]
		zeroed := h
		zeroed.EC, zeroed.RRC = 0, 0
		if c.Verify(m.key.KeyValue, seal, append(append([]byte{}, msg...), zeroed.Marshal()...), payload[len(msg):]) != nil {
			return nil, false, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: Wrap token checksum does not verify")
		}
	}
	if err := m.recv.check(h.SeqNum, m.replay, m.sequence); err != nil {
		return nil, false, err
	}
	return msg, conf, nil
}

// rotateLeft undoes a right rotation by n (RFC 4121 section 4.2.5) into a
// new slice.
func rotateLeft(b []byte, n int) []byte {
	n %= len(b)
	return append(append(make([]byte, 0, len(b)), b[n:]...), b[:n]...)
}

// openSealed decrypts a confidential Wrap token's payload rotated by
// rotation and checks the encrypted header copy: every field but RRC,
// which the sender may set after encrypting (RFC 4121 section 4.2.5 puts
// 0 in the copy; Heimdal also ignores it there).
func (m *MessageLayer) openSealed(h wire.WrapHeader, payload []byte, rotation int, usage uint32) ([]byte, error) {
	plain, err := m.enc.Decrypt(m.key.KeyValue, usage, rotateLeft(payload, rotation))
	if errors.Is(err, crypto.ErrIntegrity) {
		return nil, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: Wrap token does not verify")
	}
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: Wrap token: %w", err)
	}
	if len(plain) < int(h.EC)+wire.TokenHeaderSize {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: Wrap token shorter than its EC (%d) and header copy", h.EC)
	}
	var inner wire.WrapHeader
	if inner.Unmarshal(plain[len(plain)-wire.TokenHeaderSize:]) != nil {
		return nil, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: Wrap token's encrypted header copy is not a Wrap header")
	}
	inner.RRC = h.RRC
	if inner != h {
		return nil, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: Wrap token header differs from its encrypted copy")
	}
	return plain[:len(plain)-int(h.EC)-wire.TokenHeaderSize], nil
}

// MIC makes a MIC token over msg, RFC 4121 section 4.2.6.1.
func (m *MessageLayer) MIC(msg []byte) ([]byte, error) {
	if m.rc4 {
		return m.micRC4(msg)
	}
	_, sign := m.usages(true)
	h := wire.MICHeader{Flags: m.sendFlags(), SeqNum: m.sendSeq}
	hdr := h.Marshal()
	sum, err := m.enc.Checksum(m.key.KeyValue, sign, append(append([]byte{}, msg...), hdr...))
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	m.sendSeq++
	return append(hdr, sum...), nil
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
	_, sign := m.usages(false)
	c, _ := crypto.LookupChecksum(m.enc.ChecksumType)
	if c.Verify(m.key.KeyValue, sign, append(append([]byte{}, msg...), tok[:wire.TokenHeaderSize]...), sum) != nil {
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
