package sspi

import "fmt"

// BufferType is a SecBuffer's BufferType: a SECBUFFER_* kind, possibly with
// attribute bits (SECBUFFER_READONLY...) in the top nibble.
type BufferType uint32

// Buffer kinds and attribute bits, with their Windows values (sspi.h).
const (
	SECBUFFER_EMPTY                 BufferType = 0
	SECBUFFER_DATA                  BufferType = 1
	SECBUFFER_TOKEN                 BufferType = 2
	SECBUFFER_PKG_PARAMS            BufferType = 3
	SECBUFFER_MISSING               BufferType = 4
	SECBUFFER_EXTRA                 BufferType = 5
	SECBUFFER_STREAM_TRAILER        BufferType = 6
	SECBUFFER_STREAM_HEADER         BufferType = 7
	SECBUFFER_NEGOTIATION_INFO      BufferType = 8
	SECBUFFER_PADDING               BufferType = 9
	SECBUFFER_STREAM                BufferType = 10
	SECBUFFER_MECHLIST              BufferType = 11
	SECBUFFER_MECHLIST_SIGNATURE    BufferType = 12
	SECBUFFER_TARGET                BufferType = 13
	SECBUFFER_CHANNEL_BINDINGS      BufferType = 14
	SECBUFFER_CHANGE_PASS_RESPONSE  BufferType = 15
	SECBUFFER_TARGET_HOST           BufferType = 16
	SECBUFFER_ALERT                 BufferType = 17
	SECBUFFER_APPLICATION_PROTOCOLS BufferType = 18

	SECBUFFER_READONLY               BufferType = 0x80000000
	SECBUFFER_READONLY_WITH_CHECKSUM BufferType = 0x10000000
	SECBUFFER_ATTRMASK               BufferType = 0xF0000000
)

// Kind is the buffer type without its attribute bits.
func (t BufferType) Kind() BufferType { return t &^ SECBUFFER_ATTRMASK }

// ReadOnly reports whether the package must leave the buffer alone.
func (t BufferType) ReadOnly() bool {
	return t&(SECBUFFER_READONLY|SECBUFFER_READONLY_WITH_CHECKSUM) != 0
}

var bufferTypeNames = map[BufferType]string{
	SECBUFFER_EMPTY: "EMPTY", SECBUFFER_DATA: "DATA", SECBUFFER_TOKEN: "TOKEN",
	SECBUFFER_PKG_PARAMS: "PKG_PARAMS", SECBUFFER_MISSING: "MISSING", SECBUFFER_EXTRA: "EXTRA",
	SECBUFFER_STREAM_TRAILER: "STREAM_TRAILER", SECBUFFER_STREAM_HEADER: "STREAM_HEADER",
	SECBUFFER_STREAM: "STREAM", SECBUFFER_ALERT: "ALERT", SECBUFFER_APPLICATION_PROTOCOLS: "APPLICATION_PROTOCOLS",
	SECBUFFER_NEGOTIATION_INFO: "NEGOTIATION_INFO", SECBUFFER_PADDING: "PADDING", SECBUFFER_MECHLIST: "MECHLIST",
	SECBUFFER_MECHLIST_SIGNATURE: "MECHLIST_SIGNATURE", SECBUFFER_TARGET: "TARGET",
	SECBUFFER_CHANNEL_BINDINGS: "CHANNEL_BINDINGS", SECBUFFER_CHANGE_PASS_RESPONSE: "CHANGE_PASS_RESPONSE",
	SECBUFFER_TARGET_HOST: "TARGET_HOST",
}

// String gives the Windows name without the SECBUFFER_ prefix ("EXTRA"),
// with "|READONLY" when that bit is set.
func (t BufferType) String() string {
	name, ok := bufferTypeNames[t.Kind()]
	if !ok {
		name = fmt.Sprintf("BufferType(%d)", uint32(t.Kind()))
	}
	if t&SECBUFFER_READONLY != 0 {
		name += "|READONLY"
	}
	if t&SECBUFFER_READONLY_WITH_CHECKSUM != 0 {
		name += "|READONLY_WITH_CHECKSUM"
	}
	return name
}

// SecBuffer models the Windows SecBuffer: a type, a size (cbBuffer) and the
// bytes (pvBuffer).
//
// On input the bytes are Buffer; its length is the buffer's size. On output
// the package rewrites the buffer as Windows does and sets Size as well:
// for SECBUFFER_MISSING, Buffer is nil and Size is the number of bytes still
// needed; for SECBUFFER_EXTRA, Size is the count of unprocessed trailing
// bytes and Buffer points at them (Windows leaves pvBuffer unset; this
// package fills it in); for every other type Size == len(Buffer).
type SecBuffer struct {
	BufferType BufferType
	Size       int
	Buffer     []byte
}

// NewSecBuffer returns a buffer of type t over b.
func NewSecBuffer(t BufferType, b []byte) SecBuffer {
	return SecBuffer{BufferType: t, Size: len(b), Buffer: b}
}

func (b SecBuffer) String() string {
	return fmt.Sprintf("%s(%d)", b.BufferType, b.Size)
}

// Set rewrites a buffer in place, as a package does on the output side of
// every SSPI call: the type becomes t, Buffer becomes data and Size its
// length.
func (b *SecBuffer) Set(t BufferType, data []byte) {
	b.BufferType, b.Size, b.Buffer = t, len(data), data
}

// IndexOf returns the index of the first buffer of the given kind
// (attribute bits ignored), or -1.
func IndexOf(buffers []SecBuffer, kind BufferType) int {
	for i := range buffers {
		if buffers[i].BufferType.Kind() == kind {
			return i
		}
	}
	return -1
}

// IndexOfWritable is IndexOf skipping READONLY buffers, which a package
// leaves alone.
func IndexOfWritable(buffers []SecBuffer, kind BufferType) int {
	for i := range buffers {
		if buffers[i].BufferType.Kind() == kind && !buffers[i].BufferType.ReadOnly() {
			return i
		}
	}
	return -1
}

// PlaceOutput puts an output token in b the way every package does: with
// ISC_REQ_ALLOCATE_MEMORY (allocate true) the package's own memory is
// handed out; otherwise the bytes are copied into the caller's buffer,
// which must be big enough: SEC_E_BUFFER_TOO_SMALL when it is not, and
// SEC_E_INSUFFICIENT_MEMORY when it has no room at all.
func PlaceOutput(b *SecBuffer, t BufferType, data []byte, allocate bool) error {
	if allocate {
		b.Set(t, data)
		return nil
	}
	if len(data) > len(b.Buffer) {
		status := SEC_E_BUFFER_TOO_SMALL
		if len(b.Buffer) == 0 {
			status = SEC_E_INSUFFICIENT_MEMORY
		}
		return Errorf(status, "sspi: the %d-byte output buffer cannot hold the %d-byte token (use ISC_REQ_ALLOCATE_MEMORY)", len(b.Buffer), len(data))
	}
	b.Set(t, b.Buffer[:copy(b.Buffer, data)])
	return nil
}
