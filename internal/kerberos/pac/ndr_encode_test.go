package pac

import (
	"encoding/binary"
	"time"
	"unicode/utf16"
)

// This file is a test-only NDR encoder of KERB_VALIDATION_INFO, the
// mirror of logon.go, for the fuzz target's round trip and for hostile
// tests that change one field of a valid encoding. Referent IDs count up
// from 0x00020000 as Windows' do; null pointers for empty strings.

type ndrWriter struct {
	b      []byte
	nextID uint32
}

func (w *ndrWriter) align(n int) {
	for len(w.b)%n != 0 {
		w.b = append(w.b, 0)
	}
}

func (w *ndrWriter) u16(v uint16) { w.align(2); w.b = binary.LittleEndian.AppendUint16(w.b, v) }
func (w *ndrWriter) u32(v uint32) { w.align(4); w.b = binary.LittleEndian.AppendUint32(w.b, v) }

func (w *ndrWriter) ptr(present bool) {
	if !present {
		w.u32(0)
		return
	}
	w.nextID += 4
	w.u32(0x00020000 + w.nextID - 4)
}

func toFileTime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.Unix()+fileTimeToUnix)*1e7 + uint64(t.Nanosecond()/100)
}

func (w *ndrWriter) fileTime(t time.Time) {
	ft := toFileTime(t)
	w.u32(uint32(ft))
	w.u32(uint32(ft >> 32))
}

func (w *ndrWriter) strHeader(s string) {
	n := uint16(2 * len(utf16.Encode([]rune(s))))
	w.u16(n)
	w.u16(n)
	w.ptr(n != 0)
}

func (w *ndrWriter) strBody(s string) {
	u := utf16.Encode([]rune(s))
	if len(u) == 0 {
		return
	}
	w.u32(uint32(len(u)))
	w.u32(0)
	w.u32(uint32(len(u)))
	for _, c := range u {
		w.u16(c)
	}
}

func (w *ndrWriter) sid(s SID) {
	w.u32(uint32(len(s.SubAuthorities)))
	w.b = append(w.b, s.Revision, byte(len(s.SubAuthorities)))
	w.b = append(w.b, s.Authority[:]...)
	for _, v := range s.SubAuthorities {
		w.u32(v)
	}
}

func (w *ndrWriter) groups(g []GroupMembership) {
	if len(g) == 0 {
		return
	}
	w.u32(uint32(len(g)))
	for _, m := range g {
		w.u32(m.RID)
		w.u32(m.Attributes)
	}
}

// encodeLogonInfo serializes l with MS-RPCE's type serialization headers.
func encodeLogonInfo(l *LogonInfo) []byte {
	w := &ndrWriter{}
	w.ptr(true)
	for _, t := range []time.Time{l.LogonTime, l.LogoffTime, l.KickOffTime, l.PasswordLastSet, l.PasswordCanChange, l.PasswordMustChange} {
		w.fileTime(t)
	}
	strs := []string{l.EffectiveName, l.FullName, l.LogonScript, l.ProfilePath, l.HomeDirectory, l.HomeDirectoryDrive}
	for _, s := range strs {
		w.strHeader(s)
	}
	w.u16(l.LogonCount)
	w.u16(l.BadPasswordCount)
	w.u32(l.UserID)
	w.u32(l.PrimaryGroupID)
	w.u32(uint32(len(l.GroupIDs)))
	w.ptr(len(l.GroupIDs) != 0)
	w.u32(l.UserFlags)
	w.b = append(w.b, l.UserSessionKey[:]...)
	w.strHeader(l.LogonServer)
	w.strHeader(l.LogonDomainName)
	w.ptr(true)
	w.u32(0)
	w.u32(0)
	w.u32(l.UserAccountControl)
	w.u32(l.SubAuthStatus)
	w.fileTime(l.LastSuccessfulILogon)
	w.fileTime(l.LastFailedILogon)
	w.u32(l.FailedILogonCount)
	w.u32(0)
	w.u32(uint32(len(l.ExtraSIDs)))
	w.ptr(len(l.ExtraSIDs) != 0)
	w.ptr(l.ResourceGroupDomainSID != nil)
	w.u32(uint32(len(l.ResourceGroupIDs)))
	w.ptr(len(l.ResourceGroupIDs) != 0)

	for _, s := range strs {
		w.strBody(s)
	}
	w.groups(l.GroupIDs)
	w.strBody(l.LogonServer)
	w.strBody(l.LogonDomainName)
	w.sid(l.LogonDomainID)
	if len(l.ExtraSIDs) != 0 {
		w.u32(uint32(len(l.ExtraSIDs)))
		for _, e := range l.ExtraSIDs {
			w.ptr(true)
			w.u32(e.Attributes)
		}
		for _, e := range l.ExtraSIDs {
			w.sid(e.SID)
		}
	}
	if l.ResourceGroupDomainSID != nil {
		w.sid(*l.ResourceGroupDomainSID)
	}
	w.groups(l.ResourceGroupIDs)
	w.align(8)

	head := []byte{1, 0x10, 8, 0, 0xcc, 0xcc, 0xcc, 0xcc}
	head = binary.LittleEndian.AppendUint32(head, uint32(len(w.b)))
	head = append(head, 0, 0, 0, 0)
	return append(head, w.b...)
}

// encodeDelegationInfo serializes d with MS-RPCE's headers.
func encodeDelegationInfo(d *DelegationInfo) []byte {
	w := &ndrWriter{}
	w.ptr(true)
	w.strHeader(d.S4U2proxyTarget)
	w.u32(uint32(len(d.S4UTransitedServices)))
	w.ptr(len(d.S4UTransitedServices) != 0)
	w.strBody(d.S4U2proxyTarget)
	if len(d.S4UTransitedServices) != 0 {
		w.u32(uint32(len(d.S4UTransitedServices)))
		for _, s := range d.S4UTransitedServices {
			w.strHeader(s)
		}
		for _, s := range d.S4UTransitedServices {
			w.strBody(s)
		}
	}
	w.align(8)
	head := []byte{1, 0x10, 8, 0, 0xcc, 0xcc, 0xcc, 0xcc}
	head = binary.LittleEndian.AppendUint32(head, uint32(len(w.b)))
	head = append(head, 0, 0, 0, 0)
	return append(head, w.b...)
}
