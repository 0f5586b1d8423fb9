package pac

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// SID is a Windows security identifier, MS-DTYP section 2.4.2.
type SID struct {
	Revision uint8
	// Authority is the 48-bit identifier authority, big-endian (5 is
	// NT AUTHORITY).
	Authority      [6]byte
	SubAuthorities []uint32
}

// String is the SID's "S-1-5-21-..." form (MS-DTYP section 2.4.2.1),
// the authority in decimal below 2^32 and in hex above.
func (s SID) String() string {
	var a uint64
	for _, b := range s.Authority {
		a = a<<8 | uint64(b)
	}
	var sb strings.Builder
	sb.WriteString("S-")
	sb.WriteString(strconv.Itoa(int(s.Revision)))
	sb.WriteByte('-')
	if a >= 1<<32 {
		sb.WriteString("0x")
		sb.WriteString(strings.ToUpper(strconv.FormatUint(a, 16)))
	} else {
		sb.WriteString(strconv.FormatUint(a, 10))
	}
	for _, sub := range s.SubAuthorities {
		sb.WriteByte('-')
		sb.WriteString(strconv.FormatUint(uint64(sub), 10))
	}
	return sb.String()
}

// WithRID is the SID of RID in the domain s: s with one more
// sub-authority.
func (s SID) WithRID(rid uint32) SID {
	out := SID{Revision: s.Revision, Authority: s.Authority, SubAuthorities: make([]uint32, len(s.SubAuthorities)+1)}
	copy(out.SubAuthorities, s.SubAuthorities)
	out.SubAuthorities[len(s.SubAuthorities)] = rid
	return out
}

// Clone is a copy that shares nothing with s.
func (s SID) Clone() SID {
	s.SubAuthorities = append([]uint32(nil), s.SubAuthorities...)
	return s
}

// Group attributes, MS-PAC section 2.2.1 (SE_GROUP_* of MS-DTYP).
const (
	GroupMandatory        uint32 = 0x00000001
	GroupEnabledByDefault uint32 = 0x00000002
	GroupEnabled          uint32 = 0x00000004
	GroupOwner            uint32 = 0x00000008
	GroupResource         uint32 = 0x20000000
)

// User flags of KERB_VALIDATION_INFO, MS-PAC section 2.5.
const (
	// LogonExtraSIDs (D): ExtraSids is populated.
	LogonExtraSIDs uint32 = 0x0020
	// LogonResourceGroups (H): ResourceGroupIds is populated.
	LogonResourceGroups uint32 = 0x0200
)

// GroupMembership is GROUP_MEMBERSHIP, MS-PAC section 2.2.2: a group's
// RID in some domain and its SE_GROUP attributes.
type GroupMembership struct {
	RID        uint32
	Attributes uint32
}

// SIDAndAttributes is KERB_SID_AND_ATTRIBUTES, MS-PAC section 2.2.1.
type SIDAndAttributes struct {
	SID        SID
	Attributes uint32
}

// LogonInfo is KERB_VALIDATION_INFO, the PAC's logon information (buffer
// type 1), MS-PAC section 2.5: who the user is to Windows and which groups
// the user is in. Times the PAC marks as never or unset (FILETIME 0 or
// 0x7FFFFFFFFFFFFFFF) are the zero time.Time.
type LogonInfo struct {
	LogonTime          time.Time
	LogoffTime         time.Time
	KickOffTime        time.Time
	PasswordLastSet    time.Time
	PasswordCanChange  time.Time
	PasswordMustChange time.Time

	// EffectiveName is the account (sAMAccountName) name.
	EffectiveName      string
	FullName           string
	LogonScript        string
	ProfilePath        string
	HomeDirectory      string
	HomeDirectoryDrive string

	LogonCount       uint16
	BadPasswordCount uint16
	// UserID and PrimaryGroupID are RIDs in LogonDomainID.
	UserID         uint32
	PrimaryGroupID uint32
	// GroupIDs are the user's groups, RIDs in LogonDomainID.
	GroupIDs  []GroupMembership
	UserFlags uint32
	// UserSessionKey is unused by Kerberos (zero), kept as sent.
	UserSessionKey [16]byte

	LogonServer     string
	LogonDomainName string
	LogonDomainID   SID

	UserAccountControl   uint32
	SubAuthStatus        uint32
	LastSuccessfulILogon time.Time
	LastFailedILogon     time.Time
	FailedILogonCount    uint32

	// ExtraSIDs are SIDs outside the logon domain (universal groups of
	// other domains, well-known SIDs such as S-1-18-1).
	ExtraSIDs []SIDAndAttributes
	// ResourceGroupDomainSID and ResourceGroupIDs are domain-local groups
	// of the resource domain, when the KDC compressed them (nil and empty
	// otherwise).
	ResourceGroupDomainSID *SID
	ResourceGroupIDs       []GroupMembership
}

