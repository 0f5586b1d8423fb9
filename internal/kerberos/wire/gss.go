package wire

import (
	"bytes"
	"encoding/binary"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Token identifiers, RFC 4121 section 4.1 (context tokens, inherited from
// RFC 1964 section 1.1) and sections 4.2.6.1 and 4.2.6.2 (per-message).
const (
	TokAPReq    uint16 = 0x0100
	TokAPRep    uint16 = 0x0200
	TokKRBError uint16 = 0x0300
	TokMIC      uint16 = 0x0404
	TokWrap     uint16 = 0x0504
)

// krb5OID is 1.2.840.113554.1.2.2, the Kerberos V5 GSS-API mechanism of
// RFC 1964 section 1, as DER content octets.
var krb5OID = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}

// msKrb5OID is 1.2.840.48018.1.2.2, the OID Windows 2000 sent by mistake
// and that MS-KILE section 3.1.5.2 says acceptors must still take.
var msKrb5OID = []byte{0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02}

// GSSToken is a Kerberos context token in the RFC 2743 section 3.1
// framing:
//
//	[APPLICATION 0] IMPLICIT SEQUENCE {
//	        thisMech MechType,          -- 1.2.840.113554.1.2.2
//	        innerToken ANY }            -- TOK_ID (2 octets) || message
//
// RFC 1964 section 1.1 frames every Kerberos context token this way, the
// AP-REP and KRB-ERROR too, not only the initial one.
type GSSToken struct {
	// MSOID is true when the token named the Microsoft variant of the
	// mechanism OID; it is written back the same way.
	MSOID   bool
	TokID   uint16
	Message []byte
}

func (m *GSSToken) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1.Tag(0).Constructed()|0x40, func(b *cryptobyte.Builder) {
		oid := krb5OID
		if m.MSOID {
			oid = msKrb5OID
		}
		b.AddASN1(asn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oid) })
		b.AddUint16(m.TokID)
		b.AddBytes(m.Message)
	})
}

func (m *GSSToken) parse(s *cryptobyte.String) error {
	var inner, oid cryptobyte.String
	if !s.ReadASN1(&inner, asn1.Tag(0).Constructed()|0x40) {
		return errorf("not a GSS-API token (0x60 and a DER length)")
	}
	if !inner.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) {
		return errorf("GSS-API token has no mechanism OID")
	}
	switch {
	case bytes.Equal(oid, krb5OID):
		m.MSOID = false
	case bytes.Equal(oid, msKrb5OID):
		m.MSOID = true
	default:
		return errorf("GSS-API token is for another mechanism")
	}
	if !inner.ReadUint16(&m.TokID) {
		return errorf("GSS-API token has no TOK_ID")
	}
	m.Message = append([]byte{}, inner...)
	return nil
}

// Marshal frames the token.
func (m *GSSToken) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal reads a framed token; the frame's length must cover the input
// exactly.
func (m *GSSToken) Unmarshal(b []byte) error { return unmarshal(b, m) }

// Flags of the RFC 4121 section 4.2.2 per-message token header.
const (
	FlagSentByAcceptor byte = 0x01
	FlagSealed         byte = 0x02
	FlagAcceptorSubkey byte = 0x04
)

// TokenHeaderSize is the length of the MIC and Wrap token headers.
const TokenHeaderSize = 16

// MaxTokenSize bounds a per-message token; the SSPI layer never hands
// more than this to one call.
const MaxTokenSize = 1 << 24

// MICHeader is the header of a MIC token, RFC 4121 section 4.2.6.1:
//
//	Octet no   Name        Description
//	0..1     TOK_ID     Identification field: 04 04.
//	2        Flags      Attributes field.
//	3..7     Filler     Contains five octets of hex value FF.
//	8..15    SND_SEQ    Sequence number field in clear text,
//	                    expressed in big-endian order.
//	16..last SGN_CKSUM  Checksum of the "to-be-signed" data and
//	                    octet 0..15, as described in section 4.2.4.
type MICHeader struct {
	Flags  byte
	SeqNum uint64
}

// Marshal writes the 16-byte header.
func (h *MICHeader) Marshal() []byte {
	b := make([]byte, TokenHeaderSize)
	h.MarshalTo(b)
	return b
}

