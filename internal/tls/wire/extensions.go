package wire

import (
	"strconv"

	"golang.org/x/crypto/cryptobyte"
)

// Extension types (RFC 8446 section 4.2 and the RFCs it cites).
const (
	ExtServerName              uint16 = 0
	ExtStatusRequest           uint16 = 5
	ExtSupportedGroups         uint16 = 10
	ExtECPointFormats          uint16 = 11
	ExtSignatureAlgorithms     uint16 = 13
	ExtALPN                    uint16 = 16
	ExtSCT                     uint16 = 18
	ExtExtendedMasterSecret    uint16 = 23
	ExtRecordSizeLimit         uint16 = 28
	ExtSessionTicket           uint16 = 35
	ExtPreSharedKey            uint16 = 41
	ExtEarlyData               uint16 = 42
	ExtSupportedVersions       uint16 = 43
	ExtCookie                  uint16 = 44
	ExtPSKModes                uint16 = 45
	ExtCertificateAuthorities  uint16 = 47
	ExtSignatureAlgorithmsCert uint16 = 50
	ExtKeyShare                uint16 = 51
	ExtRenegotiationInfo       uint16 = 0xff01
)

// uint16Set detects repeated extension types (or key_share groups). Real
// messages carry a handful, which a linear scan over a fixed array handles
// without allocating; past that a bitmap keeps a block stuffed with
// thousands of entries linear instead of quadratic. The bitmap is not
// simply always used because a Certificate message walks one extensions
// block per entry, and zeroing 8 KiB per entry would be the costly part.
type uint16Set struct {
	few  [16]uint16
	n    int
	many *[65536 / 64]uint64
}

// addNew records v and reports whether it was not yet present.
func (s *uint16Set) addNew(v uint16) bool {
	if s.many == nil {
		for _, seen := range s.few[:s.n] {
			if seen == v {
				return false
			}
		}
		if s.n < len(s.few) {
			s.few[s.n] = v
			s.n++
			return true
		}
		s.many = new([65536 / 64]uint64)
		for _, seen := range s.few {
			s.many[seen/64] |= 1 << (seen % 64)
		}
	}
	word, bit := v/64, uint64(1)<<(v%64)
	if s.many[word]&bit != 0 {
		return false
	}
	s.many[word] |= bit
	return true
}

// walkExtensions splits an extensions block (without its length prefix),
// rejects repeated types (RFC 8446 section 4.2), appends every type to
// *order when order is non-nil, and hands each body to visit. visit sees
// unknown types too and must ignore them, which is how GREASE and future
// extensions pass through.
func walkExtensions(block cryptobyte.String, order *[]uint16, visit func(typ uint16, data cryptobyte.String) error) error {
	var seen uint16Set
	for !block.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !block.ReadUint16(&typ) || !block.ReadUint16LengthPrefixed(&data) {
			return errDecode("malformed extensions block")
		}
		if !seen.addNew(typ) {
			// BoringSSL and crypto/tls answer a repeated extension with decode_error.
			return errDecode("duplicate extension " + strconv.Itoa(int(typ)))
		}
		if order != nil {
			*order = append(*order, typ)
		}
		if err := visit(typ, data); err != nil {
			return err
		}
	}
	return nil
}

// badExtension is the error for an extension whose body does not parse.
func badExtension(typ uint16) error {
	return errDecode("malformed extension " + strconv.Itoa(int(typ)))
}

// The read* helpers below decode a whole extension body and fail unless
// every byte was consumed. Lists the RFCs declare with a non-zero minimum
// length are refused when empty, which also keeps "absent" and "empty"
// from being two encodings of the same value.

func readEmpty(data cryptobyte.String) bool { return data.Empty() }

func readUint16List(data cryptobyte.String, out *[]uint16) bool {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() || list.Empty() || len(list)%2 != 0 {
		return false
	}
	*out = make([]uint16, 0, len(list)/2)
	for !list.Empty() {
		var v uint16
		list.ReadUint16(&v)
		*out = append(*out, v)
	}
	return true
}