// UserSID is the user's SID: the logon domain's SID and UserID.
func (l *LogonInfo) UserSID() SID { return l.LogonDomainID.WithRID(l.UserID) }

// GroupSIDs lists the SIDs of every group the logon info names, in the
// order of MS-PAC section 3.3.1's token construction: the groups of the
// logon domain, the extra SIDs, then the resource groups.
func (l *LogonInfo) GroupSIDs() []SID {
	out := make([]SID, 0, len(l.GroupIDs)+len(l.ExtraSIDs)+len(l.ResourceGroupIDs))
	for _, g := range l.GroupIDs {
		out = append(out, l.LogonDomainID.WithRID(g.RID))
	}
	for _, e := range l.ExtraSIDs {
		out = append(out, e.SID.Clone())
	}
	if l.ResourceGroupDomainSID != nil {
		for _, g := range l.ResourceGroupIDs {
			out = append(out, l.ResourceGroupDomainSID.WithRID(g.RID))
		}
	}
	return out
}

// Clone is a deep copy.
func (l *LogonInfo) Clone() *LogonInfo {
	c := *l
	c.GroupIDs = append([]GroupMembership(nil), l.GroupIDs...)
	c.LogonDomainID = l.LogonDomainID.Clone()
	c.ExtraSIDs = make([]SIDAndAttributes, len(l.ExtraSIDs))
	for i, e := range l.ExtraSIDs {
		c.ExtraSIDs[i] = SIDAndAttributes{SID: e.SID.Clone(), Attributes: e.Attributes}
	}
	if l.ResourceGroupDomainSID != nil {
		s := l.ResourceGroupDomainSID.Clone()
		c.ResourceGroupDomainSID = &s
	}
	c.ResourceGroupIDs = append([]GroupMembership(nil), l.ResourceGroupIDs...)
	return &c
}

// fileTime converts a FILETIME (100 ns since 1601-01-01 UTC) to a
// time.Time, with never/unset as the zero time.
func fileTime(ft uint64) time.Time {
	if ft == 0 || ft == 0x7FFFFFFFFFFFFFFF {
		return time.Time{}
	}
	// Above 2^63 the sign would flip; no real time is there.
	if ft > 0x7FFFFFFFFFFFFFFF {
		return time.Time{}
	}
	return time.Unix(int64(ft/1e7)-fileTimeToUnix, int64(ft%1e7)*100).UTC()
}

// serializationHeader checks MS-RPCE section 2.2.6's type serialization
// version 1 headers and returns the serialized object:
//
//	common:  Version (1) = 1, Endianness (1) = 0x10, CommonHeaderLength (2) = 8, Filler (4)
//	private: ObjectBufferLength (4), Filler (4)
//
// ObjectBufferLength covers the object and its padding to 8 bytes, and
// must end where the buffer does.
func serializationHeader(b []byte, what string) ([]byte, error) {
	if len(b) < 16 {
		return nil, errorf("%s: %d bytes is too short for the NDR headers", what, len(b))
	}
	if b[0] != 1 {
		return nil, errorf("%s: NDR serialization version %d, want 1", what, b[0])
	}
	if b[1] != 0x10 {
		return nil, errorf("%s: NDR endianness 0x%02x, want little-endian (0x10)", what, b[1])
	}
	if l := binary.LittleEndian.Uint16(b[2:]); l != 8 {
		return nil, errorf("%s: NDR common header length %d, want 8", what, l)
	}
	n := binary.LittleEndian.Uint32(b[8:])
	if n%8 != 0 || uint64(n) != uint64(len(b)-16) {
		return nil, errorf("%s: NDR object length %d in a buffer of %d bytes", what, n, len(b))
	}
	return b[16:], nil
}

