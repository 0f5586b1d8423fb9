package kerberos

import (
	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// The per-message calls are RFC 4121 section 4.2 tokens:
// EncryptMessage/DecryptMessage are Wrap tokens, MakeSignature and
// VerifySignature MIC tokens, laid out in SecBuffers as Windows lays them.
//
// EncryptMessage takes [TOKEN (cbSecurityTrailer), DATA, PADDING
// (cbBlockSize)]: DATA is encrypted in place and TOKEN receives the token
// header and the part of the token that is not the message, rotated
// right by RRC (RFC 4121 section 4.2.5) so that what remains for DATA is
// exactly as long as the message: RRC is the checksum for integrity-only
// tokens (12 for aes-sha1, as Windows sends) and the encrypted header copy
// with the checksum for confidential ones (28 for aes-sha1, as Windows).
// The engine lays the token out so (MessageLayer.WrapTo), encrypting the
// message where it lies: no copy of it is made.

func (p *provider) ready() error {
	if p.state != stateEstablished || p.ml == nil {
		return sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "kerberos: the context is not established")
	}
	if p.messageKey().KeyType == crypto.RC4HMAC {
		// RC4-HMAC uses RFC 1964's token format (RFC 4757 section 7),
		// whose SecBuffer layouts this package does not lay out yet; the
		// rotation above would corrupt such a token, so refuse rather
		// than guess.
		return sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "kerberos: per-message calls on an RC4-HMAC context are not implemented")
	}
	if !p.end.IsZero() && p.cred.now().After(p.end) {
		return sspi.Errorf(sspi.SEC_E_CONTEXT_EXPIRED, "kerberos: the context's ticket expired at %s", p.end)
	}
	return nil
}

// messageKeyEnctype is the enctype of the key the message layer uses: the
// acceptor's subkey when the AP-REP carried one, else the initiator's.
func (p *provider) messageKey() wire.EncryptionKey {
	if p.keys.AcceptorSubkey != nil {
		return *p.keys.AcceptorSubkey
	}
	return p.keys.InitiatorSubkey
}

func fail(err *sspi.Error) (sspi.Status, error) { return err.Status, err }

