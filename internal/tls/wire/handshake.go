package wire

import (
	"strconv"

	"golang.org/x/crypto/cryptobyte"
)

// Handshake framing sizes.
const (
	// HandshakeHeaderLen is the size of the type byte and 24-bit length
	// that precede every handshake message body.
	HandshakeHeaderLen = 4
	// MaxHandshakeMessage caps the body of any handshake message but a
	// Certificate. The 24-bit length field would allow 16 MiB; the engine
	// refuses to buffer that much from an unauthenticated peer.
	MaxHandshakeMessage = 65536
	// MaxCertificateMessage caps the body of a Certificate message, which
	// legitimately carries whole chains.
	MaxCertificateMessage = 262144
)

// HandshakeType is the type byte of a handshake message.
type HandshakeType uint8

// Handshake message types (RFC 8446 section 4 and RFC 5246 section 7.4).
const (
	TypeHelloRequest        HandshakeType = 0
	TypeClientHello         HandshakeType = 1
	TypeServerHello         HandshakeType = 2
	TypeNewSessionTicket    HandshakeType = 4
	TypeEndOfEarlyData      HandshakeType = 5
	TypeEncryptedExtensions HandshakeType = 8
	TypeCertificate         HandshakeType = 11
	TypeServerKeyExchange   HandshakeType = 12
	TypeCertificateRequest  HandshakeType = 13
	TypeServerHelloDone     HandshakeType = 14
	TypeCertificateVerify   HandshakeType = 15
	TypeClientKeyExchange   HandshakeType = 16
	TypeFinished            HandshakeType = 20
	TypeKeyUpdate           HandshakeType = 24
	TypeMessageHash         HandshakeType = 254
)

// String returns the RFC name of the handshake type.
func (t HandshakeType) String() string {
	switch t {
	case TypeHelloRequest:
		return "hello_request"
	case TypeClientHello:
		return "client_hello"
	case TypeServerHello:
		return "server_hello"
	case TypeNewSessionTicket:
		return "new_session_ticket"
	case TypeEndOfEarlyData:
		return "end_of_early_data"
	case TypeEncryptedExtensions:
		return "encrypted_extensions"
	case TypeCertificate:
		return "certificate"
	case TypeServerKeyExchange:
		return "server_key_exchange"
	case TypeCertificateRequest:
		return "certificate_request"
	case TypeServerHelloDone:
		return "server_hello_done"
	case TypeCertificateVerify:
		return "certificate_verify"
	case TypeClientKeyExchange:
		return "client_key_exchange"
	case TypeFinished:
		return "finished"
	case TypeKeyUpdate:
		return "key_update"
	case TypeMessageHash:
		return "message_hash"
	}
	return "HandshakeType(" + strconv.Itoa(int(t)) + ")"
}

// ParseHandshakeHeader decodes the first HandshakeHeaderLen bytes of b so
// the engine can tell how much more to buffer before a message is
// complete. ok is false when b is too short.
func ParseHandshakeHeader(b []byte) (typ HandshakeType, bodyLen int, ok bool) {
	if len(b) < HandshakeHeaderLen {
		return 0, 0, false
	}
	return HandshakeType(b[0]), int(b[1])<<16 | int(b[2])<<8 | int(b[3]), true
}

// openHandshake checks the header of a complete handshake message and
// returns its body. The declared length must cover the rest of msg exactly,
// so a message glued to the start of the next one is refused rather than
// silently truncated.
func openHandshake(msg []byte, want HandshakeType) (cryptobyte.String, error) {
	s := cryptobyte.String(msg)
	var typ uint8
	var body cryptobyte.String
	if !s.ReadUint8(&typ) || !s.ReadUint24LengthPrefixed(&body) {
		return nil, errDecode("truncated " + want.String() + " message")
	}
	if !s.Empty() {
		return nil, errDecode("trailing data after " + want.String() + " message")
	}
	if HandshakeType(typ) != want {
		return nil, &Error{Alert: AlertUnexpectedMessage, Msg: "expected " + want.String() + " message, got " + HandshakeType(typ).String()}
	}
	return body, nil
}

// sealHandshake frames the body written by addBody as a handshake message.
func sealHandshake(typ HandshakeType, addBody cryptobyte.BuilderContinuation) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddUint8(uint8(typ))
	b.AddUint24LengthPrefixed(addBody)
	out, err := b.Bytes()
	if err != nil {
		return nil, errMarshal("cannot marshal " + typ.String() + ": " + err.Error())
	}
	return out, nil
}

// cloneBytes copies b so a decoded message survives reuse of the input
// buffer. Empty input yields nil so that "absent" has one representation
// and decoded values compare equal regardless of how they were produced.
func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// Messages whose body is empty share one codec.

func marshalEmpty(typ HandshakeType) ([]byte, error) {
	return []byte{byte(typ), 0, 0, 0}, nil
}

func unmarshalEmpty(msg []byte, typ HandshakeType) error {
	body, err := openHandshake(msg, typ)
	if err != nil {
		return err
	}
	if !body.Empty() {
		return errDecode(typ.String() + " message has a non-empty body")
	}
	return nil
}