// endObject checks that the object used the bytes ObjectBufferLength
// declared, short only by the padding to 8.
func (r *ndrReader) endObject(what string) {
	if r.err == nil && len(r.b)-r.off >= 8 {
		r.fail("%s: %d bytes left after the object", what, len(r.b)-r.off)
	}
}

// ParseLogonInfo decodes a KERB_VALIDATION_INFO buffer (MS-PAC section
// 2.5): the serialization headers, a unique pointer to the structure, the
// structure, then the referents of its pointers in the order they appear.
func ParseLogonInfo(b []byte) (*LogonInfo, error) {
	obj, err := serializationHeader(b, "logon info")
	if err != nil {
		return nil, err
	}
	r := &ndrReader{b: obj}
	if r.pointer("KERB_VALIDATION_INFO") == 0 && r.err == nil {
		return nil, errorf("logon info: null KERB_VALIDATION_INFO pointer")
	}
	l := &LogonInfo{}
	l.LogonTime = fileTime(r.fileTime("LogonTime"))
	l.LogoffTime = fileTime(r.fileTime("LogoffTime"))
	l.KickOffTime = fileTime(r.fileTime("KickOffTime"))
	l.PasswordLastSet = fileTime(r.fileTime("PasswordLastSet"))
	l.PasswordCanChange = fileTime(r.fileTime("PasswordCanChange"))
	l.PasswordMustChange = fileTime(r.fileTime("PasswordMustChange"))
	names := [...]string{"EffectiveName", "FullName", "LogonScript", "ProfilePath", "HomeDirectory", "HomeDirectoryDrive"}
	var strs [len(names)]rpcUnicodeString
	for i, n := range names {
		strs[i] = r.unicodeHeader(n)
	}
	l.LogonCount = r.uint16("LogonCount")
	l.BadPasswordCount = r.uint16("BadPasswordCount")
	l.UserID = r.uint32("UserId")
	l.PrimaryGroupID = r.uint32("PrimaryGroupId")
	groupCount := r.uint32("GroupCount")
	groupPtr := r.pointer("GroupIds")
	l.UserFlags = r.uint32("UserFlags")
	copy(l.UserSessionKey[:], r.bytes(16, "UserSessionKey"))
	logonServer := r.unicodeHeader("LogonServer")
	logonDomain := r.unicodeHeader("LogonDomainName")
	domainPtr := r.pointer("LogonDomainId")
	r.uint32("Reserved1")
	r.uint32("Reserved1")
	l.UserAccountControl = r.uint32("UserAccountControl")
	l.SubAuthStatus = r.uint32("SubAuthStatus")
	l.LastSuccessfulILogon = fileTime(r.fileTime("LastSuccessfulILogon"))
	l.LastFailedILogon = fileTime(r.fileTime("LastFailedILogon"))
	l.FailedILogonCount = r.uint32("FailedILogonCount")
	r.uint32("Reserved3")
	sidCount := r.uint32("SidCount")
	extraPtr := r.pointer("ExtraSids")
	resDomainPtr := r.pointer("ResourceGroupDomainSid")
	resCount := r.uint32("ResourceGroupCount")
	resPtr := r.pointer("ResourceGroupIds")

	// Deferred referents, in the order of the pointers above.
	dst := [...]*string{&l.EffectiveName, &l.FullName, &l.LogonScript, &l.ProfilePath, &l.HomeDirectory, &l.HomeDirectoryDrive}
	for i, h := range strs {
		*dst[i] = r.unicodeBody(h, names[i])
	}
	l.GroupIDs = r.groups(groupPtr, groupCount, "GroupIds")
	l.LogonServer = r.unicodeBody(logonServer, "LogonServer")
	l.LogonDomainName = r.unicodeBody(logonDomain, "LogonDomainName")
	if domainPtr == 0 {
		r.fail("null LogonDomainId")
	} else {
		l.LogonDomainID = r.sid("LogonDomainId")
	}
	l.ExtraSIDs = r.extraSIDs(extraPtr, sidCount)
	if resDomainPtr != 0 {
		s := r.sid("ResourceGroupDomainSid")
		l.ResourceGroupDomainSID = &s
	} else if resCount != 0 {
		r.fail("%d resource groups without a resource domain SID", resCount)
	}
	l.ResourceGroupIDs = r.groups(resPtr, resCount, "ResourceGroupIds")
	r.endObject("logon info")
	if r.err != nil {
		return nil, r.err
	}
	return l, nil
}

