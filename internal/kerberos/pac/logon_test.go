package pac

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
)

// readHex reads a testdata hex file, skipping "#" comment lines.
func readHex(t testing.TB, name string) []byte {
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var sb strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "#") {
			sb.WriteString(strings.TrimSpace(line))
		}
	}
	b, err := hex.DecodeString(sb.String())
	require.NoError(t, err)
	return b
}

func sidStrings(s []SID) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = v.String()
	}
	return out
}

func never() time.Time { return time.Time{} }

// TestMSPACSection4LogonInfo decodes the logon info of MS-PAC section 4's
// example PAC and checks it against the content the example states.
func TestMSPACSection4LogonInfo(t *testing.T) {
	l, err := ParseLogonInfo(readHex(t, "ms-pac-logon-info.hex"))
	require.NoError(t, err)
	assert.Equal(t, time.Date(2006, 4, 28, 1, 42, 50, 925640100, time.UTC), l.LogonTime)
	assert.Equal(t, never(), l.LogoffTime)
	assert.Equal(t, never(), l.KickOffTime)
	assert.Equal(t, time.Date(2006, 3, 18, 10, 44, 54, 837147900, time.UTC), l.PasswordLastSet)
	assert.Equal(t, time.Date(2006, 3, 19, 10, 44, 54, 837147900, time.UTC), l.PasswordCanChange)
	assert.Equal(t, "lzhu", l.EffectiveName)
	assert.Equal(t, "Liqiang(Larry) Zhu", l.FullName)
	assert.Equal(t, "ntds2.bat", l.LogonScript)
	assert.Empty(t, l.ProfilePath)
	assert.Empty(t, l.HomeDirectory)
	assert.Empty(t, l.HomeDirectoryDrive)
	assert.Equal(t, uint16(4180), l.LogonCount)
	assert.Equal(t, uint16(0), l.BadPasswordCount)
	assert.Equal(t, uint32(2914711), l.UserID)
	assert.Equal(t, uint32(513), l.PrimaryGroupID)
	rids := []uint32{3392609, 2999049, 3322974, 513, 2931095, 3338539, 3354830, 3026599, 3338538, 2931096,
		3392610, 3342740, 3392630, 3014318, 2937394, 3278870, 3038018, 3322975, 3513546, 2966661, 3338434,
		3271401, 3051245, 3271606, 3026603, 3018354}
	require.Len(t, l.GroupIDs, len(rids))
	for i, g := range l.GroupIDs {
		assert.Equal(t, GroupMembership{RID: rids[i], Attributes: GroupMandatory | GroupEnabledByDefault | GroupEnabled}, g)
	}
	assert.Equal(t, LogonExtraSIDs, l.UserFlags)
	assert.Equal(t, [16]byte{}, l.UserSessionKey)
	assert.Equal(t, "NTDEV-DC-05", l.LogonServer)
	assert.Equal(t, "NTDEV", l.LogonDomainName)
	assert.Equal(t, "S-1-5-21-397955417-626881126-188441444", l.LogonDomainID.String())
	assert.Equal(t, "S-1-5-21-397955417-626881126-188441444-2914711", l.UserSID().String())
	assert.Equal(t, uint32(16), l.UserAccountControl)
	assert.Equal(t, never(), l.LastSuccessfulILogon)
	assert.Equal(t, never(), l.LastFailedILogon)
	extra := []string{
		"S-1-5-21-773533881-1816936887-355810188-513",
		"S-1-5-21-397955417-626881126-188441444-3101812",
		"S-1-5-21-397955417-626881126-188441444-3291368",
		"S-1-5-21-397955417-626881126-188441444-3291341",
		"S-1-5-21-397955417-626881126-188441444-3322973",
		"S-1-5-21-397955417-626881126-188441444-3479105",
		"S-1-5-21-397955417-626881126-188441444-3271400",
		"S-1-5-21-397955417-626881126-188441444-3283393",
		"S-1-5-21-397955417-626881126-188441444-3338537",
		"S-1-5-21-397955417-626881126-188441444-3038991",
		"S-1-5-21-397955417-626881126-188441444-3037999",
		"S-1-5-21-397955417-626881126-188441444-3248111",
		"S-1-5-21-397955417-626881126-188441444-3038983",
	}
	require.Len(t, l.ExtraSIDs, 13)
	for i, e := range l.ExtraSIDs {
		assert.Equal(t, extra[i], e.SID.String())
		want := uint32(0x20000007)
		if i == 0 {
			want = 7
		}
		assert.Equal(t, want, e.Attributes, "extra SID %d", i)
	}
	assert.Nil(t, l.ResourceGroupDomainSID)
	assert.Empty(t, l.ResourceGroupIDs)
	assert.Len(t, l.GroupSIDs(), 26+13)
}

