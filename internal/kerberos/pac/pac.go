// Package pac reads the Privilege Attribute Certificate that Active
// Directory (and MIT krb5 since 1.20) puts in tickets, MS-PAC section 2:
// the PACTYPE container, the client information and UPN/DNS buffers, and
// the server and KDC signatures, which it can verify with the service's
// long-term key.
//
// It decodes KERB_VALIDATION_INFO, the NDR-encoded logon information
// with the user's and groups' SIDs, and S4U_DELEGATION_INFO (logon.go,
// over the bounded NDR reader of ndr.go), the PAC_ATTRIBUTES_INFO and
// PAC_REQUESTOR buffers. It does not decode the credentials (encrypted
// with the AS reply key), device and claims buffers: they are kept as
// bytes. It cannot verify the KDC signature, which needs the
// krbtgt key. Parse never panics and fails with *Error.
package pac

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf16"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
)

// Buffer types, MS-PAC section 2.4.
const (
	TypeLogonInfo           uint32 = 1
	TypeCredentials         uint32 = 2
	TypeServerChecksum      uint32 = 6
	TypePrivSvrChecksum     uint32 = 7
	TypeClientInfo          uint32 = 10
	TypeDelegationInfo      uint32 = 11
	TypeUPNDNSInfo          uint32 = 12
	TypeClientClaims        uint32 = 13
	TypeDeviceInfo          uint32 = 14
	TypeDeviceClaims        uint32 = 15
	TypeTicketChecksum      uint32 = 16
	TypeAttributes          uint32 = 17
	TypeRequestorSID        uint32 = 18
	TypeExtendedKDCChecksum uint32 = 19
)

// keyUsage is KERB_NON_KERB_CKSUM_SALT, the key usage of PAC signatures
// (MS-PAC section 2.8).
const keyUsage uint32 = 17

// Caps: a PAC is at most MaxSize bytes with at most maxBuffers buffers.
const (
	MaxSize    = 1 << 20
	maxBuffers = 64
)

// Error is every failure of this package.
type Error struct{ msg string }

// Error returns the message, prefixed "kerberos: ".
func (e *Error) Error() string { return "kerberos: PAC: " + e.msg }

func errorf(format string, args ...any) *Error { return &Error{msg: fmt.Sprintf(format, args...)} }

// ErrBadSignature is a PAC signature that does not verify.
var ErrBadSignature = errors.New("kerberos: PAC: signature does not verify")

// Buffer is one PAC_INFO_BUFFER and its data.
type Buffer struct {
	Type   uint32
	Offset uint64
	Data   []byte
}

// Signature is a PAC_SIGNATURE_DATA: a checksum type and value (MS-PAC
// section 2.8), with the value's position in the PAC for zeroing.
type Signature struct {
	Type    int32
	Value   []byte
	valueAt int
	present bool
}

// ClientInfo is PAC_CLIENT_INFO, MS-PAC section 2.7: the ticket's
// authtime and the client's name without realm.
type ClientInfo struct {
	ClientID time.Time
	Name     string
}

// UPNDNSInfo is UPN_DNS_INFO, MS-PAC section 2.10.
type UPNDNSInfo struct {
	UPN           string
	DNSDomainName string
	Flags         uint32
	// SAMName and SID are present when Flags has the S flag (2).
	SAMName string
	SID     []byte
}

// PAC is a parsed PACTYPE.
type PAC struct {
	Version uint32
	Buffers []Buffer
	// ServerChecksum and KDCChecksum are the signatures, when present.
	ServerChecksum Signature
	KDCChecksum    Signature
	ClientInfo     *ClientInfo
	UPNDNSInfo     *UPNDNSInfo
	// LogonInfo is the KERB_VALIDATION_INFO buffer, when present.
	LogonInfo *LogonInfo
	// DelegationInfo is the S4U_DELEGATION_INFO buffer, when present.
	DelegationInfo *DelegationInfo
	// Attributes is PAC_ATTRIBUTES_INFO's first flags word (MS-PAC
	// section 2.14), when HasAttributes.
	Attributes    uint32
	HasAttributes bool
	// Requestor is PAC_REQUESTOR's SID (MS-PAC section 2.15), when
	// present.
	Requestor *SID
	raw       []byte
}

// PAC_ATTRIBUTES_INFO flags, MS-PAC section 2.14.
const (
	AttributePACWasRequested       uint32 = 0x1
	AttributePACWasGivenImplicitly uint32 = 0x2
)