// readVersionList decodes the ClientHello form of supported_versions,
// which unlike other uint16 lists has a one-byte length.
func readVersionList(data cryptobyte.String, out *[]uint16) bool {
	var list cryptobyte.String
	if !data.ReadUint8LengthPrefixed(&list) || !data.Empty() || list.Empty() || len(list)%2 != 0 {
		return false
	}
	*out = make([]uint16, 0, len(list)/2)
	for !list.Empty() {
		var v uint16
		list.ReadUint16(&v)
		*out = append(*out, v)
	}
	return true
}

func readUint8List(data cryptobyte.String, out *[]uint8) bool {
	var list cryptobyte.String
	if !data.ReadUint8LengthPrefixed(&list) || !data.Empty() || list.Empty() {
		return false
	}
	*out = cloneBytes(list)
	return true
}

func readUint16Value(data cryptobyte.String, out *uint16) bool {
	return data.ReadUint16(out) && data.Empty()
}

func readOpaque8(data cryptobyte.String, out *[]byte) bool {
	var v cryptobyte.String
	if !data.ReadUint8LengthPrefixed(&v) || !data.Empty() {
		return false
	}
	*out = cloneBytes(v)
	return true
}

func readCookie(data cryptobyte.String, out *[]byte) bool {
	var v cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&v) || !data.Empty() || v.Empty() {
		return false
	}
	*out = cloneBytes(v)
	return true
}

func readALPN(data cryptobyte.String, out *[]string) bool {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() || list.Empty() {
		return false
	}
	var protos []string
	for !list.Empty() {
		var proto cryptobyte.String
		if !list.ReadUint8LengthPrefixed(&proto) || proto.Empty() {
			return false
		}
		protos = append(protos, string(proto))
	}
	*out = protos
	return true
}

// readSingleALPN decodes the server's ALPN answer, which must name exactly
// one protocol (RFC 7301 section 3.1).
func readSingleALPN(data cryptobyte.String, out *string) bool {
	var protos []string
	if !readALPN(data, &protos) || len(protos) != 1 {
		return false
	}
	*out = protos[0]
	return true
}

// readDistinguishedNames decodes a list of DER distinguished names. The
// TLS 1.3 certificate_authorities extension requires at least one; the
// TLS 1.2 CertificateRequest carries the same list inline and allows none.
func readDistinguishedNames(data *cryptobyte.String, out *[][]byte, allowEmpty bool) bool {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || (!allowEmpty && list.Empty()) {
		return false
	}
	var names [][]byte
	for !list.Empty() {
		var dn cryptobyte.String
		if !list.ReadUint16LengthPrefixed(&dn) || dn.Empty() {
			return false
		}
		names = append(names, cloneBytes(dn))
	}
	*out = names
	return true
}

// The add* helpers write one extension, type and length prefix included.

func addExtension(b *cryptobyte.Builder, typ uint16, body cryptobyte.BuilderContinuation) {
	b.AddUint16(typ)
	b.AddUint16LengthPrefixed(body)
}

func addEmptyExtension(b *cryptobyte.Builder, typ uint16) {
	b.AddUint16(typ)
	b.AddUint16(0)
}

func addUint16ListExtension(b *cryptobyte.Builder, typ uint16, list []uint16) {
	addExtension(b, typ, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, v := range list {
				b.AddUint16(v)
			}
		})
	})
}

func addUint8ListExtension(b *cryptobyte.Builder, typ uint16, list []uint8) {
	addExtension(b, typ, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(list)
		})
	})
}

func addALPNExtension(b *cryptobyte.Builder, protos []string) {
	addExtension(b, ExtALPN, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, p := range protos {
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddBytes([]byte(p))
				})
			}
		})
	})
}

func addDistinguishedNames(b *cryptobyte.Builder, names [][]byte) {
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, dn := range names {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddBytes(dn)
			})
		}
	})
}
