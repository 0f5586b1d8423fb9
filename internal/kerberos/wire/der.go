package wire

import (
	"bytes"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Caps on what a peer can make a parser hold.
const (
	// MaxMessageSize bounds one encoded message. Tickets carrying large
	// PACs reach tens of kilobytes; 1 MiB is far above any real one.
	MaxMessageSize = 1 << 20
	// MaxSequence bounds the elements of any SEQUENCE OF.
	MaxSequence = 1024
	// maxNameComponents bounds the components of a PrincipalName.
	maxNameComponents = 32
)

// Error is every decoding or encoding failure of this package.
type Error struct {
	msg string
}

// Error returns the message, prefixed "kerberos: ".
func (e *Error) Error() string { return "kerberos: " + e.msg }

func errorf(format string, args ...any) *Error {
	return &Error{msg: fmt.Sprintf(format, args...)}
}

// generalString is the universal tag of GeneralString, which RFC 4120
// section 5.2.1 uses for KerberosString and Realm.
const generalString = asn1.Tag(27)

// appTag is an APPLICATION n constructed tag; every RFC 4120 message is
// wrapped in one.
func appTag(n int) asn1.Tag { return asn1.Tag(n) | 0x40 | 0x20 }

// ctxTag is the explicit [n] context tag of a SEQUENCE member.
func ctxTag(n int) asn1.Tag { return asn1.Tag(n).Constructed().ContextSpecific() }

// codec is what every message type implements: build writes one complete
// TLV, parse reads one and consumes it.
type codec interface {
	build(b *cryptobyte.Builder)
	parse(s *cryptobyte.String) error
}

func marshal(c codec) ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	c.build(b)
	out, err := b.Bytes()
	if err != nil {
		return nil, errorf("encoding: %v", err)
	}
	if len(out) > MaxMessageSize {
		return nil, errorf("encoding is %d bytes, above the %d-byte cap", len(out), MaxMessageSize)
	}
	return out, nil
}

// unmarshal decodes exactly one value from data into a fresh value and
// copies it to *m only on success.
func unmarshal[T any, PT interface {
	*T
	codec
}](data []byte, m PT) error {
	if len(data) > MaxMessageSize {
		return errorf("%d-byte message is above the %d-byte cap", len(data), MaxMessageSize)
	}
	s := cryptobyte.String(data)
	var v T
	if err := PT(&v).parse(&s); err != nil {
		return err
	}
	if !s.Empty() {
		return errorf("%d trailing bytes after %T", len(s), v)
	}
	*m = v
	return nil
}

// fieldError names the field of a failure.
func fieldError(field string, err error) error {
	if e, ok := err.(*Error); ok {
		return &Error{msg: field + ": " + e.msg}
	}
	return errorf("%s: %v", field, err)
}

// --- building ---

func addExplicit(b *cryptobyte.Builder, n int, f cryptobyte.BuilderContinuation) {
	b.AddASN1(ctxTag(n), f)
}

func addInt(b *cryptobyte.Builder, n int, v int64) {
	addExplicit(b, n, func(b *cryptobyte.Builder) { b.AddASN1Int64(v) })
}

func addString(b *cryptobyte.Builder, n int, v string) {
	addExplicit(b, n, func(b *cryptobyte.Builder) { buildString(b, v) })
}

func buildString(b *cryptobyte.Builder, v string) {
	b.AddASN1(generalString, func(b *cryptobyte.Builder) { b.AddBytes([]byte(v)) })
}

func addOctets(b *cryptobyte.Builder, n int, v []byte) {
	addExplicit(b, n, func(b *cryptobyte.Builder) { b.AddASN1OctetString(v) })
}

// kerberosTimeFormat is RFC 4120 section 5.2.3: GeneralizedTime in UTC
// with no fractional seconds, "YYYYMMDDHHMMSSZ".
const kerberosTimeFormat = "20060102150405Z"

func addTime(b *cryptobyte.Builder, n int, t time.Time) {
	addExplicit(b, n, func(b *cryptobyte.Builder) {
		u := t.UTC()
		if u.Year() < 0 || u.Year() > 9999 {
			b.SetError(errorf("time %v cannot be a KerberosTime", t))
			return
		}
		b.AddASN1(asn1.GeneralizedTime, func(b *cryptobyte.Builder) {
			b.AddBytes([]byte(u.Format(kerberosTimeFormat)))
		})
	})
}

// addFlags writes KerberosFlags as a 32-bit BIT STRING, RFC 4120 section
// 5.2.8; flags holds bit 0 in its most significant bit.
func addFlags(b *cryptobyte.Builder, n int, flags uint32) {
	addExplicit(b, n, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.BIT_STRING, func(b *cryptobyte.Builder) {
			b.AddUint8(0)
			b.AddUint32(flags)
		})
	})
}