// TestADTrustLogonInfo decodes an Active Directory logon info across a
// trust, with an extra well-known SID and resource groups.
func TestADTrustLogonInfo(t *testing.T) {
	l, err := ParseLogonInfo(readHex(t, "ad-trust-logon-info.hex"))
	require.NoError(t, err)
	assert.Equal(t, time.Date(2017, 10, 14, 12, 3, 41, 52409900, time.UTC), l.LogonTime)
	assert.Equal(t, "testuser1", l.EffectiveName)
	assert.Equal(t, "Test1 User1", l.FullName)
	assert.Equal(t, uint16(46), l.LogonCount)
	assert.Equal(t, uint32(1106), l.UserID)
	assert.Equal(t, uint32(513), l.PrimaryGroupID)
	assert.Equal(t, LogonExtraSIDs|LogonResourceGroups, l.UserFlags)
	assert.Equal(t, "UDC", l.LogonServer)
	assert.Equal(t, "USER", l.LogonDomainName)
	assert.Equal(t, uint32(528), l.UserAccountControl)
	assert.Equal(t, "S-1-5-21-2284869408-3503417140-1141177250-1106", l.UserSID().String())
	require.NotNil(t, l.ResourceGroupDomainSID)
	assert.Equal(t, "S-1-5-21-3062750306-1230139592-1973306805", l.ResourceGroupDomainSID.String())
	assert.Equal(t, []GroupMembership{{1107, 0x20000007}, {1108, 0x20000007}}, l.ResourceGroupIDs)
	assert.Equal(t, []string{
		"S-1-5-21-2284869408-3503417140-1141177250-1110",
		"S-1-5-21-2284869408-3503417140-1141177250-513",
		"S-1-5-21-2284869408-3503417140-1141177250-1109",
		"S-1-18-1",
		"S-1-5-21-3062750306-1230139592-1973306805-1107",
		"S-1-5-21-3062750306-1230139592-1973306805-1108",
	}, sidStrings(l.GroupSIDs()))
}

// TestSambaWin2k3PAC parses a whole PAC that a Windows Server 2003 KDC
// issued (Samba's torture test): the logon info names the machine
// account and its SID, the client info its authtime, and the server
// signature (HMAC-MD5 with the member's RC4 key) verifies.
func TestSambaWin2k3PAC(t *testing.T) {
	raw := readHex(t, "samba-w2k3-pac.hex")
	p, err := Parse(raw)
	require.NoError(t, err)
	require.NotNil(t, p.LogonInfo)
	l := p.LogonInfo
	assert.Equal(t, "W2003FINAL$", l.EffectiveName)
	assert.Equal(t, "W2003FINAL", l.LogonServer)
	assert.Equal(t, "WIN2K3THINK", l.LogonDomainName)
	assert.Equal(t, "S-1-5-21-3048156945-3961193616-3706469200-1005", l.UserSID().String())
	assert.Equal(t, uint32(516), l.PrimaryGroupID) // Domain Controllers
	assert.Equal(t, []GroupMembership{{516, 7}}, l.GroupIDs)
	assert.Equal(t, uint16(101), l.LogonCount)
	require.Len(t, l.ExtraSIDs, 1)
	assert.Equal(t, "S-1-5-9", l.ExtraSIDs[0].SID.String()) // Enterprise Domain Controllers
	assert.Equal(t, uint32(0x2100), l.UserAccountControl)   // server trust account, password never expires

	require.NotNil(t, p.ClientInfo)
	assert.Equal(t, "w2003final$", p.ClientInfo.Name)
	assert.Equal(t, int64(1120440609), p.ClientInfo.ClientID.Unix())

	key, err := hex.DecodeString("D217FAEAE5E6B5F95CCC94077AB8A5FC")
	require.NoError(t, err)
	assert.Equal(t, crypto.HMACMD5, p.ServerChecksum.Type)
	require.NoError(t, p.VerifyServerChecksum(key))
	bad := append([]byte{}, raw...)
	bad[0x48+120] ^= 1 // the RID
	q, err := Parse(bad)
	require.NoError(t, err)
	assert.ErrorIs(t, q.VerifyServerChecksum(key), ErrBadSignature)
}

