package wire

import "golang.org/x/crypto/cryptobyte"

// minRecordSizeLimit is the smallest record_size_limit RFC 8449 section 4
// allows; anything lower would make the peer fragment absurdly.
const minRecordSizeLimit = 64

// EncryptedExtensions carries the TLS 1.3 server's extensions that do not
// shape the key exchange (RFC 8446 section 4.3.1).
type EncryptedExtensions struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw []byte
	// ALPNProtocol is the selected protocol; empty means no ALPN.
	ALPNProtocol string
	// ServerNameAck is the empty server_name telling the client its SNI
	// was used.
	ServerNameAck bool
	// EarlyData reports that the server accepted 0-RTT data.
	EarlyData       bool
	SupportedGroups []uint16
	// RecordSizeLimit is the RFC 8449 limit; 0 means absent.
	RecordSizeLimit uint16
	// Extensions lists the extension types Unmarshal saw, in wire order.
	// Marshal ignores it.
	Extensions []uint16
}

// Marshal encodes the message from its fields, handshake header included,
// stores the result in m.Raw and returns it. The extension order follows
// RFC 8448 so its traces re-marshal byte for byte.
func (m *EncryptedExtensions) Marshal() ([]byte, error) {
	if m.RecordSizeLimit != 0 && m.RecordSizeLimit < minRecordSizeLimit {
		return nil, errMarshal("record_size_limit below 64")
	}
	out, err := sealHandshake(TypeEncryptedExtensions, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			if len(m.SupportedGroups) > 0 {
				addUint16ListExtension(b, ExtSupportedGroups, m.SupportedGroups)
			}
			if m.ALPNProtocol != "" {
				addALPNExtension(b, []string{m.ALPNProtocol})
			}
			if m.RecordSizeLimit != 0 {
				addExtension(b, ExtRecordSizeLimit, func(b *cryptobyte.Builder) {
					b.AddUint16(m.RecordSizeLimit)
				})
			}
			if m.ServerNameAck {
				addEmptyExtension(b, ExtServerName)
			}
			if m.EarlyData {
				addEmptyExtension(b, ExtEarlyData)
			}
		})
	})
	if err != nil {
		return nil, err
	}
	m.Raw = out
	return out, nil
}

// Unmarshal decodes a complete EncryptedExtensions message, handshake
// header included. On error m is left unchanged.
func (m *EncryptedExtensions) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeEncryptedExtensions)
	if err != nil {
		return err
	}
	var exts cryptobyte.String
	if !body.ReadUint16LengthPrefixed(&exts) || !body.Empty() {
		return errDecode("malformed encrypted_extensions")
	}
	var out EncryptedExtensions
	err = walkExtensions(exts, &out.Extensions, func(typ uint16, data cryptobyte.String) error {
		ok := true
		switch typ {
		case ExtALPN:
			ok = readSingleALPN(data, &out.ALPNProtocol)
		case ExtServerName:
			ok, out.ServerNameAck = readEmpty(data), true
		case ExtEarlyData:
			ok, out.EarlyData = readEmpty(data), true
		case ExtSupportedGroups:
			ok = readUint16List(data, &out.SupportedGroups)
		case ExtRecordSizeLimit:
			if ok = readUint16Value(data, &out.RecordSizeLimit); ok && out.RecordSizeLimit < minRecordSizeLimit {
				return errIllegal("record_size_limit below 64")
			}
		}
		if !ok {
			return badExtension(typ)
		}
		return nil
	})
	if err != nil {
		return err
	}
	out.Raw = cloneBytes(msg)
	*m = out
	return nil
}

// CertificateRequest13 is the TLS 1.3 CertificateRequest (RFC 8446
// section 4.3.2).
type CertificateRequest13 struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw []byte
	// Context is echoed in the client's Certificate; it tells apart
	// concurrent post-handshake requests.
	Context []byte
	// SignatureAlgorithms is mandatory in this message.
	SignatureAlgorithms     []uint16
	SignatureAlgorithmsCert []uint16
	// CertificateAuthorities holds DER distinguished names.
	CertificateAuthorities [][]byte
	// Extensions lists the extension types Unmarshal saw, in wire order.
	// Marshal ignores it.
	Extensions []uint16
}

