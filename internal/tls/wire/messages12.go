package wire

import "golang.org/x/crypto/cryptobyte"

// curveTypeNamedCurve is the only ECParameters form RFC 8422 section 5.4
// still allows; explicit curves were deprecated.
const curveTypeNamedCurve = 3

// CertificateRequest12 is the TLS 1.2 CertificateRequest (RFC 5246
// section 7.4.4).
type CertificateRequest12 struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw                 []byte
	CertificateTypes    []uint8
	SignatureAlgorithms []uint16
	// CertificateAuthorities holds DER distinguished names; empty means
	// any CA.
	CertificateAuthorities [][]byte
}

// Marshal encodes the message, handshake header included, stores the
// result in m.Raw and returns it.
func (m *CertificateRequest12) Marshal() ([]byte, error) {
	if len(m.CertificateTypes) == 0 || len(m.SignatureAlgorithms) == 0 {
		return nil, errMarshal("certificate_request needs certificate types and signature algorithms")
	}
	out, err := sealHandshake(TypeCertificateRequest, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(m.CertificateTypes)
		})
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range m.SignatureAlgorithms {
				b.AddUint16(s)
			}
		})
		addDistinguishedNames(b, m.CertificateAuthorities)
	})
	if err != nil {
		return nil, err
	}
	m.Raw = out
	return out, nil
}

// Unmarshal decodes a complete TLS 1.2 CertificateRequest, handshake
// header included. On error m is left unchanged.
func (m *CertificateRequest12) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeCertificateRequest)
	if err != nil {
		return err
	}
	var out CertificateRequest12
	var types, sigs cryptobyte.String
	if !body.ReadUint8LengthPrefixed(&types) || types.Empty() ||
		!body.ReadUint16LengthPrefixed(&sigs) || sigs.Empty() || len(sigs)%2 != 0 ||
		!readDistinguishedNames(&body, &out.CertificateAuthorities, true) || !body.Empty() {
		return errDecode("malformed certificate_request")
	}
	out.CertificateTypes = cloneBytes(types)
	out.SignatureAlgorithms = make([]uint16, 0, len(sigs)/2)
	for !sigs.Empty() {
		var s uint16
		sigs.ReadUint16(&s)
		out.SignatureAlgorithms = append(out.SignatureAlgorithms, s)
	}
	out.Raw = cloneBytes(msg)
	*m = out
	return nil
}

// Certificate12 is the TLS 1.2 Certificate message (RFC 5246 section
// 7.4.2).
type Certificate12 struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw []byte
	// Certificates is the DER chain, end entity first; empty when a
	// client has no certificate to offer.
	Certificates [][]byte
}

// Marshal encodes the message, handshake header included, stores the
// result in m.Raw and returns it.
func (m *Certificate12) Marshal() ([]byte, error) {
	for _, c := range m.Certificates {
		if len(c) == 0 {
			return nil, errMarshal("certificate chain has an empty certificate")
		}
	}
	out, err := sealHandshake(TypeCertificate, func(b *cryptobyte.Builder) {
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, c := range m.Certificates {
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddBytes(c)
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

// Unmarshal decodes a complete TLS 1.2 Certificate message, handshake
// header included. On error m is left unchanged.
func (m *Certificate12) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeCertificate)
	if err != nil {
		return err
	}
	var list cryptobyte.String
	if !body.ReadUint24LengthPrefixed(&list) || !body.Empty() {
		return errDecode("malformed certificate")
	}
	var certs [][]byte
	for !list.Empty() {
		var cert cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&cert) || cert.Empty() {
			return errDecode("malformed certificate chain")
		}
		certs = append(certs, cloneBytes(cert))
	}
	*m = Certificate12{Raw: cloneBytes(msg), Certificates: certs}
	return nil
}

// NewSessionTicket12 is the RFC 5077 NewSessionTicket.
type NewSessionTicket12 struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw []byte
	// Lifetime is a hint in seconds; 0 means unspecified.
	Lifetime uint32
	// Ticket may be empty: a server that promised a ticket can still
	// decline to issue one (RFC 5077 section 3.3).
	Ticket []byte
}

// Marshal encodes the message, handshake header included, stores the
// result in m.Raw and returns it.
func (m *NewSessionTicket12) Marshal() ([]byte, error) {
	out, err := sealHandshake(TypeNewSessionTicket, func(b *cryptobyte.Builder) {
		b.AddUint32(m.Lifetime)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(m.Ticket)
		})
	})
	if err != nil {
		return nil, err
	}
	m.Raw = out
	return out, nil
}

// Unmarshal decodes a complete TLS 1.2 NewSessionTicket, handshake header
// included. On error m is left unchanged.
func (m *NewSessionTicket12) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeNewSessionTicket)
	if err != nil {
		return err
	}
	var lifetime uint32
	var ticket cryptobyte.String
	if !body.ReadUint32(&lifetime) || !body.ReadUint16LengthPrefixed(&ticket) || !body.Empty() {
		return errDecode("malformed new_session_ticket")
	}
	*m = NewSessionTicket12{Raw: cloneBytes(msg), Lifetime: lifetime, Ticket: cloneBytes(ticket)}
	return nil
}