// TestADPAC parses a whole Active Directory PAC: logon info, client
// info and UPN/DNS info agree on the user.
func TestADPAC(t *testing.T) {
	p, err := Parse(readHex(t, "ad-pac.hex"))
	require.NoError(t, err)
	require.NotNil(t, p.LogonInfo)
	l := p.LogonInfo
	assert.Equal(t, "testuser1", l.EffectiveName)
	assert.Equal(t, "Test1 User1", l.FullName)
	assert.Equal(t, "ADDC", l.LogonServer)
	assert.Equal(t, "TEST", l.LogonDomainName)
	assert.Equal(t, uint16(216), l.LogonCount)
	assert.Equal(t, uint32(528), l.UserAccountControl)
	assert.Equal(t, "S-1-5-21-3167651404-3865080224-2280184895-1105", l.UserSID().String())
	assert.Equal(t, []GroupMembership{{513, 7}, {1108, 7}, {1109, 7}, {1115, 7}, {1116, 7}}, l.GroupIDs)
	require.Len(t, l.ExtraSIDs, 2)
	assert.Equal(t, "S-1-5-21-3167651404-3865080224-2280184895-1114", l.ExtraSIDs[0].SID.String())
	assert.Equal(t, "S-1-5-21-3167651404-3865080224-2280184895-1111", l.ExtraSIDs[1].SID.String())
	assert.Equal(t, time.Date(2017, 5, 6, 15, 53, 11, 825766900, time.UTC), l.LogonTime)
	require.NotNil(t, p.ClientInfo)
	assert.Equal(t, "testuser1", p.ClientInfo.Name)
	require.NotNil(t, p.UPNDNSInfo)
	assert.Equal(t, "testuser1@test.gokrb5", p.UPNDNSInfo.UPN)
	assert.Equal(t, "TEST.GOKRB5", p.UPNDNSInfo.DNSDomainName)
}

// TestLogonInfoRoundTrip checks the test encoder against the decoder on
// every vector, so hostile tests built with it start from valid bytes.
func TestLogonInfoRoundTrip(t *testing.T) {
	for _, name := range []string{"ms-pac-logon-info.hex", "ad-trust-logon-info.hex"} {
		l, err := ParseLogonInfo(readHex(t, name))
		require.NoError(t, err)
		again, err := ParseLogonInfo(encodeLogonInfo(l))
		require.NoError(t, err, name)
		assert.Equal(t, l, again, name)
		assert.Equal(t, l, l.Clone(), name)
	}
}

func TestSIDString(t *testing.T) {
	tests := []struct {
		sid  SID
		want string
	}{
		{SID{Revision: 1, Authority: [6]byte{0, 0, 0, 0, 0, 5}, SubAuthorities: []uint32{18}}, "S-1-5-18"},
		{SID{Revision: 1, Authority: [6]byte{0, 0, 0, 0, 0, 1}, SubAuthorities: []uint32{0}}, "S-1-1-0"},
		{SID{Revision: 1, Authority: [6]byte{0, 0, 0, 0, 0, 0x12}, SubAuthorities: []uint32{1}}, "S-1-18-1"},
		{SID{Revision: 1, Authority: [6]byte{1, 0, 0, 0, 0, 0}}, "S-1-0x10000000000"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.sid.String())
	}
}

