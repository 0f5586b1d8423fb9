package keys

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"math"
)

// Record layer sizes from RFC 8446 section 5.2 and RFC 5246 section 6.2.
const (
	recordHeaderLen     = 5
	maxPlaintext        = 1 << 14
	maxCiphertext13     = maxPlaintext + 256
	maxCiphertext12     = maxPlaintext + 2048
	explicitNonceLen12  = 8
	aad12Len            = 13
	recordVersionMajor  = 3
	recordVersionMinor  = 3
	typeApplicationData = 23
)

// Open and Seal return these shared values so that rejecting a record does
// not allocate: a peer sending garbage should not be able to create garbage.
var (
	errBadRecordMAC        = &AlertError{AlertBadRecordMAC, "record authentication failed"}
	errRecordOverflow      = &AlertError{AlertRecordOverflow, "record exceeds the maximum length"}
	errPlaintextOverflow   = &AlertError{AlertRecordOverflow, "decrypted record exceeds 2^14 bytes"}
	errNoContentType       = &AlertError{AlertUnexpectedMessage, "protected record has no content type"}
	errOuterType           = &AlertError{AlertUnexpectedMessage, "protected record is not of type application_data"}
	errShortHeader         = &AlertError{AlertDecodeError, "record shorter than its header"}
	errLengthMismatch      = &AlertError{AlertDecodeError, "record length field does not match the record"}
	errSequenceExhausted   = &AlertError{AlertInternalError, "record sequence number exhausted; the keys must be updated"}
	errSealTooLarge        = &AlertError{AlertInternalError, "plaintext exceeds 2^14 bytes"}
	errSealBufferTooSmall  = &AlertError{AlertInternalError, "buffer too small for the protected record"}
	errSealZeroContentType = &AlertError{AlertInternalError, "content type 0 cannot be protected in TLS 1.3"}
)

// RecordProtection holds one direction's AEAD, IV, sequence number, and
// version. It encrypts and decrypts records in the caller's buffer; the nonce
// and additional data are built in fixed arrays inside the struct so that
// protecting a record allocates nothing.
//
// A RecordProtection is not safe for concurrent use; each direction of a
// connection owns one.
type RecordProtection struct {
	aead          cipher.AEAD
	tls13         bool
	explicitNonce bool
	limit         uint64
	seq           uint64
	// iv is the TLS 1.3 IV or the TLS 1.2 fixed IV (4 bytes used for GCM,
	// all 12 for ChaCha20-Poly1305).
	iv    [12]byte
	nonce [12]byte
	aad   [aad12Len]byte
}

// NewRecordProtection13 keys TLS 1.3 record protection from a traffic secret.
func NewRecordProtection13(s *Suite, trafficSecret []byte) (*RecordProtection, error) {
	if !s.TLS13 {
		return nil, errors.New("keys: " + s.Name + " is not a TLS 1.3 suite")
	}
	key, iv := TrafficKeys(s, trafficSecret)
	aead, err := s.NewAEAD(key)
	clear(key)
	if err != nil {
		return nil, err
	}
	p := &RecordProtection{aead: aead, tls13: true, limit: s.recordLimit}
	copy(p.iv[:], iv)
	return p, nil
}

// NewRecordProtection12 keys TLS 1.2 record protection with one direction's
// key and fixed IV from KeyBlock12.
func NewRecordProtection12(s *Suite, key, fixedIV []byte) (*RecordProtection, error) {
	if s.TLS13 {
		return nil, errors.New("keys: " + s.Name + " is not a TLS 1.2 suite")
	}
	if len(fixedIV) != s.fixedIVLen12() {
		return nil, errors.New("keys: wrong fixed IV length for " + s.Name)
	}
	aead, err := s.NewAEAD(key)
	if err != nil {
		return nil, err
	}
	p := &RecordProtection{aead: aead, explicitNonce: s.ExplicitNonce, limit: s.recordLimit}
	copy(p.iv[:], fixedIV)
	return p, nil
}