// ServerKeyExchangeECDHE is the TLS 1.2 ServerKeyExchange for the ECDHE
// key exchanges (RFC 8422 section 5.4), signed with a TLS 1.2
// signature_algorithms scheme.
type ServerKeyExchangeECDHE struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw       []byte
	Group     uint16
	Public    []byte
	Scheme    uint16
	Signature []byte
}

// SignedParams returns the ServerECDHParams encoding, which the server
// signs after client_random and server_random.
func (m *ServerKeyExchangeECDHE) SignedParams() []byte {
	params := make([]byte, 0, 4+len(m.Public))
	params = append(params, curveTypeNamedCurve, byte(m.Group>>8), byte(m.Group), byte(len(m.Public)))
	return append(params, m.Public...)
}

// Marshal encodes the message, handshake header included, stores the
// result in m.Raw and returns it.
func (m *ServerKeyExchangeECDHE) Marshal() ([]byte, error) {
	if len(m.Public) == 0 || len(m.Public) > 255 {
		return nil, errMarshal("server_key_exchange public key must be 1 to 255 bytes")
	}
	out, err := sealHandshake(TypeServerKeyExchange, func(b *cryptobyte.Builder) {
		b.AddBytes(m.SignedParams())
		b.AddUint16(m.Scheme)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(m.Signature)
		})
	})
	if err != nil {
		return nil, err
	}
	m.Raw = out
	return out, nil
}

// Unmarshal decodes a complete ECDHE ServerKeyExchange, handshake header
// included. On error m is left unchanged.
func (m *ServerKeyExchangeECDHE) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeServerKeyExchange)
	if err != nil {
		return err
	}
	var out ServerKeyExchangeECDHE
	var curveType uint8
	var public, sig cryptobyte.String
	if !body.ReadUint8(&curveType) {
		return errDecode("malformed server_key_exchange")
	}
	if curveType != curveTypeNamedCurve {
		return errIllegal("server_key_exchange does not use a named curve")
	}
	if !body.ReadUint16(&out.Group) || !body.ReadUint8LengthPrefixed(&public) || public.Empty() ||
		!body.ReadUint16(&out.Scheme) || !body.ReadUint16LengthPrefixed(&sig) || !body.Empty() {
		return errDecode("malformed server_key_exchange")
	}
	out.Public, out.Signature = cloneBytes(public), cloneBytes(sig)
	out.Raw = cloneBytes(msg)
	*m = out
	return nil
}

// ClientKeyExchangeECDHE is the TLS 1.2 ClientKeyExchange for the ECDHE
// key exchanges (RFC 8422 section 5.7).
type ClientKeyExchangeECDHE struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw    []byte
	Public []byte
}

// Marshal encodes the message, handshake header included, stores the
// result in m.Raw and returns it.
func (m *ClientKeyExchangeECDHE) Marshal() ([]byte, error) {
	if len(m.Public) == 0 {
		return nil, errMarshal("client_key_exchange needs a public key")
	}
	out, err := sealHandshake(TypeClientKeyExchange, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(m.Public)
		})
	})
	if err != nil {
		return nil, err
	}
	m.Raw = out
	return out, nil
}

// Unmarshal decodes a complete ECDHE ClientKeyExchange, handshake header
// included. On error m is left unchanged.
func (m *ClientKeyExchangeECDHE) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeClientKeyExchange)
	if err != nil {
		return err
	}
	var public cryptobyte.String
	if !body.ReadUint8LengthPrefixed(&public) || public.Empty() || !body.Empty() {
		return errDecode("malformed client_key_exchange")
	}
	*m = ClientKeyExchangeECDHE{Raw: cloneBytes(msg), Public: cloneBytes(public)}
	return nil
}

// ServerHelloDone ends the TLS 1.2 server's first flight (RFC 5246 section
// 7.4.5). Its body is empty.
type ServerHelloDone struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw []byte
}

// Marshal encodes the message, handshake header included, stores the
// result in m.Raw and returns it.
func (m *ServerHelloDone) Marshal() ([]byte, error) {
	out, err := marshalEmpty(TypeServerHelloDone)
	m.Raw = out
	return out, err
}

// Unmarshal decodes a complete ServerHelloDone, handshake header included.
// On error m is left unchanged.
func (m *ServerHelloDone) Unmarshal(msg []byte) error {
	if err := unmarshalEmpty(msg, TypeServerHelloDone); err != nil {
		return err
	}
	m.Raw = cloneBytes(msg)
	return nil
}

// HelloRequest is the TLS 1.2 server's request to renegotiate (RFC 5246
// section 7.4.1.1). Its body is empty.
type HelloRequest struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw []byte
}

// Marshal encodes the message, handshake header included, stores the
// result in m.Raw and returns it.
func (m *HelloRequest) Marshal() ([]byte, error) {
	out, err := marshalEmpty(TypeHelloRequest)
	m.Raw = out
	return out, err
}

// Unmarshal decodes a complete HelloRequest, handshake header included.
// On error m is left unchanged.
func (m *HelloRequest) Unmarshal(msg []byte) error {
	if err := unmarshalEmpty(msg, TypeHelloRequest); err != nil {
		return err
	}
	m.Raw = cloneBytes(msg)
	return nil
}