// TestLogonInfoHostile changes one thing in a valid logon info and
// expects *Error: huge counts, pointers to nowhere, offsets and lengths
// past the end, counts that disagree.
func TestLogonInfoHostile(t *testing.T) {
	valid := readHex(t, "ad-trust-logon-info.hex")
	base, err := ParseLogonInfo(valid)
	require.NoError(t, err)
	// Offsets in the buffer: 16 bytes of headers, a 4-byte referent ID,
	// then KERB_VALIDATION_INFO's fixed part (MS-PAC section 2.5).
	const (
		fixed          = 20
		offHomeDir     = fixed + 48 + 4*8
		offGroupCount  = fixed + 108
		offGroupPtr    = fixed + 112
		offDomainPtr   = fixed + 152
		offSidCount    = fixed + 196
		offResDomain   = fixed + 204
		offResCount    = fixed + 208
		offFirstString = fixed + 216 // EffectiveName's referent
	)
	put32 := func(off int, v uint32) func([]byte) []byte {
		return func(b []byte) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b }
	}
	tests := map[string]func([]byte) []byte{
		"empty":                       func([]byte) []byte { return nil },
		"headers only":                func(b []byte) []byte { return b[:16] },
		"version 2":                   func(b []byte) []byte { b[0] = 2; return b },
		"big-endian":                  func(b []byte) []byte { b[1] = 0; return b },
		"common header 16":            func(b []byte) []byte { b[2] = 16; return b },
		"object length long":          put32(8, uint32(len(valid))),
		"object length short":         put32(8, uint32(len(valid)-24)),
		"object length odd":           put32(8, uint32(len(valid)-17)),
		"truncated":                   func(b []byte) []byte { return resize(b[:len(b)-8]) },
		"trailing block":              func(b []byte) []byte { return resize(append(b, make([]byte, 8)...)) },
		"null top pointer":            put32(16, 0),
		"huge group count":            groupCount(0xFFFFFFFF),
		"group count above cap":       groupCount(maxArray + 1),
		"group count more than bytes": groupCount(1000),
		"group count disagrees":       put32(offGroupCount, 4),
		"groups behind null pointer":  put32(offGroupPtr, 0),
		"null domain SID":             put32(offDomainPtr, 0),
		"extra SIDs count mismatch":   put32(offSidCount, 2),
		"resource groups without domain": func(b []byte) []byte {
			return put32(offResDomain, 0)(b)
		},
		"resource count mismatch": put32(offResCount, 3),
		// HomeDirectory's pointer made non-null with a length: the reader
		// then wants a referent that is not there, and every later
		// referent is read from the wrong place.
		"pointer to nowhere": func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[offHomeDir:], 8)
			binary.LittleEndian.PutUint16(b[offHomeDir+2:], 8)
			return put32(offHomeDir+4, 0x00029990)(b)
		},
		"string length odd":     func(b []byte) []byte { b[fixed+48] = 3; return b },
		"string above maximum":  func(b []byte) []byte { b[fixed+48] = 0x14; return b },
		"string max count":      put32(offFirstString, 1000),
		"string offset":         put32(offFirstString+4, 1),
		"string actual count":   put32(offFirstString+8, 0xFFFFFFF0),
		"string bytes past end": func(b []byte) []byte { return resize(b[:offFirstString+20]) },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			in := mutate(append([]byte{}, valid...))
			_, err := ParseLogonInfo(in)
			var pe *Error
			require.Error(t, err)
			assert.True(t, errors.As(err, &pe), "%T %v", err, err)
			t.Log(err)
		})
	}

	// Structure-aware cases, built with the test encoder.
	structural := map[string]func(l *LogonInfo){
		"SID revision 2": func(l *LogonInfo) { l.LogonDomainID.Revision = 2 },
		"SID of 16 sub-authorities": func(l *LogonInfo) {
			l.LogonDomainID.SubAuthorities = make([]uint32, 16)
		},
		"extra SID of 200 sub-authorities": func(l *LogonInfo) {
			l.ExtraSIDs[0].SID.SubAuthorities = make([]uint32, 200)
		},
	}
	for name, change := range structural {
		t.Run(name, func(t *testing.T) {
			l := base.Clone()
			change(l)
			_, err := ParseLogonInfo(encodeLogonInfo(l))
			var pe *Error
			require.Error(t, err)
			assert.True(t, errors.As(err, &pe), "%T %v", err, err)
		})
	}
	// The logon domain SID's sub-authority count byte disagreeing with
	// its NDR conformance (the SID follows the two strings LogonServer
	// and LogonDomainName, after the groups).
	b := encodeLogonInfo(base)
	at := strings.Index(string(b), string([]byte{4, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0, 5}))
	require.Positive(t, at)
	b[at+5] = 3
	_, err = ParseLogonInfo(b)
	assert.ErrorContains(t, err, "sub-authorities")
}

// groupCount sets both GroupCount and the conformance of the GroupIds
// array (count 3, then RID 1110 with attributes 7, in the trust vector).
func groupCount(n uint32) func([]byte) []byte {
	return func(b []byte) []byte {
		at := strings.Index(string(b), string([]byte{3, 0, 0, 0, 0x56, 4, 0, 0, 7, 0, 0, 0}))
		if at < 0 {
			panic("no GroupIds array in the vector")
		}
		binary.LittleEndian.PutUint32(b[20+108:], n)
		binary.LittleEndian.PutUint32(b[at:], n)
		return b
	}
}

// resize fixes ObjectBufferLength after a test changed the length.
func resize(b []byte) []byte {
	if len(b) >= 16 {
		binary.LittleEndian.PutUint32(b[8:], uint32(len(b)-16))
	}
	return b
}

