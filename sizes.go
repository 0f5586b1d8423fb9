package schannel

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
