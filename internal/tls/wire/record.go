package wire

import "strconv"

// Record layer sizes (RFC 8446 section 5.1 and 5.2, RFC 5246 section 6.2).
const (
	// RecordHeaderLen is the size of the type, version and length prefix
	// of every record.
	RecordHeaderLen = 5
	// MaxPlaintext is the largest plaintext fragment a record may carry.
	MaxPlaintext = 16384
	// MaxCiphertext13 is the largest TLS 1.3 record body: the plaintext
	// plus the content type byte, padding and AEAD expansion.
	MaxCiphertext13 = 16384 + 256
	// MaxCiphertext12 is the largest TLS 1.2 record body.
	MaxCiphertext12 = 16384 + 2048
)

// ContentType is the record content type.
type ContentType uint8

// Record content types (RFC 8446 section 5.1).
const (
	ContentChangeCipherSpec ContentType = 20
	ContentAlert            ContentType = 21
	ContentHandshake        ContentType = 22
	ContentApplicationData  ContentType = 23
)

// String returns the RFC name of the content type.
func (t ContentType) String() string {
	switch t {
	case ContentChangeCipherSpec:
		return "change_cipher_spec"
	case ContentAlert:
		return "alert"
	case ContentHandshake:
		return "handshake"
	case ContentApplicationData:
		return "application_data"
	}
	return "ContentType(" + strconv.Itoa(int(t)) + ")"
}

// ParseRecordHeader decodes the first RecordHeaderLen bytes of b. It only
// splits the fields; judging the type, version and length is the record
// layer's job because the limits depend on the connection's state. ok is
// false when b is too short.
func ParseRecordHeader(b []byte) (typ ContentType, version uint16, length int, ok bool) {
	if len(b) < RecordHeaderLen {
		return 0, 0, 0, false
	}
	return ContentType(b[0]), uint16(b[1])<<8 | uint16(b[2]), int(b[3])<<8 | int(b[4]), true
}

// AppendRecordHeader appends a record header to dst. length must be in
// [0, 65535]; callers bound it by MaxCiphertext12 long before that matters.
func AppendRecordHeader(dst []byte, typ ContentType, version uint16, length int) []byte {
	return append(dst, byte(typ), byte(version>>8), byte(version), byte(length>>8), byte(length))
}