// TestLogonInfoHugeCountAllocatesLittle: a count of 4096 groups (32 KiB
// of entries) in a small buffer fails before allocating for them.
func TestLogonInfoHugeCountAllocatesLittle(t *testing.T) {
	valid := groupCount(maxArray)(readHex(t, "ad-trust-logon-info.hex"))
	_, err := ParseLogonInfo(valid)
	require.ErrorContains(t, err, "needs")
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		_, _ = ParseLogonInfo(valid)
	}
	runtime.ReadMemStats(&after)
	perRun := (after.TotalAlloc - before.TotalAlloc) / runs
	assert.Less(t, perRun, uint64(maxArray*8/4), "bytes allocated per parse")
	t.Logf("%d bytes per parse", perRun)
}

func TestPACAttributesAndRequestor(t *testing.T) {
	sid := []byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xe9, 3, 0, 0}
	p, err := Parse(build(Buffer{Type: TypeAttributes, Data: []byte{2, 0, 0, 0, 1, 0, 0, 0}}, Buffer{Type: TypeRequestorSID, Data: sid}))
	require.NoError(t, err)
	assert.True(t, p.HasAttributes)
	assert.Equal(t, AttributePACWasRequested, p.Attributes)
	require.NotNil(t, p.Requestor)
	assert.Equal(t, "S-1-5-21-1-2-3-1001", p.Requestor.String())

	for name, bufs := range map[string][]Buffer{
		"attributes of 0 bits":    {{Type: TypeAttributes, Data: []byte{0, 0, 0, 0, 1, 0, 0, 0}}},
		"attributes of 33 bits":   {{Type: TypeAttributes, Data: []byte{33, 0, 0, 0, 1, 0, 0, 0}}},
		"requestor short":         {{Type: TypeRequestorSID, Data: sid[:10]}},
		"requestor trailing":      {{Type: TypeRequestorSID, Data: append(append([]byte{}, sid...), 0)}},
		"requestor 20 sub-auths":  {{Type: TypeRequestorSID, Data: append([]byte{1, 20, 0, 0, 0, 0, 0, 5}, make([]byte, 80)...)}},
		"two logon infos":         {{Type: TypeLogonInfo, Data: readHex(t, "ad-trust-logon-info.hex")}, {Type: TypeLogonInfo, Data: readHex(t, "ad-trust-logon-info.hex")}},
		"logon info bad in a PAC": {{Type: TypeLogonInfo, Data: make([]byte, 24)}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(build(bufs...))
			var pe *Error
			assert.True(t, errors.As(err, &pe), "%v", err)
		})
	}
}

// FuzzLogonInfo: no panic, only *Error, and what decodes survives the
// test encoder and decodes to the same value.
func FuzzLogonInfo(f *testing.F) {
	for _, name := range []string{"ms-pac-logon-info.hex", "ad-trust-logon-info.hex"} {
		f.Add(readHex(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLogonInfo(b)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("ParseLogonInfo returned %T: %v", err, err)
			}
			return
		}
		again, err := ParseLogonInfo(encodeLogonInfo(l))
		if err != nil {
			t.Fatalf("re-encoded logon info does not decode: %v", err)
		}
		assert.Equal(t, l, again)
	})
}

// FuzzLogonInfoFields is the structure-aware companion of FuzzLogonInfo:
// it starts from a real logon info, overwrites 4 bytes at pos with val
// (counts, pointers, lengths, offsets) and may cut the end, then keeps
// the serialization headers consistent, so the mutations reach the
// structure and its referents instead of dying at the headers.
func FuzzLogonInfoFields(f *testing.F) {
	vectors := [][]byte{readHex(f, "ms-pac-logon-info.hex"), readHex(f, "ad-trust-logon-info.hex")}
	f.Add(uint8(0), uint16(20+108), uint32(0xFFFFFFFF), uint16(0))
	f.Add(uint8(1), uint16(20+204), uint32(0), uint16(0))
	f.Add(uint8(1), uint16(236), uint32(1000), uint16(64))
	f.Fuzz(func(t *testing.T, which uint8, pos uint16, val uint32, cut uint16) {
		b := append([]byte{}, vectors[int(which)%len(vectors)]...)
		if int(pos)+4 <= len(b) && pos >= 16 {
			binary.LittleEndian.PutUint32(b[pos:], val)
		}
		if c := int(cut) &^ 7; c > 0 && c < len(b)-16 {
			b = b[:len(b)-c]
		}
		b = resize(b)
		l, err := ParseLogonInfo(b)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("ParseLogonInfo returned %T: %v", err, err)
			}
			return
		}
		again, err := ParseLogonInfo(encodeLogonInfo(l))
		if err != nil {
			t.Fatalf("re-encoded logon info does not decode: %v", err)
		}
		assert.Equal(t, l, again)
	})
}
