package schannel

import "github.com/gosspi/schannel/sspi"

// BufferType is a SecBuffer's BufferType (see sspi.BufferType).
type BufferType = sspi.BufferType

// SecBuffer models the Windows SecBuffer (see sspi.SecBuffer).
type SecBuffer = sspi.SecBuffer

// The buffer kinds and attribute bits Schannel uses, with their Windows
// values; package sspi has them all.
const (
	SECBUFFER_EMPTY                 = sspi.SECBUFFER_EMPTY
	SECBUFFER_DATA                  = sspi.SECBUFFER_DATA
	SECBUFFER_TOKEN                 = sspi.SECBUFFER_TOKEN
	SECBUFFER_PKG_PARAMS            = sspi.SECBUFFER_PKG_PARAMS
	SECBUFFER_MISSING               = sspi.SECBUFFER_MISSING
	SECBUFFER_EXTRA                 = sspi.SECBUFFER_EXTRA
	SECBUFFER_STREAM_TRAILER        = sspi.SECBUFFER_STREAM_TRAILER
	SECBUFFER_STREAM_HEADER         = sspi.SECBUFFER_STREAM_HEADER
	SECBUFFER_STREAM                = sspi.SECBUFFER_STREAM
	SECBUFFER_ALERT                 = sspi.SECBUFFER_ALERT
	SECBUFFER_APPLICATION_PROTOCOLS = sspi.SECBUFFER_APPLICATION_PROTOCOLS

	SECBUFFER_READONLY               = sspi.SECBUFFER_READONLY
	SECBUFFER_READONLY_WITH_CHECKSUM = sspi.SECBUFFER_READONLY_WITH_CHECKSUM
	SECBUFFER_ATTRMASK               = sspi.SECBUFFER_ATTRMASK
)

// NewSecBuffer returns a buffer of type t over b.
func NewSecBuffer(t BufferType, b []byte) SecBuffer { return sspi.NewSecBuffer(t, b) }
