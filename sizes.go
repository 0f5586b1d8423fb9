package schannel

import "github.com/gosspi/schannel/internal/sspi"

// StreamSizes is SecPkgContext_StreamSizes, the answer to
// QueryContextAttributes(SECPKG_ATTR_STREAM_SIZES): every EncryptMessage call
// needs Header bytes before the data and Trailer bytes after it, and takes at
// most MaximumMessage bytes of data.
type StreamSizes struct {
	Header         int // cbHeader
	Trailer        int // cbTrailer
	MaximumMessage int // cbMaximumMessage
	Buffers        int // cBuffers: the number of buffers EncryptMessage and DecryptMessage take
	BlockSize      int // cbBlockSize: 1, the AEAD ciphers have no block padding
}

// StreamSizes is QueryContextAttributes(SECPKG_ATTR_STREAM_SIZES). For TLS 1.3
// the header is the 5-byte record header and the trailer the 16-byte AEAD tag
// plus the 1-byte inner content type (no padding is added).
func (c *Context) StreamSizes() (StreamSizes, error) {
	if err := c.valid(); err != nil {
		return StreamSizes{}, err
	}
	if !c.eng.Established() {
		return StreamSizes{}, sspi.Errorf(SEC_E_INVALID_HANDLE, "schannel: stream sizes are known once the handshake completes")
	}
	header, trailer, maxMessage := c.eng.StreamSizes()
	return StreamSizes{Header: header, Trailer: trailer, MaximumMessage: maxMessage, Buffers: 4, BlockSize: 1}, nil
}
