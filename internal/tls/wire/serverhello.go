package wire

import (
	"bytes"

	"golang.org/x/crypto/cryptobyte"
)

// ServerHello is the server's answer to a ClientHello (RFC 8446 section
// 4.1.3, RFC 5246 section 7.4.1.3), and also the HelloRetryRequest, which
// shares its encoding and differs only by its Random. Extensions are
// decoded regardless of which ones are legal in the negotiated version;
// the engine checks Extensions against what it offered.
type ServerHello struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal.
	Raw               []byte
	Vers              uint16
	Random            []byte
	SessionID         []byte
	CipherSuite       uint16
	CompressionMethod uint8
	// SupportedVersion is the supported_versions selection; 0 means the
	// extension is absent.
	SupportedVersion uint16
	// ServerShare is the key_share of a normal ServerHello, written when
	// its Data is non-empty.
	ServerShare KeyShare
	// SelectedGroup is the key_share of a HelloRetryRequest, written when
	// non-zero.
	SelectedGroup uint16
	Cookie        []byte
	// SelectedIdentityPresent writes pre_shared_key with SelectedIdentity.
	SelectedIdentityPresent      bool
	SelectedIdentity             uint16
	ExtendedMasterSecret         bool
	SecureRenegotiationSupported bool
	SecureRenegotiation          []byte
	ALPNProtocol                 string
	TicketSupported              bool
	ECPointFormats               []uint8
	// Extensions lists the extension types Unmarshal saw, in wire order,
	// including ones this package does not decode. Marshal ignores it.
	Extensions []uint16
}

// IsHelloRetryRequest reports whether the message is a HelloRetryRequest,
// which RFC 8446 section 4.1.3 marks by a fixed Random.
func (m *ServerHello) IsHelloRetryRequest() bool {
	return bytes.Equal(m.Random, HelloRetryRequestRandom)
}

// Marshal encodes the message from its fields, handshake header included,
// stores the result in m.Raw and returns it.
func (m *ServerHello) Marshal() ([]byte, error) {
	if len(m.Random) != randomLen {
		return nil, errMarshal("server_hello random must be 32 bytes")
	}
	if len(m.SessionID) > maxSessionIDLen {
		return nil, errMarshal("server_hello session ID longer than 32 bytes")
	}
	exts, err := m.marshalExtensions()
	if err != nil {
		return nil, errMarshal("cannot marshal server_hello extensions: " + err.Error())
	}
	out, err := sealHandshake(TypeServerHello, func(b *cryptobyte.Builder) {
		b.AddUint16(m.Vers)
		b.AddBytes(m.Random)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(m.SessionID)
		})
		b.AddUint16(m.CipherSuite)
		b.AddUint8(m.CompressionMethod)
		if len(exts) > 0 {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddBytes(exts)
			})
		}
	})
	if err != nil {
		return nil, err
	}
	m.Raw = out
	return out, nil
}

// marshalExtensions writes TLS 1.2 extensions first, then the TLS 1.3 ones
// in the order RFC 8448 shows (pre_shared_key, key_share, cookie,
// supported_versions) so those traces re-marshal byte for byte.
func (m *ServerHello) marshalExtensions() ([]byte, error) {
	var b cryptobyte.Builder
	if m.SecureRenegotiationSupported {
		addExtension(&b, ExtRenegotiationInfo, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddBytes(m.SecureRenegotiation)
			})
		})
	}
	if m.ExtendedMasterSecret {
		addEmptyExtension(&b, ExtExtendedMasterSecret)
	}
	if m.TicketSupported {
		addEmptyExtension(&b, ExtSessionTicket)
	}
	if len(m.ECPointFormats) > 0 {
		addUint8ListExtension(&b, ExtECPointFormats, m.ECPointFormats)
	}
	if m.ALPNProtocol != "" {
		addALPNExtension(&b, []string{m.ALPNProtocol})
	}
	if m.SelectedIdentityPresent {
		addExtension(&b, ExtPreSharedKey, func(b *cryptobyte.Builder) {
			b.AddUint16(m.SelectedIdentity)
		})
	}
	if m.IsHelloRetryRequest() {
		if m.SelectedGroup != 0 {
			addExtension(&b, ExtKeyShare, func(b *cryptobyte.Builder) {
				b.AddUint16(m.SelectedGroup)
			})
		}
	} else if len(m.ServerShare.Data) > 0 {
		addExtension(&b, ExtKeyShare, func(b *cryptobyte.Builder) {
			b.AddUint16(m.ServerShare.Group)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddBytes(m.ServerShare.Data)
			})
		})
	}
	if len(m.Cookie) > 0 {
		addExtension(&b, ExtCookie, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddBytes(m.Cookie)
			})
		})
	}
	if m.SupportedVersion != 0 {
		addExtension(&b, ExtSupportedVersions, func(b *cryptobyte.Builder) {
			b.AddUint16(m.SupportedVersion)
		})
	}
	return b.Bytes()
}