// Marshal encodes the message from its fields, handshake header included,
// stores the result in m.Raw and returns it.
func (m *CertificateRequest13) Marshal() ([]byte, error) {
	if len(m.SignatureAlgorithms) == 0 {
		return nil, errMarshal("certificate_request needs signature_algorithms")
	}
	out, err := sealHandshake(TypeCertificateRequest, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(m.Context)
		})
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			addUint16ListExtension(b, ExtSignatureAlgorithms, m.SignatureAlgorithms)
			if len(m.SignatureAlgorithmsCert) > 0 {
				addUint16ListExtension(b, ExtSignatureAlgorithmsCert, m.SignatureAlgorithmsCert)
			}
			if len(m.CertificateAuthorities) > 0 {
				addExtension(b, ExtCertificateAuthorities, func(b *cryptobyte.Builder) {
					addDistinguishedNames(b, m.CertificateAuthorities)
				})
			}
		})
	})
	if err != nil {
		return nil, err
	}
	m.Raw = out
	return out, nil
}

// Unmarshal decodes a complete TLS 1.3 CertificateRequest, handshake
// header included. On error m is left unchanged.
func (m *CertificateRequest13) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeCertificateRequest)
	if err != nil {
		return err
	}
	var context, exts cryptobyte.String
	if !body.ReadUint8LengthPrefixed(&context) || !body.ReadUint16LengthPrefixed(&exts) || !body.Empty() {
		return errDecode("malformed certificate_request")
	}
	out := CertificateRequest13{Context: cloneBytes(context)}
	err = walkExtensions(exts, &out.Extensions, func(typ uint16, data cryptobyte.String) error {
		ok := true
		switch typ {
		case ExtSignatureAlgorithms:
			ok = readUint16List(data, &out.SignatureAlgorithms)
		case ExtSignatureAlgorithmsCert:
			ok = readUint16List(data, &out.SignatureAlgorithmsCert)
		case ExtCertificateAuthorities:
			ok = readDistinguishedNames(&data, &out.CertificateAuthorities, false) && data.Empty()
		}
		if !ok {
			return badExtension(typ)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if out.SignatureAlgorithms == nil {
		return &Error{Alert: AlertMissingExtension, Msg: "certificate_request without signature_algorithms"}
	}
	out.Raw = cloneBytes(msg)
	*m = out
	return nil
}

// CertificateEntry is one certificate of a TLS 1.3 Certificate message.
type CertificateEntry struct {
	// Data is the DER certificate (or raw public key).
	Data []byte
	// Extensions is the entry's extensions block without its length
	// prefix. It stays opaque because OCSP staples and SCTs are the
	// certificate verifier's business; Unmarshal still checks that it is
	// well formed and free of duplicates.
	Extensions []byte
}

// Certificate13 is the TLS 1.3 Certificate message (RFC 8446 section
// 4.4.2).
type Certificate13 struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw []byte
	// Context echoes the CertificateRequest context; empty in the
	// server's certificate.
	Context []byte
	// Entries is the chain, end entity first; empty when a client has no
	// certificate to offer.
	Entries []CertificateEntry
}

// Marshal encodes the message from its fields, handshake header included,
// stores the result in m.Raw and returns it.
func (m *Certificate13) Marshal() ([]byte, error) {
	for _, e := range m.Entries {
		if len(e.Data) == 0 {
			return nil, errMarshal("certificate entry has no data")
		}
	}
	out, err := sealHandshake(TypeCertificate, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(m.Context)
		})
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range m.Entries {
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddBytes(e.Data)
				})
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddBytes(e.Extensions)
				})
			}
		})
	})
	if err != nil {
		return nil, err
	}
	m.Raw = out
	return out, nil
}

// Unmarshal decodes a complete TLS 1.3 Certificate message, handshake
// header included. On error m is left unchanged.
func (m *Certificate13) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeCertificate)
	if err != nil {
		return err
	}
	var context, list cryptobyte.String
	if !body.ReadUint8LengthPrefixed(&context) || !body.ReadUint24LengthPrefixed(&list) || !body.Empty() {
		return errDecode("malformed certificate")
	}
	out := Certificate13{Context: cloneBytes(context)}
	for !list.Empty() {
		var data, exts cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&data) || data.Empty() || !list.ReadUint16LengthPrefixed(&exts) {
			return errDecode("malformed certificate entry")
		}
		ignore := func(uint16, cryptobyte.String) error { return nil }
		if err := walkExtensions(exts, nil, ignore); err != nil {
			return err
		}
		out.Entries = append(out.Entries, CertificateEntry{Data: cloneBytes(data), Extensions: cloneBytes(exts)})
	}
	out.Raw = cloneBytes(msg)
	*m = out
	return nil
}

// NewSessionTicket13 is the TLS 1.3 NewSessionTicket (RFC 8446 section
// 4.6.1).
type NewSessionTicket13 struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw []byte
	// Lifetime is in seconds.
	Lifetime uint32
	AgeAdd   uint32
	Nonce    []byte
	Ticket   []byte
	// MaxEarlyData is the early_data limit in bytes; 0 means absent.
	MaxEarlyData uint32
	// Extensions lists the extension types Unmarshal saw, in wire order.
	// Marshal ignores it.
	Extensions []uint16
}

