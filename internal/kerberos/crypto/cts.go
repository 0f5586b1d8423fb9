package crypto

import (
	"crypto/cipher"
	"errors"

	"github.com/gosspi/schannel/internal/kerberos/iov"
)

// The CTS functions work on a byte string spread over a few slices
// (package iov), encrypting and decrypting where the bytes lie. Blocks
// inside one slice go to the CBC mode in runs; only a block that
// straddles two slices is copied, through a scratch block.

// cbcMode is a CBC BlockMode whose IV can be reset, so that one mode per
// key serves every message (crypto/cipher's and crypto/aes's modes have
// SetIV; crypto/tls relies on it the same way).
type cbcMode interface {
	cipher.BlockMode
	SetIV([]byte)
}

// ctsState is what the segment CTS functions need besides the block: the
// two CBC modes and scratch space that outlives no call.
type ctsState struct {
	block          cipher.Block
	cbcEnc, cbcDec cbcMode
	zeroIV         [aesBlockSize]byte
	scratch        [3 * aesBlockSize]byte
}

func newCTSState(b cipher.Block) (*ctsState, error) {
	s := &ctsState{block: b}
	enc, ok1 := cipher.NewCBCEncrypter(b, s.zeroIV[:]).(cbcMode)
	dec, ok2 := cipher.NewCBCDecrypter(b, s.zeroIV[:]).(cbcMode)
	if !ok1 || !ok2 {
		return nil, errors.New("kerberos: the CBC mode cannot reset its IV")
	}
	s.cbcEnc, s.cbcDec = enc, dec
	return s, nil
}

// cbcSegments runs mode over the first n bytes of segs (whole blocks) in
// place. The mode chains across calls, so a straddling block processed
// alone continues the chain as in one pass.
func cbcSegments(mode cipher.BlockMode, segs [][]byte, n int, blk []byte) {
	off, start := 0, 0 // off: bytes done; start: offset of segs[i]
	for i := 0; off < n && i < len(segs); {
		s := segs[i]
		if off >= start+len(s) {
			start += len(s)
			i++
			continue
		}
		run := min(start+len(s)-off, n-off) / aesBlockSize * aesBlockSize
		if run > 0 {
			p := s[off-start : off-start+run]
			mode.CryptBlocks(p, p)
			off += run
			continue
		}
		// The next block straddles segs[i] and what follows.
		b := blk[:aesBlockSize]
		iov.Gather(b, segs, off)
		mode.CryptBlocks(b, b)
		iov.Scatter(segs, off, b)
		off += aesBlockSize
	}
}

// ctsLayout splits an n-byte CTS string: head is the whole blocks before
// the last two, tail the length of the final, possibly partial, block.
// A string of one block is plain AES (head is then negative, unused).
func ctsLayout(n int) (head, tail int, err error) {
	if n < aesBlockSize {
		return 0, 0, errors.New("kerberos: CTS input shorter than one block")
	}
	tail = n % aesBlockSize
	if tail == 0 {
		tail = aesBlockSize
	}
	return n - aesBlockSize - tail, tail, nil
}

// oneBlock encrypts or decrypts a string of exactly one block, through
// the scratch block.
func (s *ctsState) oneBlock(segs [][]byte, decrypt bool) {
	b := s.scratch[:aesBlockSize]
	iov.Gather(b, segs, 0)
	if decrypt {
		s.block.Decrypt(b, b)
	} else {
		s.block.Encrypt(b, b)
	}
	iov.Scatter(segs, 0, b)
}

// encryptSegments is AES in CBC mode with ciphertext stealing, RFC 3962
// section 5, in place over segs: CBC over the zero-padded input, then the
// last two cipher blocks are swapped and the output cut to the input
// length. A single block is plain CBC. The IV is always zero in Kerberos
// (the cipher state is not chained).
func (s *ctsState) encryptSegments(segs [][]byte) error {
	n := iov.Len(segs)
	head, tail, err := ctsLayout(n)
	if err != nil {
		return err
	}
	if n == aesBlockSize {
		s.oneBlock(segs, false)
		return nil
	}
	s.cbcEnc.SetIV(s.zeroIV[:])
	cbcSegments(s.cbcEnc, segs, head, s.scratch[:])
	// scratch: P(n-1) | Pn zero-padded, both encrypted in the chain.
	pair := s.scratch[:2*aesBlockSize]
	clear(pair[aesBlockSize:])
	iov.Gather(pair[:aesBlockSize+tail], segs, head)
	s.cbcEnc.CryptBlocks(pair, pair)
	// Cn first, then C(n-1) cut to the tail.
	iov.Scatter(segs, head, pair[aesBlockSize:])
	iov.Scatter(segs, head+aesBlockSize, pair[:tail])
	return nil
}

// decryptSegments reverses encryptSegments in place.
func (s *ctsState) decryptSegments(segs [][]byte) error {
	n := iov.Len(segs)
	head, tail, err := ctsLayout(n)
	if err != nil {
		return err
	}
	if n == aesBlockSize {
		s.oneBlock(segs, true)
		return nil
	}
	// iv is the last cipher block before the stolen pair, needed after
	// the in-place CBC pass has overwritten it.
	iv := s.scratch[2*aesBlockSize:]
	clear(iv)
	if head > 0 {
		iov.Gather(iv, segs, head-aesBlockSize)
		s.cbcDec.SetIV(s.zeroIV[:])
		cbcSegments(s.cbcDec, segs, head, s.scratch[:])
	}
	// pair: Cn, then the first tail bytes of C(n-1). Decrypting Cn gives
	// Pn xor C(n-1), whose bytes past the tail are C(n-1)'s, because Pn
	// was zero-padded.
	pair := s.scratch[:2*aesBlockSize]
	iov.Gather(pair[:aesBlockSize+tail], segs, head)
	cn, cn1 := pair[:aesBlockSize], pair[aesBlockSize:]
	s.block.Decrypt(cn, cn)
	copy(cn1[tail:], cn[tail:])
	for i := range tail {
		cn[i] ^= cn1[i] // Pn
	}
	s.block.Decrypt(cn1, cn1)
	for i := range aesBlockSize {
		cn1[i] ^= iv[i] // P(n-1)
	}
	iov.Scatter(segs, head, cn1)
	iov.Scatter(segs, head+aesBlockSize, cn[:tail])
	return nil
}