// Parse reads a PACTYPE, MS-PAC section 2.3:
//
//	cBuffers (4) Version (4) { ulType (4) cbBufferSize (4) Offset (8) }...
//
// every buffer inside the PAC and 8-byte aligned, all little-endian.
func Parse(b []byte) (*PAC, error) {
	if len(b) > MaxSize {
		return nil, errorf("%d bytes is above the %d-byte cap", len(b), MaxSize)
	}
	if len(b) < 8 {
		return nil, errorf("%d bytes is too short for a header", len(b))
	}
	n := binary.LittleEndian.Uint32(b)
	p := &PAC{Version: binary.LittleEndian.Uint32(b[4:]), raw: append([]byte{}, b...)}
	if p.Version != 0 {
		return nil, errorf("version %d, want 0", p.Version)
	}
	if n == 0 || n > maxBuffers {
		return nil, errorf("%d buffers", n)
	}
	if uint64(len(b)) < 8+16*uint64(n) {
		return nil, errorf("%d buffers do not fit in %d bytes", n, len(b))
	}
	for i := uint32(0); i < n; i++ {
		e := b[8+16*i:]
		typ, size, off := binary.LittleEndian.Uint32(e), binary.LittleEndian.Uint32(e[4:]), binary.LittleEndian.Uint64(e[8:])
		if off%8 != 0 || off < 8+16*uint64(n) || off > uint64(len(b)) || uint64(size) > uint64(len(b))-off {
			return nil, errorf("buffer %d (type %d) at %d+%d is outside the PAC", i, typ, off, size)
		}
		data := p.raw[off : off+uint64(size) : off+uint64(size)]
		p.Buffers = append(p.Buffers, Buffer{Type: typ, Offset: off, Data: data})
		var err error
		switch typ {
		case TypeServerChecksum, TypePrivSvrChecksum:
			sig := &p.ServerChecksum
			if typ == TypePrivSvrChecksum {
				sig = &p.KDCChecksum
			}
			if sig.present {
				return nil, errorf("two buffers of type %d", typ)
			}
			*sig, err = parseSignature(data, int(off))
		case TypeClientInfo:
			if p.ClientInfo != nil {
				return nil, errorf("two client info buffers")
			}
			p.ClientInfo, err = parseClientInfo(data)
		case TypeUPNDNSInfo:
			if p.UPNDNSInfo != nil {
				return nil, errorf("two UPN_DNS_INFO buffers")
			}
			p.UPNDNSInfo, err = parseUPNDNSInfo(data)
		case TypeLogonInfo:
			if p.LogonInfo != nil {
				return nil, errorf("two logon info buffers")
			}
			p.LogonInfo, err = ParseLogonInfo(data)
		case TypeDelegationInfo:
			if p.DelegationInfo != nil {
				return nil, errorf("two delegation info buffers")
			}
			p.DelegationInfo, err = ParseDelegationInfo(data)
		case TypeAttributes:
			if p.HasAttributes {
				return nil, errorf("two attributes buffers")
			}
			p.Attributes, err = parseAttributes(data)
			p.HasAttributes = err == nil
		case TypeRequestorSID:
			if p.Requestor != nil {
				return nil, errorf("two requestor buffers")
			}
			var s SID
			s, err = parseSID(data)
			p.Requestor = &s
		}
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

func parseSignature(b []byte, at int) (Signature, error) {
	if len(b) < 4 {
		return Signature{}, errorf("signature buffer of %d bytes", len(b))
	}
	s := Signature{Type: int32(binary.LittleEndian.Uint32(b)), valueAt: at + 4, present: true}
	size := len(b) - 4
	if c, ok := crypto.LookupChecksum(s.Type); ok {
		// A trailing RODCIdentifier may follow the value.
		if size < c.Size {
			return Signature{}, errorf("signature of type %d is %d bytes, want %d", s.Type, size, c.Size)
		}
		size = c.Size
	}
	s.Value = b[4 : 4+size : 4+size]
	return s, nil
}

func utf16le(b []byte) (string, error) {
	if len(b)%2 != 0 {
		return "", errorf("UTF-16 string of odd length %d", len(b))
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

// fileTimeToUnix is the seconds from 1601-01-01, the epoch of a Windows
// FILETIME, to 1970-01-01.
const fileTimeToUnix = 11644473600

func parseClientInfo(b []byte) (*ClientInfo, error) {
	if len(b) < 10 {
		return nil, errorf("client info of %d bytes", len(b))
	}
	ft := binary.LittleEndian.Uint64(b)
	n := int(binary.LittleEndian.Uint16(b[8:]))
	if n > len(b)-10 {
		return nil, errorf("client name of %d bytes overruns its buffer", n)
	}
	name, err := utf16le(b[10 : 10+n])
	if err != nil {
		return nil, err
	}
	// FILETIME counts 100 ns; the PAC's is the ticket's authtime, whole
	// seconds.
	secs := int64(ft / 1e7)
	return &ClientInfo{ClientID: time.Unix(secs-fileTimeToUnix, 0).UTC(), Name: name}, nil
}

func parseUPNDNSInfo(b []byte) (*UPNDNSInfo, error) {
	if len(b) < 12 {
		return nil, errorf("UPN_DNS_INFO of %d bytes", len(b))
	}
	field := func(lenAt, offAt int) (string, []byte, error) {
		n, off := int(binary.LittleEndian.Uint16(b[lenAt:])), int(binary.LittleEndian.Uint16(b[offAt:]))
		if off > len(b) || n > len(b)-off {
			return "", nil, errorf("UPN_DNS_INFO field at %d+%d overruns its buffer", off, n)
		}
		s, err := utf16le(b[off : off+n])
		return s, b[off : off+n], err
	}
	u := &UPNDNSInfo{Flags: binary.LittleEndian.Uint32(b[8:])}
	var err error
	if u.UPN, _, err = field(0, 2); err != nil {
		return nil, err
	}
	if u.DNSDomainName, _, err = field(4, 6); err != nil {
		return nil, err
	}
	if u.Flags&2 != 0 {
		if len(b) < 20 {
			return nil, errorf("UPN_DNS_INFO with the S flag is %d bytes", len(b))
		}
		if u.SAMName, _, err = field(12, 14); err != nil {
			return nil, err
		}
		n, off := int(binary.LittleEndian.Uint16(b[16:])), int(binary.LittleEndian.Uint16(b[18:]))
		if off > len(b) || n > len(b)-off {
			return nil, errorf("UPN_DNS_INFO SID overruns its buffer")
		}
		u.SID = append([]byte{}, b[off:off+n]...)
	}
	return u, nil
}

// parseAttributes reads PAC_ATTRIBUTES_INFO, MS-PAC section 2.14:
//
//	FlagsLength (4, in bits) Flags (4 * ceil(FlagsLength/32))
//
// and returns the first flags word, where the defined bits are.
func parseAttributes(b []byte) (uint32, error) {
	if len(b) < 8 {
		return 0, errorf("attributes buffer of %d bytes", len(b))
	}
	bits := binary.LittleEndian.Uint32(b)
	words := (uint64(bits) + 31) / 32
	if bits == 0 || uint64(len(b)-4) != 4*words {
		return 0, errorf("attributes of %d bits in %d bytes", bits, len(b))
	}
	return binary.LittleEndian.Uint32(b[4:]), nil
}

// parseSID reads a SID in its binary form, MS-DTYP section 2.4.2.2 (as in
// PAC_REQUESTOR, MS-PAC section 2.15): Revision, SubAuthorityCount,
// IdentifierAuthority (6, big-endian), SubAuthority (4 each,
// little-endian), with nothing after.
func parseSID(b []byte) (SID, error) {
	if len(b) < 8 {
		return SID{}, errorf("SID of %d bytes", len(b))
	}
	n := int(b[1])
	if b[0] != 1 || n > maxSubAuthorities || len(b) != 8+4*n {
		return SID{}, errorf("SID revision %d with %d sub-authorities in %d bytes", b[0], n, len(b))
	}
	s := SID{Revision: 1, SubAuthorities: make([]uint32, n)}
	copy(s.Authority[:], b[2:8])
	for i := range s.SubAuthorities {
		s.SubAuthorities[i] = binary.LittleEndian.Uint32(b[8+4*i:])
	}
	return s, nil
}

// VerifyServerChecksum checks the server signature with the service's
// long-term key, MS-PAC section 2.8.1: a keyed checksum (usage 17) over
// the whole PAC with the server and KDC signature values zeroed.
func (p *PAC) VerifyServerChecksum(key []byte) error {
	if !p.ServerChecksum.present || !p.KDCChecksum.present {
		return errorf("no server or KDC signature")
	}
	c, ok := crypto.LookupChecksum(p.ServerChecksum.Type)
	if !ok {
		return errorf("server signature of unknown type %d", p.ServerChecksum.Type)
	}
	zeroed := append([]byte{}, p.raw...)
	for _, s := range []Signature{p.ServerChecksum, p.KDCChecksum} {
		clear(zeroed[s.valueAt : s.valueAt+len(s.Value)])
	}
	if err := c.Verify(key, keyUsage, zeroed, p.ServerChecksum.Value); err != nil {
		if errors.Is(err, crypto.ErrIntegrity) {
			return ErrBadSignature
		}
		return errorf("%v", err)
	}
	return nil
}