func (p *provider) EncryptMessage(qop uint32, buffers []sspi.SecBuffer) (sspi.Status, error) {
	conf := true
	switch qop {
	case 0:
	case sspi.SECQOP_WRAP_NO_ENCRYPT:
		conf = false
	default:
		return fail(sspi.Errorf(sspi.SEC_E_QOP_NOT_SUPPORTED, "kerberos: quality of protection %#x is not supported", qop))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.ready(); err != nil {
		return sspi.StatusOf(err), err
	}
	ti, di := sspi.IndexOfWritable(buffers, sspi.SECBUFFER_TOKEN), sspi.IndexOfWritable(buffers, sspi.SECBUFFER_DATA)
	if ti < 0 || di < 0 {
		return fail(sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: EncryptMessage needs TOKEN and DATA buffers"))
	}
	for i, b := range buffers {
		if i != di && b.BufferType.Kind() == sspi.SECBUFFER_DATA && b.BufferType&sspi.SECBUFFER_READONLY_WITH_CHECKSUM != 0 {
			return fail(sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "kerberos: signed-only (READONLY_WITH_CHECKSUM) buffers are not implemented"))
		}
	}
	n, err := p.ml.WrapTo(buffers[ti].Buffer, buffers[di].Buffer, conf)
	if err != nil {
		return sspi.StatusOf(err), err
	}
	buffers[ti].Buffer, buffers[ti].Size = buffers[ti].Buffer[:n], n
	if pi := sspi.IndexOfWritable(buffers, sspi.SECBUFFER_PADDING); pi >= 0 {
		buffers[pi].Buffer, buffers[pi].Size = buffers[pi].Buffer[:0], 0 // cbBlockSize 1: no padding
	}
	return sspi.SEC_E_OK, nil
}

// DecryptMessage takes [TOKEN, DATA] as EncryptMessage left them, or
// [STREAM (the whole token), DATA (empty)]; DATA comes back holding the
// message. pfQOP is SECQOP_WRAP_NO_ENCRYPT for an integrity-only token.
// As Windows does, it decrypts in place: the TOKEN (or STREAM) and DATA
// buffers are overwritten, unless the TOKEN or STREAM buffer is READONLY,
// when it is copied first. DATA gets the message in place for
// EncryptMessage's layout; from a STREAM the message is moved to the
// buffer's start, as this package always returned it.
func (p *provider) DecryptMessage(buffers []sspi.SecBuffer) (uint32, sspi.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.ready(); err != nil {
		return 0, sspi.StatusOf(err), err
	}
	di := sspi.IndexOfWritable(buffers, sspi.SECBUFFER_DATA)
	if di < 0 {
		st, err := fail(sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: DecryptMessage needs a DATA buffer"))
		return 0, st, err
	}
	var tok, data []byte
	ti := sspi.IndexOf(buffers, sspi.SECBUFFER_STREAM)
	stream := ti >= 0
	if !stream {
		if ti = sspi.IndexOf(buffers, sspi.SECBUFFER_TOKEN); ti < 0 {
			st, err := fail(sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: DecryptMessage needs a TOKEN or a STREAM buffer"))
			return 0, st, err
		}
		data = buffers[di].Buffer
	}
	tok = buffers[ti].Buffer
	if buffers[ti].BufferType.ReadOnly() {
		// SSPI.md: READONLY buffers are left alone; a STREAM's message
		// then comes back in the copy.
		tok = append([]byte(nil), tok...)
	}
	out := data
	if stream {
		out = tok
	}
	msg, conf, err := p.ml.UnwrapIn(tok, data)
	if err != nil {
		return 0, sspi.StatusOf(err), err
	}
	if len(msg) > len(out) {
		st, err := fail(sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: the %d-byte message does not fit the %d-byte DATA buffer", len(msg), len(out)))
		return 0, st, err
	}
	n := len(msg)
	if n > 0 && &msg[0] != &out[0] {
		copy(out, msg) // may overlap within a STREAM: copy is memmove
	}
	buffers[di].Buffer, buffers[di].Size = out[:n], n
	if !conf {
		return sspi.SECQOP_WRAP_NO_ENCRYPT, sspi.SEC_E_OK, nil
	}
	return 0, sspi.SEC_E_OK, nil
}

// signedData is the concatenation of the DATA buffers a MIC covers.
func signedData(buffers []sspi.SecBuffer) []byte {
	var msg []byte
	n := 0
	for _, b := range buffers {
		if b.BufferType.Kind() == sspi.SECBUFFER_DATA {
			n++
			if n == 1 {
				msg = b.Buffer
				continue
			}
			if n == 2 {
				msg = append([]byte(nil), msg...)
			}
			msg = append(msg, b.Buffer...)
		}
	}
	return msg
}

// MakeSignature makes a MIC token over the DATA buffers into the TOKEN
// buffer (cbMaxSignature bytes): [DATA, TOKEN].
func (p *provider) MakeSignature(qop uint32, buffers []sspi.SecBuffer) (sspi.Status, error) {
	if qop != 0 {
		return fail(sspi.Errorf(sspi.SEC_E_QOP_NOT_SUPPORTED, "kerberos: quality of protection %#x is not supported for signatures", qop))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.ready(); err != nil {
		return sspi.StatusOf(err), err
	}
	ti := sspi.IndexOfWritable(buffers, sspi.SECBUFFER_TOKEN)
	if ti < 0 {
		return fail(sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: MakeSignature needs a TOKEN buffer"))
	}
	n, err := p.ml.MICTo(buffers[ti].Buffer, signedData(buffers))
	if err != nil {
		return sspi.StatusOf(err), err
	}
	buffers[ti].Buffer, buffers[ti].Size = buffers[ti].Buffer[:n], n
	return sspi.SEC_E_OK, nil
}

// VerifySignature checks a MIC token in the TOKEN buffer over the DATA
// buffers.
func (p *provider) VerifySignature(buffers []sspi.SecBuffer) (uint32, sspi.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.ready(); err != nil {
		return 0, sspi.StatusOf(err), err
	}
	ti := sspi.IndexOf(buffers, sspi.SECBUFFER_TOKEN)
	if ti < 0 {
		st, err := fail(sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: VerifySignature needs a TOKEN buffer"))
		return 0, st, err
	}
	if err := p.ml.VerifyMIC(signedData(buffers), buffers[ti].Buffer); err != nil {
		return 0, sspi.StatusOf(err), err
	}
	return 0, sspi.SEC_E_OK, nil
}