// MarshalTo writes the header into the first 16 bytes of b, for the
// per-message path, which makes no allocation.
func (h *MICHeader) MarshalTo(b []byte) {
	b = b[:TokenHeaderSize]
	binary.BigEndian.PutUint16(b, TokMIC)
	b[2] = h.Flags
	b[3], b[4], b[5], b[6], b[7] = 0xff, 0xff, 0xff, 0xff, 0xff
	binary.BigEndian.PutUint64(b[8:], h.SeqNum)
}

// Unmarshal reads exactly one 16-byte header. Unknown flag bits are kept;
// judging them is the engine's business (RFC 4121 section 4.2.2 says to
// ignore them).
func (h *MICHeader) Unmarshal(b []byte) error {
	if len(b) != TokenHeaderSize {
		return errorf("MIC token header is %d bytes, want %d", len(b), TokenHeaderSize)
	}
	if binary.BigEndian.Uint16(b) != TokMIC {
		return errorf("TOK_ID %04x is not a MIC token", binary.BigEndian.Uint16(b))
	}
	if !bytes.Equal(b[3:8], []byte{0xff, 0xff, 0xff, 0xff, 0xff}) {
		return errorf("MIC token filler is %x, not ff ff ff ff ff", b[3:8])
	}
	h.Flags = b[2]
	h.SeqNum = binary.BigEndian.Uint64(b[8:])
	return nil
}

// SplitMICToken separates a MIC token into its header and checksum.
func SplitMICToken(tok []byte) (MICHeader, []byte, error) {
	var h MICHeader
	if len(tok) < TokenHeaderSize || len(tok) > MaxTokenSize {
		return h, nil, errorf("MIC token of %d bytes", len(tok))
	}
	if err := h.Unmarshal(tok[:TokenHeaderSize]); err != nil {
		return h, nil, err
	}
	return h, tok[TokenHeaderSize:], nil
}

// WrapHeader is the header of a Wrap token, RFC 4121 section 4.2.6.2:
//
//	Octet no   Name        Description
//	0..1     TOK_ID    Identification field: 05 04.
//	2        Flags     Attributes field.
//	3        Filler    Contains the hex value FF.
//	4..5     EC        Contains the "extra count" field, in big-endian order.
//	6..7     RRC       Contains the "right rotation count" in big-endian order.
//	8..15    SND_SEQ   Sequence number field in clear text, in big-endian order.
//	16..last Data      Encrypted data for Wrap tokens with confidentiality,
//	                   or plaintext data followed by the checksum for
//	                   Wrap tokens without confidentiality.
type WrapHeader struct {
	Flags  byte
	EC     uint16
	RRC    uint16
	SeqNum uint64
}

// Marshal writes the 16-byte header.
func (h *WrapHeader) Marshal() []byte {
	b := make([]byte, TokenHeaderSize)
	h.MarshalTo(b)
	return b
}

// MarshalTo writes the header into the first 16 bytes of b.
func (h *WrapHeader) MarshalTo(b []byte) {
	b = b[:TokenHeaderSize]
	binary.BigEndian.PutUint16(b, TokWrap)
	b[2] = h.Flags
	b[3] = 0xff
	binary.BigEndian.PutUint16(b[4:], h.EC)
	binary.BigEndian.PutUint16(b[6:], h.RRC)
	binary.BigEndian.PutUint64(b[8:], h.SeqNum)
}

// Unmarshal reads exactly one 16-byte header.
func (h *WrapHeader) Unmarshal(b []byte) error {
	if len(b) != TokenHeaderSize {
		return errorf("Wrap token header is %d bytes, want %d", len(b), TokenHeaderSize)
	}
	if binary.BigEndian.Uint16(b) != TokWrap {
		return errorf("TOK_ID %04x is not a Wrap token", binary.BigEndian.Uint16(b))
	}
	if b[3] != 0xff {
		return errorf("Wrap token filler is %02x, not ff", b[3])
	}
	h.Flags = b[2]
	h.EC = binary.BigEndian.Uint16(b[4:])
	h.RRC = binary.BigEndian.Uint16(b[6:])
	h.SeqNum = binary.BigEndian.Uint64(b[8:])
	return nil
}

// SplitWrapToken separates a Wrap token into its header and the rest.
func SplitWrapToken(tok []byte) (WrapHeader, []byte, error) {
	var h WrapHeader
	if len(tok) < TokenHeaderSize || len(tok) > MaxTokenSize {
		return h, nil, errorf("Wrap token of %d bytes", len(tok))
	}
	if err := h.Unmarshal(tok[:TokenHeaderSize]); err != nil {
		return h, nil, err
	}
	return h, tok[TokenHeaderSize:], nil
}