// --- parsing ---

// readExplicit reads the mandatory [n] member.
func readExplicit(s *cryptobyte.String, n int) (cryptobyte.String, error) {
	var inner cryptobyte.String
	if !s.ReadASN1(&inner, ctxTag(n)) {
		return nil, errorf("missing or malformed [%d]", n)
	}
	return inner, nil
}

// readOptional reads the optional [n] member if it is next.
func readOptional(s *cryptobyte.String, n int) (cryptobyte.String, bool, error) {
	if !s.PeekASN1Tag(ctxTag(n)) {
		return nil, false, nil
	}
	inner, err := readExplicit(s, n)
	return inner, err == nil, err
}

// done checks that the inside of an explicit tag held one value only.
func done(inner cryptobyte.String, n int) error {
	if !inner.Empty() {
		return errorf("[%d] has %d extra bytes", n, len(inner))
	}
	return nil
}

func readInt64(s *cryptobyte.String, n int, lo, hi int64) (int64, error) {
	inner, err := readExplicit(s, n)
	if err != nil {
		return 0, err
	}
	return parseInt(inner, n, lo, hi)
}

func parseInt(inner cryptobyte.String, n int, lo, hi int64) (int64, error) {
	var v int64
	if !inner.ReadASN1Int64WithTag(&v, asn1.INTEGER) {
		return 0, errorf("[%d] is not a DER INTEGER", n)
	}
	if v < lo || v > hi {
		return 0, errorf("[%d] value %d is out of range", n, v)
	}
	return v, done(inner, n)
}

func readInt32(s *cryptobyte.String, n int) (int32, error) {
	v, err := readInt64(s, n, -1<<31, 1<<31-1)
	return int32(v), err
}

// readUInt32 reads a UInt32 (nonce, sequence number, kvno). Negative
// values are taken modulo 2^32: old MIT and Windows encoded these as
// signed 32-bit numbers, and RFC 4120 section 5.2.4 asks receivers to
// accept that.
func readUInt32(s *cryptobyte.String, n int) (uint32, error) {
	v, err := readInt64(s, n, -1<<31, 1<<32-1)
	return uint32(v), err
}