// Overhead reports how many bytes Seal needs before the plaintext (the record
// header, plus the explicit nonce for TLS 1.2 GCM) and after it (the tag, plus
// the inner content type for TLS 1.3).
func (p *RecordProtection) Overhead() (header, trailer int) {
	switch {
	case p.tls13:
		return recordHeaderLen, p.aead.Overhead() + 1
	case p.explicitNonce:
		return recordHeaderLen + explicitNonceLen12, p.aead.Overhead()
	default:
		return recordHeaderLen, p.aead.Overhead()
	}
}

// Sequence returns how many records this direction has protected or opened.
func (p *RecordProtection) Sequence() uint64 { return p.seq }

// Limit is the number of records one key should protect before it is
// replaced, following RFC 8446 section 5.5: 2^24 for AES-GCM (the RFC's
// 2^24.5 full-size records, rounded down) and 2^62 for ChaCha20-Poly1305,
// whose bound is never reached in practice. A TLS 1.3 sender compares
// Sequence against Limit to decide when to send a KeyUpdate; TLS 1.2 has no
// rekeying and can only close the connection.
func (p *RecordProtection) Limit() uint64 { return p.limit }

// xorNonce builds the per-record nonce of TLS 1.3 and of TLS 1.2
// ChaCha20-Poly1305: the IV with the sequence number XORed into its low bytes.
func (p *RecordProtection) xorNonce() {
	copy(p.nonce[:4], p.iv[:4])
	binary.BigEndian.PutUint64(p.nonce[4:], binary.BigEndian.Uint64(p.iv[4:])^p.seq)
}

// setAAD12 builds the TLS 1.2 additional data: seq_num, type, version, length.
// Open passes the version from the received header rather than the expected
// 0x0303, so that a record whose header was altered fails authentication.
func (p *RecordProtection) setAAD12(contentType, major, minor uint8, plaintextLen int) {
	binary.BigEndian.PutUint64(p.aad[:8], p.seq)
	p.aad[8] = contentType
	p.aad[9] = major
	p.aad[10] = minor
	binary.BigEndian.PutUint16(p.aad[11:], uint16(plaintextLen))
}

// Seal encrypts in place. buf[:header] is where the record header (and 1.2
// explicit nonce) goes, buf[header:header+n] is the plaintext, and buf must
// have at least trailer bytes after it (see Overhead). It writes the whole
// record and returns its length.
//
// TLS 1.3 records hide their type: contentType is appended to the plaintext
// and the outer header always says application_data. No padding is added.
// TLS 1.2 GCM records carry the sequence number as their explicit nonce,
// which is unique per key and so safe to reveal.
func (p *RecordProtection) Seal(buf []byte, contentType uint8, n int) (int, error) {
	if p.seq == math.MaxUint64 {
		return 0, errSequenceExhausted
	}
	if n < 0 || n > maxPlaintext {
		return 0, errSealTooLarge
	}
	header, trailer := p.Overhead()
	if len(buf) < header+n+trailer {
		return 0, errSealBufferTooSmall
	}
	tagLen := p.aead.Overhead()

	if p.tls13 {
		if contentType == 0 {
			return 0, errSealZeroContentType
		}
		buf[header+n] = contentType
		inner := n + 1
		buf[0] = typeApplicationData
		buf[1] = recordVersionMajor
		buf[2] = recordVersionMinor
		binary.BigEndian.PutUint16(buf[3:5], uint16(inner+tagLen))
		copy(p.aad[:recordHeaderLen], buf[:recordHeaderLen])
		p.xorNonce()
		p.aead.Seal(buf[header:header], p.nonce[:], buf[header:header+inner], p.aad[:recordHeaderLen])
		p.seq++
		return header + inner + tagLen, nil
	}

	fragmentLen := header - recordHeaderLen + n + tagLen
	buf[0] = contentType
	buf[1] = recordVersionMajor
	buf[2] = recordVersionMinor
	binary.BigEndian.PutUint16(buf[3:5], uint16(fragmentLen))
	if p.explicitNonce {
		binary.BigEndian.PutUint64(buf[recordHeaderLen:header], p.seq)
		copy(p.nonce[:4], p.iv[:4])
		copy(p.nonce[4:], buf[recordHeaderLen:header])
	} else {
		p.xorNonce()
	}
	p.setAAD12(contentType, recordVersionMajor, recordVersionMinor, n)
	p.aead.Seal(buf[header:header], p.nonce[:], buf[header:header+n], p.aad[:])
	p.seq++
	return recordHeaderLen + fragmentLen, nil
}