// extraSIDs reads the referent of ExtraSids: a conformant array of
// KERB_SID_AND_ATTRIBUTES {PISID Sid; ULONG Attributes}, then each
// non-null Sid's RPC_SID in array order.
func (r *ndrReader) extraSIDs(ptr, declared uint32) []SIDAndAttributes {
	if ptr == 0 {
		if declared != 0 {
			r.fail("ExtraSids: %d entries behind a null pointer", declared)
		}
		return nil
	}
	n := r.count("ExtraSids", 8)
	if r.err != nil {
		return nil
	}
	if uint32(n) != declared {
		r.fail("ExtraSids: array of %d, SidCount says %d", n, declared)
		return nil
	}
	if n == 0 {
		return nil
	}
	out := make([]SIDAndAttributes, n)
	ptrs := make([]uint32, n)
	for i := range out {
		ptrs[i] = r.pointer("ExtraSids Sid")
		out[i].Attributes = r.uint32("ExtraSids Attributes")
	}
	for i, p := range ptrs {
		if p == 0 {
			r.fail("ExtraSids entry %d has a null SID", i)
			return nil
		}
		out[i].SID = r.sid("ExtraSids Sid")
	}
	if r.err != nil {
		return nil
	}
	return out
}

// DelegationInfo is S4U_DELEGATION_INFO (PAC buffer type 11), MS-PAC
// section 2.9: after constrained delegation (S4U2proxy), the service the
// ticket was obtained for and the services it passed through.
type DelegationInfo struct {
	S4U2proxyTarget      string
	S4UTransitedServices []string
}

// ParseDelegationInfo decodes an S4U_DELEGATION_INFO buffer: the
// serialization headers, a unique pointer to
//
//	{ RPC_UNICODE_STRING S4U2proxyTarget; ULONG TransitedListSize;
//	  [size_is(TransitedListSize)] PRPC_UNICODE_STRING S4UTransitedServices; }
//
// then the target's characters, the array of string headers and each
// string's characters.
func ParseDelegationInfo(b []byte) (*DelegationInfo, error) {
	obj, err := serializationHeader(b, "delegation info")
	if err != nil {
		return nil, err
	}
	r := &ndrReader{b: obj}
	if r.pointer("S4U_DELEGATION_INFO") == 0 && r.err == nil {
		return nil, errorf("delegation info: null S4U_DELEGATION_INFO pointer")
	}
	target := r.unicodeHeader("S4U2proxyTarget")
	size := r.uint32("TransitedListSize")
	ptr := r.pointer("S4UTransitedServices")
	d := &DelegationInfo{S4U2proxyTarget: r.unicodeBody(target, "S4U2proxyTarget")}
	if ptr == 0 && size != 0 {
		r.fail("S4UTransitedServices: %d entries behind a null pointer", size)
	}
	if ptr != 0 {
		n := r.count("S4UTransitedServices", 8)
		if r.err == nil && uint32(n) != size {
			r.fail("S4UTransitedServices: array of %d, TransitedListSize says %d", n, size)
		}
		if r.err == nil {
			heads := make([]rpcUnicodeString, n)
			for i := range heads {
				heads[i] = r.unicodeHeader("S4UTransitedServices")
			}
			d.S4UTransitedServices = make([]string, n)
			for i, h := range heads {
				d.S4UTransitedServices[i] = r.unicodeBody(h, "S4UTransitedServices")
			}
		}
	}
	r.endObject("delegation info")
	if r.err != nil {
		return nil, r.err
	}
	return d, nil
}