func readOptionalUInt32(s *cryptobyte.String, n int) (*uint32, error) {
	if !s.PeekASN1Tag(ctxTag(n)) {
		return nil, nil
	}
	v, err := readUInt32(s, n)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func readOptionalInt32(s *cryptobyte.String, n int) (*int32, error) {
	if !s.PeekASN1Tag(ctxTag(n)) {
		return nil, nil
	}
	v, err := readInt32(s, n)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// readMicroseconds reads a Microseconds value, 0..999999.
func readMicroseconds(s *cryptobyte.String, n int) (int32, error) {
	v, err := readInt64(s, n, 0, 999999)
	return int32(v), err
}

func parseString(s *cryptobyte.String, what string) (string, error) {
	var v cryptobyte.String
	if !s.ReadASN1(&v, generalString) {
		return "", errorf("%s is not a GeneralString", what)
	}
	return string(v), nil
}

func readString(s *cryptobyte.String, n int) (string, error) {
	inner, err := readExplicit(s, n)
	if err != nil {
		return "", err
	}
	v, err := parseString(&inner, fmt.Sprintf("[%d]", n))
	if err != nil {
		return "", err
	}
	return v, done(inner, n)
}

func readOptionalString(s *cryptobyte.String, n int) (*string, error) {
	if !s.PeekASN1Tag(ctxTag(n)) {
		return nil, nil
	}
	v, err := readString(s, n)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func readOctets(s *cryptobyte.String, n int) ([]byte, error) {
	inner, err := readExplicit(s, n)
	if err != nil {
		return nil, err
	}
	var v cryptobyte.String
	if !inner.ReadASN1(&v, asn1.OCTET_STRING) {
		return nil, errorf("[%d] is not an OCTET STRING", n)
	}
	return append([]byte{}, v...), done(inner, n)
}

func readOptionalOctets(s *cryptobyte.String, n int) ([]byte, error) {
	if !s.PeekASN1Tag(ctxTag(n)) {
		return nil, nil
	}
	return readOctets(s, n)
}

func readTime(s *cryptobyte.String, n int) (time.Time, error) {
	inner, err := readExplicit(s, n)
	if err != nil {
		return time.Time{}, err
	}
	var v cryptobyte.String
	if !inner.ReadASN1(&v, asn1.GeneralizedTime) {
		return time.Time{}, errorf("[%d] is not a GeneralizedTime", n)
	}
	if len(v) != len(kerberosTimeFormat) {
		return time.Time{}, errorf("[%d] %q is not a KerberosTime", n, string(v))
	}
	t, err := time.Parse(kerberosTimeFormat, string(v))
	if err != nil || t.Format(kerberosTimeFormat) != string(v) {
		return time.Time{}, errorf("[%d] %q is not a KerberosTime", n, string(v))
	}
	return t, done(inner, n)
}

// readOptionalTime returns the zero time when the member is absent.
func readOptionalTime(s *cryptobyte.String, n int) (time.Time, error) {
	if !s.PeekASN1Tag(ctxTag(n)) {
		return time.Time{}, nil
	}
	return readTime(s, n)
}

func readFlags(s *cryptobyte.String, n int) (uint32, error) {
	inner, err := readExplicit(s, n)
	if err != nil {
		return 0, err
	}
	var bs cryptobyte.String
	if !inner.ReadASN1(&bs, asn1.BIT_STRING) || len(bs) == 0 {
		return 0, errorf("[%d] is not a BIT STRING", n)
	}
	unused := bs[0]
	body := bs[1:]
	if unused > 7 || (len(body) == 0 && unused != 0) ||
		(len(body) > 0 && body[len(body)-1]&(1<<unused-1) != 0) {
		return 0, errorf("[%d] is a malformed BIT STRING", n)
	}
	var word [4]byte
	copy(word[:], body)
	return uint32(word[0])<<24 | uint32(word[1])<<16 | uint32(word[2])<<8 | uint32(word[3]), done(inner, n)
}

// readSequence enters a SEQUENCE (or SEQUENCE OF).
func readSequence(s *cryptobyte.String, what string) (cryptobyte.String, error) {
	var inner cryptobyte.String
	if !s.ReadASN1(&inner, asn1.SEQUENCE) {
		return nil, errorf("%s is not a SEQUENCE", what)
	}
	return inner, nil
}

// readApp enters an APPLICATION n wrapper and the SEQUENCE inside it.
func readApp(s *cryptobyte.String, n int, what string) (cryptobyte.String, error) {
	var outer cryptobyte.String
	if !s.ReadASN1(&outer, appTag(n)) {
		return nil, errorf("not a %s (APPLICATION %d)", what, n)
	}
	inner, err := readSequence(&outer, what)
	if err != nil {
		return nil, err
	}
	if !outer.Empty() {
		return nil, errorf("%s has %d bytes after its SEQUENCE", what, len(outer))
	}
	return inner, nil
}

// endSequence refuses members a SEQUENCE does not define.
func endSequence(s cryptobyte.String, what string) error {
	if !s.Empty() {
		return errorf("%s has %d unexpected bytes (tag 0x%02x)", what, len(s), s[0])
	}
	return nil
}

// parseSequenceOf reads every element of a SEQUENCE OF, at most MaxSequence.
func parseSequenceOf(s *cryptobyte.String, what string, each func(*cryptobyte.String) error) error {
	inner, err := readSequence(s, what)
	if err != nil {
		return err
	}
	for i := 0; !inner.Empty(); i++ {
		if i == MaxSequence {
			return errorf("%s has more than %d elements", what, MaxSequence)
		}
		if err := each(&inner); err != nil {
			return fieldError(fmt.Sprintf("%s[%d]", what, i), err)
		}
	}
	return nil
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}

// asn1SEQUENCE is the universal constructed SEQUENCE tag.
const asn1SEQUENCE = asn1.SEQUENCE

// addCodec writes an embedded value under the explicit tag [n].
func addCodec(b *cryptobyte.Builder, n int, c codec) {
	addExplicit(b, n, c.build)
}

// readCodec reads an embedded value under the mandatory tag [n].
func readCodec(s *cryptobyte.String, n int, c codec) error {
	inner, err := readExplicit(s, n)
	if err != nil {
		return err
	}
	if err := c.parse(&inner); err != nil {
		return err
	}
	return done(inner, n)
}

// buildApp writes an APPLICATION n SEQUENCE.
func buildApp(b *cryptobyte.Builder, n int, f cryptobyte.BuilderContinuation) {
	b.AddASN1(appTag(n), func(b *cryptobyte.Builder) {
		b.AddASN1(asn1SEQUENCE, f)
	})
}

// readVersion reads a pvno or *-vno member, which must be 5.
func readVersion(s *cryptobyte.String, n int, what string) error {
	if _, err := readInt64(s, n, PVNO, PVNO); err != nil {
		return fieldError(what+" pvno", err)
	}
	return nil
}

// readMsgType reads msg-type and checks it names the message it is in.
func readMsgType(s *cryptobyte.String, n int, want int, what string) error {
	if _, err := readInt64(s, n, int64(want), int64(want)); err != nil {
		return fieldError(what+" msg-type", err)
	}
	return nil
}