// Open decrypts one whole record (header included) in place and returns the
// real content type and the plaintext as a sub-slice of record.
//
// Failures are *AlertError values naming the alert to send. A record too short
// to hold a tag (and, for TLS 1.2 GCM, the explicit nonce) is reported as
// bad_record_mac, as it is indistinguishable from one that fails to
// authenticate.
func (p *RecordProtection) Open(record []byte) (contentType uint8, plaintext []byte, err error) {
	if p.seq == math.MaxUint64 {
		return 0, nil, errSequenceExhausted
	}
	if len(record) < recordHeaderLen {
		return 0, nil, errShortHeader
	}
	if int(binary.BigEndian.Uint16(record[3:5])) != len(record)-recordHeaderLen {
		return 0, nil, errLengthMismatch
	}
	if p.tls13 {
		return p.open13(record)
	}
	return p.open12(record)
}

func (p *RecordProtection) open13(record []byte) (uint8, []byte, error) {
	if record[0] != typeApplicationData {
		return 0, nil, errOuterType
	}
	payload := record[recordHeaderLen:]
	if len(payload) > maxCiphertext13 {
		return 0, nil, errRecordOverflow
	}
	copy(p.aad[:recordHeaderLen], record[:recordHeaderLen])
	p.xorNonce()
	inner, err := p.aead.Open(payload[:0], p.nonce[:], payload, p.aad[:recordHeaderLen])
	if err != nil {
		return 0, nil, errBadRecordMAC
	}
	// The record authenticated, so it consumed its sequence number whatever
	// its contents turn out to be.
	p.seq++
	// The content type is the last non-zero byte; zeros after it are padding
	// (RFC 8446, section 5.4).
	i := len(inner) - 1
	for i >= 0 && inner[i] == 0 {
		i--
	}
	if i < 0 {
		return 0, nil, errNoContentType
	}
	// RFC 8446 section 5.4: the content once padding is removed must not
	// exceed 2^14 bytes, and the whole TLSInnerPlaintext, padding included,
	// must not exceed 2^14+1.
	if i > maxPlaintext || len(inner) > maxPlaintext+1 {
		return 0, nil, errPlaintextOverflow
	}
	return inner[i], inner[:i], nil
}

func (p *RecordProtection) open12(record []byte) (uint8, []byte, error) {
	payload := record[recordHeaderLen:]
	if len(payload) > maxCiphertext12 {
		return 0, nil, errRecordOverflow
	}
	explicit := 0
	if p.explicitNonce {
		explicit = explicitNonceLen12
	}
	tagLen := p.aead.Overhead()
	if len(payload) < explicit+tagLen {
		return 0, nil, errBadRecordMAC
	}
	if p.explicitNonce {
		copy(p.nonce[:4], p.iv[:4])
		copy(p.nonce[4:], payload[:explicit])
	} else {
		p.xorNonce()
	}
	ciphertext := payload[explicit:]
	p.setAAD12(record[0], record[1], record[2], len(ciphertext)-tagLen)
	plaintext, err := p.aead.Open(ciphertext[:0], p.nonce[:], ciphertext, p.aad[:])
	if err != nil {
		return 0, nil, errBadRecordMAC
	}
	p.seq++
	if len(plaintext) > maxPlaintext {
		return 0, nil, errPlaintextOverflow
	}
	return record[0], plaintext, nil
}