// Marshal encodes the message from its fields, handshake header included,
// stores the result in m.Raw and returns it.
func (m *NewSessionTicket13) Marshal() ([]byte, error) {
	if len(m.Ticket) == 0 {
		return nil, errMarshal("new_session_ticket needs a ticket")
	}
	out, err := sealHandshake(TypeNewSessionTicket, func(b *cryptobyte.Builder) {
		b.AddUint32(m.Lifetime)
		b.AddUint32(m.AgeAdd)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(m.Nonce)
		})
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(m.Ticket)
		})
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			if m.MaxEarlyData != 0 {
				addExtension(b, ExtEarlyData, func(b *cryptobyte.Builder) {
					b.AddUint32(m.MaxEarlyData)
				})
			}
		})
	})
	if err != nil {
		return nil, err
	}
	m.Raw = out
	return out, nil
}

// Unmarshal decodes a complete TLS 1.3 NewSessionTicket, handshake header
// included. On error m is left unchanged.
func (m *NewSessionTicket13) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeNewSessionTicket)
	if err != nil {
		return err
	}
	var out NewSessionTicket13
	var nonce, ticket, exts cryptobyte.String
	if !body.ReadUint32(&out.Lifetime) || !body.ReadUint32(&out.AgeAdd) ||
		!body.ReadUint8LengthPrefixed(&nonce) || !body.ReadUint16LengthPrefixed(&ticket) ||
		!body.ReadUint16LengthPrefixed(&exts) || !body.Empty() {
		return errDecode("malformed new_session_ticket")
	}
	if ticket.Empty() {
		return errDecode("new_session_ticket has an empty ticket")
	}
	out.Nonce, out.Ticket = cloneBytes(nonce), cloneBytes(ticket)
	err = walkExtensions(exts, &out.Extensions, func(typ uint16, data cryptobyte.String) error {
		if typ == ExtEarlyData && !(data.ReadUint32(&out.MaxEarlyData) && data.Empty()) {
			return badExtension(typ)
		}
		return nil
	})
	if err != nil {
		return err
	}
	out.Raw = cloneBytes(msg)
	*m = out
	return nil
}

// KeyUpdate asks the peer to expect new traffic keys (RFC 8446 section
// 4.6.3).
type KeyUpdate struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw []byte
	// RequestUpdate asks the peer to update its sending keys in turn.
	RequestUpdate bool
}

// Marshal encodes the message, handshake header included, stores the
// result in m.Raw and returns it.
func (m *KeyUpdate) Marshal() ([]byte, error) {
	request := byte(0)
	if m.RequestUpdate {
		request = 1
	}
	m.Raw = []byte{byte(TypeKeyUpdate), 0, 0, 1, request}
	return m.Raw, nil
}

// Unmarshal decodes a complete KeyUpdate, handshake header included. On
// error m is left unchanged.
func (m *KeyUpdate) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeKeyUpdate)
	if err != nil {
		return err
	}
	var request uint8
	if !body.ReadUint8(&request) || !body.Empty() {
		return errDecode("malformed key_update")
	}
	// RFC 8446 section 4.6.3 names this alert for any other value.
	if request > 1 {
		return errIllegal("key_update request is neither 0 nor 1")
	}
	*m = KeyUpdate{Raw: cloneBytes(msg), RequestUpdate: request == 1}
	return nil
}

// EndOfEarlyData ends the client's 0-RTT data (RFC 8446 section 4.5). Its
// body is empty.
type EndOfEarlyData struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw []byte
}

// Marshal encodes the message, handshake header included, stores the
// result in m.Raw and returns it.
func (m *EndOfEarlyData) Marshal() ([]byte, error) {
	out, err := marshalEmpty(TypeEndOfEarlyData)
	m.Raw = out
	return out, err
}

// Unmarshal decodes a complete EndOfEarlyData, handshake header included.
// On error m is left unchanged.
func (m *EndOfEarlyData) Unmarshal(msg []byte) error {
	if err := unmarshalEmpty(msg, TypeEndOfEarlyData); err != nil {
		return err
	}
	m.Raw = cloneBytes(msg)
	return nil
}

// MessageHash returns the synthetic message_hash handshake message that
// replaces ClientHello1 in the transcript after a HelloRetryRequest (RFC
// 8446 section 4.4.1), so the server can stay stateless.
func MessageHash(hashOfClientHello1 []byte) []byte {
	msg := make([]byte, 0, HandshakeHeaderLen+len(hashOfClientHello1))
	msg = append(msg, byte(TypeMessageHash), 0, 0, byte(len(hashOfClientHello1)))
	return append(msg, hashOfClientHello1...)
}
