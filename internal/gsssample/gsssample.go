// Package gsssample is the framing of MIT's GSS-API sample programs
// (gss-client and gss-server of krb5-gss-samples, src/appl/gss-sample):
// each token travels as one flags octet, a 4-byte big-endian length and
// the token. The schannel CLI speaks it to be a drop-in gss-client and
// gss-server, and the interop tests speak it to drive MIT's programs, so
// the framing lives here once, with no test dependencies.
package gsssample

import (
	"encoding/binary"
	"fmt"
	"io"
)

// The flags octet of a token, as the sample programs set them.
const (
	Noop        = 0x01 // no token: the start and end of a conversation
	Context     = 0x02 // a context establishment token
	Data        = 0x04 // a message
	MIC         = 0x08 // a MIC of the message received
	ContextNext = 0x10 // with Noop: the client will establish a context
	Wrapped     = 0x20 // with Data: the message is a Wrap token
	Encrypted   = 0x40 // with Wrapped: the Wrap token is sealed
	SendMIC     = 0x80 // with Data: answer with a MIC
)

// MaxToken caps the length of a token read, so that a peer cannot make
// the reader allocate what it likes.
const MaxToken = 1 << 20

// WriteToken writes one token with its flags.
func WriteToken(w io.Writer, flags byte, tok []byte) error {
	b := make([]byte, 5, 5+len(tok))
	b[0] = flags
	binary.BigEndian.PutUint32(b[1:], uint32(len(tok)))
	_, err := w.Write(append(b, tok...))
	return err
}

// ReadToken reads one token and its flags.
func ReadToken(r io.Reader) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > MaxToken {
		return 0, nil, fmt.Errorf("a %d-byte token is more than the %d this program takes", n, MaxToken)
	}
	tok := make([]byte, n)
	if _, err := io.ReadFull(r, tok); err != nil {
		return 0, nil, err
	}
	return h[0], tok, nil
}
