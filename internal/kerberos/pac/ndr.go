package pac

import (
	"encoding/binary"
	"unicode/utf16"
)

// This file is a reader for the subset of NDR (DCE 1.1 RPC chapter 14,
// with the type serialization of MS-RPCE section 2.2.6) that the PAC's
// NDR buffers use: little-endian primitives aligned to their size,
// conformant and conformant-varying arrays, and unique pointers whose
// referents follow the structure that holds them.
//
// It is bounded: every count is checked against the bytes that are left
// before anything is allocated, arrays have a cap, and the reader never
// recurses on input (the shape of a KERB_VALIDATION_INFO is fixed by the
// schema; the peer only chooses counts and which pointers are null).

// Caps on what a peer can make us allocate.
const (
	// maxArray caps every NDR array. A Windows access token holds at most
	// 1024 SIDs, so a PAC with more groups than this is not from a KDC.
	maxArray = 4096
	// maxSubAuthorities is the RPC_SID limit of MS-DTYP section 2.4.2.3.
	maxSubAuthorities = 15
)

// ndrReader reads NDR from b, aligning relative to b's start (the start
// of the serialized type, after MS-RPCE's headers, which are 16 bytes and
// so keep every alignment).
type ndrReader struct {
	b   []byte
	off int
	err *Error
}

// fail records the first error; every later read returns zero values.
func (r *ndrReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = errorf("NDR: "+format, args...)
	}
}

func (r *ndrReader) align(n int) {
	if r.err != nil {
		return
	}
	pad := (n - r.off%n) % n
	if pad > len(r.b)-r.off {
		r.fail("padding at %d runs past the end (%d bytes)", r.off, len(r.b))
		return
	}
	r.off += pad
}

// bytes returns the next n bytes, or nil once past the end.
func (r *ndrReader) bytes(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.fail("%s of %d bytes at %d runs past the end (%d bytes)", what, n, r.off, len(r.b))
		return nil
	}
	v := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return v
}

func (r *ndrReader) uint8(what string) uint8 {
	if v := r.bytes(1, what); v != nil {
		return v[0]
	}
	return 0
}

func (r *ndrReader) uint16(what string) uint16 {
	r.align(2)
	if v := r.bytes(2, what); v != nil {
		return binary.LittleEndian.Uint16(v)
	}
	return 0
}

func (r *ndrReader) uint32(what string) uint32 {
	r.align(4)
	if v := r.bytes(4, what); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

// fileTime reads a FILETIME (MS-DTYP section 2.3.3): two DWORDs, low
// first, so 4-byte aligned.
func (r *ndrReader) fileTime(what string) uint64 {
	lo := r.uint32(what)
	hi := r.uint32(what)
	return uint64(hi)<<32 | uint64(lo)
}

// count reads the conformance (maximum count) of an array of elements of
// elemSize bytes each and checks it against the cap and against the bytes
// left, so that a huge count fails before any allocation.
func (r *ndrReader) count(what string, elemSize int) int {
	n := r.uint32(what + " count")
	if r.err != nil {
		return 0
	}
	if n > maxArray {
		r.fail("%s count %d is above the cap of %d", what, n, maxArray)
		return 0
	}
	if int(n)*elemSize > len(r.b)-r.off {
		r.fail("%s count %d needs %d bytes, %d are left", what, n, int(n)*elemSize, len(r.b)-r.off)
		return 0
	}
	return int(n)
}

// rpcUnicodeString is the inline part of an RPC_UNICODE_STRING (MS-DTYP
// section 2.3.10): byte lengths and a unique pointer to the characters.
type rpcUnicodeString struct {
	length, maxLength uint16
	ptr               uint32
}

func (r *ndrReader) unicodeHeader(what string) rpcUnicodeString {
	var s rpcUnicodeString
	s.length = r.uint16(what)
	s.maxLength = r.uint16(what)
	s.ptr = r.uint32(what)
	if r.err != nil {
		return s
	}
	switch {
	case s.length%2 != 0 || s.maxLength%2 != 0:
		r.fail("%s has odd byte lengths %d/%d", what, s.length, s.maxLength)
	case s.length > s.maxLength:
		r.fail("%s length %d is above its maximum %d", what, s.length, s.maxLength)
	case s.ptr == 0 && s.maxLength != 0:
		r.fail("%s has %d bytes behind a null pointer", what, s.maxLength)
	}
	return s
}

// unicodeBody reads the deferred referent of an RPC_UNICODE_STRING: the
// conformant-varying array [size_is(MaximumLength/2),
// length_is(Length/2)] WCHAR, whose counts must agree with the header.
func (r *ndrReader) unicodeBody(h rpcUnicodeString, what string) string {
	if h.ptr == 0 || r.err != nil {
		return ""
	}
	maxCount := r.uint32(what + " maximum count")
	offset := r.uint32(what + " offset")
	actual := r.uint32(what + " actual count")
	if r.err != nil {
		return ""
	}
	if maxCount != uint32(h.maxLength/2) || offset != 0 || actual != uint32(h.length/2) {
		r.fail("%s counts %d/%d/%d disagree with its lengths %d/%d", what, maxCount, offset, actual, h.length, h.maxLength)
		return ""
	}
	raw := r.bytes(int(actual)*2, what)
	if raw == nil {
		return ""
	}
	u := make([]uint16, actual)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	return string(utf16.Decode(u))
}

// sid reads the referent of a PISID: an RPC_SID (MS-DTYP section
// 2.4.2.3), a conformant structure whose conformance (the number of
// sub-authorities) comes first.
func (r *ndrReader) sid(what string) SID {
	n := r.count(what, 4)
	rev := r.uint8(what + " revision")
	sub := r.uint8(what + " sub-authority count")
	auth := r.bytes(6, what+" authority")
	if r.err != nil {
		return SID{}
	}
	if rev != 1 {
		r.fail("%s revision %d, want 1", what, rev)
		return SID{}
	}
	if int(sub) != n || n > maxSubAuthorities {
		r.fail("%s has %d sub-authorities, conformance %d (at most %d)", what, sub, n, maxSubAuthorities)
		return SID{}
	}
	s := SID{Revision: rev, SubAuthorities: make([]uint32, n)}
	copy(s.Authority[:], auth)
	for i := range s.SubAuthorities {
		s.SubAuthorities[i] = r.uint32(what + " sub-authority")
	}
	return s
}

// groups reads the referent of a PGROUP_MEMBERSHIP: a conformant array
// of {RelativeId, Attributes} whose count must be the one the structure
// declared.
func (r *ndrReader) groups(ptr, declared uint32, what string) []GroupMembership {
	if ptr == 0 {
		if declared != 0 {
			r.fail("%s: %d entries behind a null pointer", what, declared)
		}
		return nil
	}
	n := r.count(what, 8)
	if r.err != nil {
		return nil
	}
	if uint32(n) != declared {
		r.fail("%s: array of %d, the structure says %d", what, n, declared)
		return nil
	}
	if n == 0 {
		// A non-null pointer to an empty array reads as no groups, as a
		// null one does.
		return nil
	}
	g := make([]GroupMembership, n)
	for i := range g {
		g[i].RID = r.uint32(what)
		g[i].Attributes = r.uint32(what)
	}
	return g
}

// pointer reads a unique pointer's referent ID, which only says whether
// a referent follows (non-zero) or not.
func (r *ndrReader) pointer(what string) uint32 { return r.uint32(what + " pointer") }