// Unmarshal decodes a complete ServerHello or HelloRetryRequest, handshake
// header included. On error m is left unchanged.
func (m *ServerHello) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeServerHello)
	if err != nil {
		return err
	}
	var out ServerHello
	var random []byte
	var sessionID cryptobyte.String
	if !body.ReadUint16(&out.Vers) || !body.ReadBytes(&random, randomLen) ||
		!body.ReadUint8LengthPrefixed(&sessionID) || !body.ReadUint16(&out.CipherSuite) ||
		!body.ReadUint8(&out.CompressionMethod) {
		return errDecode("malformed server_hello")
	}
	if len(sessionID) > maxSessionIDLen {
		return errDecode("server_hello session ID longer than 32 bytes")
	}
	out.Random = cloneBytes(random)
	out.SessionID = cloneBytes(sessionID)
	if !body.Empty() {
		var exts cryptobyte.String
		if !body.ReadUint16LengthPrefixed(&exts) || !body.Empty() {
			return errDecode("malformed server_hello extensions")
		}
		if err := out.unmarshalExtensions(exts); err != nil {
			return err
		}
	}
	out.Raw = cloneBytes(msg)
	*m = out
	return nil
}

func (m *ServerHello) unmarshalExtensions(exts cryptobyte.String) error {
	hrr := m.IsHelloRetryRequest()
	return walkExtensions(exts, &m.Extensions, func(typ uint16, data cryptobyte.String) error {
		ok := true
		switch typ {
		case ExtSupportedVersions:
			ok = readUint16Value(data, &m.SupportedVersion)
		case ExtKeyShare:
			if hrr {
				ok = readUint16Value(data, &m.SelectedGroup)
			} else {
				ok = readServerKeyShare(data, &m.ServerShare)
			}
		case ExtCookie:
			ok = readCookie(data, &m.Cookie)
		case ExtPreSharedKey:
			ok, m.SelectedIdentityPresent = readUint16Value(data, &m.SelectedIdentity), true
		case ExtExtendedMasterSecret:
			ok, m.ExtendedMasterSecret = readEmpty(data), true
		case ExtRenegotiationInfo:
			ok, m.SecureRenegotiationSupported = readOpaque8(data, &m.SecureRenegotiation), true
		case ExtALPN:
			ok = readSingleALPN(data, &m.ALPNProtocol)
		case ExtSessionTicket:
			ok, m.TicketSupported = readEmpty(data), true
		case ExtECPointFormats:
			ok = readUint8List(data, &m.ECPointFormats)
		}
		if !ok {
			return badExtension(typ)
		}
		return nil
	})
}

func readServerKeyShare(data cryptobyte.String, out *KeyShare) bool {
	var key cryptobyte.String
	if !data.ReadUint16(&out.Group) || !data.ReadUint16LengthPrefixed(&key) || !data.Empty() || key.Empty() {
		return false
	}
	out.Data = cloneBytes(key)
	return true
}
