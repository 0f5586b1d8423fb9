package engine

import (
	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/sspi"
)

// Layer is the SASL security layer of an authenticated context, with
// failures as SSPI statuses: SEC_E_OUT_OF_SEQUENCE for a replay, a
// reordering or a gap (VerifySignature wants nc = last + 1), and
// SEC_E_MESSAGE_ALTERED for anything forged or damaged.
type Layer struct {
	l *crypto.Layer
	// peerBuf is the peer's maxbuf: no wrapped message may exceed it.
	peerBuf uint32
}

func newLayer(l *crypto.Layer, peerBuf uint32, done bool) *Layer {
	if l == nil || !done {
		return nil
	}
	return &Layer{l: l, peerBuf: peerBuf}
}

// Confidential reports auth-conf.
func (l *Layer) Confidential() bool { return l.l.Confidential() }

// MaxMessage is the longest message that wraps to at most the peer's
// maxbuf.
func (l *Layer) MaxMessage() int {
	n := int(l.peerBuf) - crypto.TrailerLen
	if l.l.Confidential() {
		n = int(l.peerBuf) - crypto.MaxSealOverhead
	}
	return max(n, 0)
}

// Sign is MakeSignature: the 16-byte trailer for msg.
func (l *Layer) Sign(msg []byte) ([]byte, error) {
	if len(msg) > l.MaxMessage() {
		return nil, fail(sspi.SEC_E_BUFFER_TOO_SMALL, "message of %d bytes exceeds the peer's maxbuf", len(msg))
	}
	t := l.l.Sign(msg)
	return t[:], nil
}

// Verify is VerifySignature.
func (l *Layer) Verify(msg, trailer []byte) error {
	if err := l.l.Verify(msg, trailer); err != nil {
		return layerError(err)
	}
	return nil
}

// Seal is EncryptMessage (auth-conf).
func (l *Layer) Seal(msg []byte) ([]byte, error) {
	if !l.l.Confidential() {
		return nil, fail(sspi.SEC_E_QOP_NOT_SUPPORTED, "no confidentiality layer (qop auth-int)")
	}
	if len(msg) > l.MaxMessage() {
		return nil, fail(sspi.SEC_E_BUFFER_TOO_SMALL, "message of %d bytes exceeds the peer's maxbuf", len(msg))
	}
	out, err := l.l.Seal(msg)
	if err != nil {
		return nil, layerError(err)
	}
	return out, nil
}

// Unseal is DecryptMessage (auth-conf).
func (l *Layer) Unseal(token []byte) ([]byte, error) {
	if !l.l.Confidential() {
		return nil, fail(sspi.SEC_E_QOP_NOT_SUPPORTED, "no confidentiality layer (qop auth-int)")
	}
	out, err := l.l.Unseal(token)
	if err != nil {
		return nil, layerError(err)
	}
	return out, nil
}
