package wire

import "golang.org/x/crypto/cryptobyte"

// CertificateVerify proves possession of the certificate's private key
// (RFC 8446 section 4.4.3). TLS 1.2 with signature_algorithms (RFC 5246
// section 7.4.8) uses the same layout.
type CertificateVerify struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw       []byte
	Scheme    uint16
	Signature []byte
}

// Marshal encodes the message, handshake header included, stores the
// result in m.Raw and returns it.
func (m *CertificateVerify) Marshal() ([]byte, error) {
	out, err := sealHandshake(TypeCertificateVerify, func(b *cryptobyte.Builder) {
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

// Unmarshal decodes a complete CertificateVerify, handshake header
// included. On error m is left unchanged.
func (m *CertificateVerify) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeCertificateVerify)
	if err != nil {
		return err
	}
	var scheme uint16
	var sig cryptobyte.String
	if !body.ReadUint16(&scheme) || !body.ReadUint16LengthPrefixed(&sig) || !body.Empty() {
		return errDecode("malformed certificate_verify")
	}
	*m = CertificateVerify{Raw: cloneBytes(msg), Scheme: scheme, Signature: cloneBytes(sig)}
	return nil
}

// Finished carries the MAC over the transcript (RFC 8446 section 4.4.4,
// RFC 5246 section 7.4.9). Its length depends on the cipher suite, so the
// codec accepts any non-empty body and the engine checks the size.
type Finished struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw        []byte
	VerifyData []byte
}

// Marshal encodes the message, handshake header included, stores the
// result in m.Raw and returns it.
func (m *Finished) Marshal() ([]byte, error) {
	if len(m.VerifyData) == 0 {
		return nil, errMarshal("finished needs verify data")
	}
	out, err := sealHandshake(TypeFinished, func(b *cryptobyte.Builder) {
		b.AddBytes(m.VerifyData)
	})
	if err != nil {
		return nil, err
	}
	m.Raw = out
	return out, nil
}

// Unmarshal decodes a complete Finished, handshake header included. On
// error m is left unchanged.
func (m *Finished) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeFinished)
	if err != nil {
		return err
	}
	if body.Empty() {
		return errDecode("finished has no verify data")
	}
	*m = Finished{Raw: cloneBytes(msg), VerifyData: cloneBytes(body)}
	return nil
}
