package digest

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/internal/digest/engine"
	"github.com/gosspi/schannel/internal/digest/wire"
	"github.com/gosspi/schannel/sspi"
)

// maxInputToken caps the token a peer can hand to one handshake call. A
// WWW-Authenticate or Authorization value is a few hundred bytes; RFC 2831
// caps SASL tokens at 2048 and 4096.
const maxInputToken = 64 << 10

// NewContext starts a Digest context. The mode is fixed by the first call's
// flags: ISC_REQ_USE_HTTP_STYLE (client) or ASC_REQ_HTTP (server) for HTTP,
// neither for SASL DIGEST-MD5, as on Windows.
func (digestPackage) NewContext(cred *sspi.Credentials, server bool, targetName string, contextReq uint32, _ []sspi.SecBuffer) (sspi.Provider, error) {
	st, ok := cred.AuthData().(*credState)
	if !ok {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "digest: the credentials are not WDigest's")
	}
	if server {
		return newServerProvider(st, contextReq)
	}
	return newClientProvider(st, targetName, contextReq)
}

// common is what client and server contexts share: the SASL security layer
// behind MakeSignature/VerifySignature and EncryptMessage/DecryptMessage,
// and the answers to QueryContextAttributes.
type common struct {
	mode        engine.Mode
	allocate    bool
	established bool
	layer       func() *engine.Layer
	user        func() string
}

func (p *common) Established() bool { return p.established }

func (p *common) DeleteSecurityContext() error { return nil }

// CompleteAuthToken accepts the call Windows callers make after
// SEC_I_COMPLETE_NEEDED or SEC_I_COMPLETE_AND_CONTINUE. The handshake call
// has already done the work (verified the later request, on a server), so
// there is nothing left to do.
func (p *common) CompleteAuthToken([]sspi.SecBuffer) (sspi.Status, error) {
	return sspi.SEC_E_OK, nil
}

// saslLayer returns the security layer, or the status that says why there
// is none.
func (p *common) saslLayer(fn string) (*engine.Layer, error) {
	if p.mode != engine.SASL {
		return nil, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "digest: %s protects messages in SASL mode only", fn)
	}
	if !p.established {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "digest: %s before the context is established", fn)
	}
	l := p.layer()
	if l == nil {
		return nil, sspi.Errorf(sspi.SEC_E_QOP_NOT_SUPPORTED, "digest: %s needs qop auth-int or auth-conf; this context has auth", fn)
	}
	return l, nil
}

// dataOf concatenates the DATA buffers, which a signature covers whole.
func dataOf(buffers []sspi.SecBuffer) []byte {
	var msg []byte
	for i := range buffers {
		if buffers[i].BufferType.Kind() == sspi.SECBUFFER_DATA {
			msg = append(msg, buffers[i].Buffer...)
		}
	}
	return msg
}

// trailerIndex finds the buffer that takes (or holds) the SASL trailer:
// a TOKEN or PADDING buffer, whichever comes first.
func trailerIndex(buffers []sspi.SecBuffer, writable bool) int {
	for i := range buffers {
		k := buffers[i].BufferType.Kind()
		if (k == sspi.SECBUFFER_TOKEN || k == sspi.SECBUFFER_PADDING) && (!writable || !buffers[i].BufferType.ReadOnly()) {
			return i
		}
	}
	return -1
}

// signSASL is MakeSignature in SASL mode: [DATA..., TOKEN] with the 16-byte
// RFC 2831 section 2.3 trailer (MAC and sequence number) in TOKEN.
func (p *common) signSASL(buffers []sspi.SecBuffer) (sspi.Status, error) {
	l, err := p.saslLayer("MakeSignature")
	if err != nil {
		return sspi.StatusOf(err), err
	}
	t := trailerIndex(buffers, true)
	if t < 0 {
		return sspi.SEC_E_INVALID_TOKEN, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "digest: MakeSignature needs a TOKEN buffer for the signature")
	}
	sig, err := l.Sign(dataOf(buffers))
	if err != nil {
		return sspi.StatusOf(err), err
	}
	if err := sspi.PlaceOutput(&buffers[t], buffers[t].BufferType, sig, p.allocate); err != nil {
		return sspi.StatusOf(err), err
	}
	return sspi.SEC_E_OK, nil
}

// VerifySignature checks [DATA..., TOKEN] (SASL mode): SEC_E_MESSAGE_ALTERED
// for a wrong MAC, SEC_E_OUT_OF_SEQUENCE for a replayed, reordered or
// missing message.
func (p *common) VerifySignature(buffers []sspi.SecBuffer) (uint32, sspi.Status, error) {
	l, err := p.saslLayer("VerifySignature")
	if err != nil {
		return 0, sspi.StatusOf(err), err
	}
	t := trailerIndex(buffers, false)
	if t < 0 {
		return 0, sspi.SEC_E_INVALID_TOKEN, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "digest: VerifySignature needs the signature in a TOKEN buffer")
	}
	if err := l.Verify(dataOf(buffers), buffers[t].Buffer); err != nil {
		return 0, sspi.StatusOf(err), err
	}
	return 0, sspi.SEC_E_OK, nil
}

// EncryptMessage wraps one SASL message (RFC 2831 section 2.4) in place:
// [DATA, PADDING or TOKEN]. DATA followed by the trailer buffer is the token
// to send. With auth-conf, DATA is encrypted and the trailer takes the rest
// of the sealed message (padding, MAC, type and sequence number; at most
// SecurityTrailer bytes). On an auth-int context DATA stays plain and the
// trailer is the 16-byte integrity trailer (qop 0 or
// SECQOP_WRAP_NO_ENCRYPT).
func (p *common) EncryptMessage(qop uint32, buffers []sspi.SecBuffer) (sspi.Status, error) {
	l, err := p.saslLayer("EncryptMessage")
	if err != nil {
		return sspi.StatusOf(err), err
	}
	d := sspi.IndexOfWritable(buffers, sspi.SECBUFFER_DATA)
	t := trailerIndex(buffers, true)
	if d < 0 || t < 0 {
		return sspi.SEC_E_INVALID_TOKEN, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "digest: EncryptMessage needs [DATA, PADDING or TOKEN]")
	}
	data := buffers[d].Buffer
	if qop != 0 && qop != sspi.SECQOP_WRAP_NO_ENCRYPT {
		return sspi.SEC_E_QOP_NOT_SUPPORTED, sspi.Errorf(sspi.SEC_E_QOP_NOT_SUPPORTED, "digest: EncryptMessage qop %#x", qop)
	}
	if !l.Confidential() {
		// The negotiated layer is auth-int: the SASL wrap of RFC 2831
		// section 2.3 is the message and its integrity trailer.
		sig, err := l.Sign(data)
		if err != nil {
			return sspi.StatusOf(err), err
		}
		if err := sspi.PlaceOutput(&buffers[t], buffers[t].BufferType, sig, p.allocate); err != nil {
			return sspi.StatusOf(err), err
		}
		return sspi.SEC_E_OK, nil
	}
	if qop == sspi.SECQOP_WRAP_NO_ENCRYPT {
		// An auth-conf peer unseals every message; a plain one would
		// fail there, so refuse it here.
		return sspi.SEC_E_QOP_NOT_SUPPORTED, sspi.Errorf(sspi.SEC_E_QOP_NOT_SUPPORTED, "digest: this context has qop auth-conf; SECQOP_WRAP_NO_ENCRYPT is refused")
	}
	// Check room first: a failed call must not spend a sequence number.
	if !p.allocate && len(buffers[t].Buffer) < crypto.MaxSealOverhead {
		st := sspi.SEC_E_BUFFER_TOO_SMALL
		if len(buffers[t].Buffer) == 0 {
			st = sspi.SEC_E_INSUFFICIENT_MEMORY
		}
		return st, sspi.Errorf(st, "digest: the trailer buffer has %d bytes, SecurityTrailer is %d", len(buffers[t].Buffer), crypto.MaxSealOverhead)
	}
	sealed, err := l.Seal(data)
	if err != nil {
		return sspi.StatusOf(err), err
	}
	copy(data, sealed[:len(data)])
	if err := sspi.PlaceOutput(&buffers[t], buffers[t].BufferType, sealed[len(data):], p.allocate); err != nil {
		return sspi.StatusOf(err), err
	}
	return sspi.SEC_E_OK, nil
}

// DecryptMessage unwraps one SASL message. Two layouts: [STREAM = the whole
// token, DATA], where DATA comes back pointing at the plaintext inside
// STREAM; or [DATA, PADDING or TOKEN] as EncryptMessage produced them (the
// trailer buffer may be absent or empty when DATA holds the whole token),
// where DATA comes back holding the plaintext. pfQOP is
// SECQOP_WRAP_NO_ENCRYPT for an auth-int message.
func (p *common) DecryptMessage(buffers []sspi.SecBuffer) (uint32, sspi.Status, error) {
	l, err := p.saslLayer("DecryptMessage")
	if err != nil {
		return 0, sspi.StatusOf(err), err
	}
	d := sspi.IndexOfWritable(buffers, sspi.SECBUFFER_DATA)
	if d < 0 {
		return 0, sspi.SEC_E_INVALID_TOKEN, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "digest: DecryptMessage needs a DATA buffer")
	}
	var token, dst []byte
	if s := sspi.IndexOf(buffers, sspi.SECBUFFER_STREAM); s >= 0 {
		token, dst = buffers[s].Buffer, buffers[s].Buffer
	} else {
		token, dst = buffers[d].Buffer, buffers[d].Buffer
		if t := trailerIndex(buffers, false); t >= 0 && len(buffers[t].Buffer) > 0 {
			token = append(bytes.Clone(token), buffers[t].Buffer...)
		}
	}
	if !l.Confidential() {
		if len(token) < crypto.TrailerLen {
			return 0, sspi.SEC_E_INVALID_TOKEN, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "digest: a %d-byte message has no room for its trailer", len(token))
		}
		n := len(token) - crypto.TrailerLen
		if err := l.Verify(token[:n], token[n:]); err != nil {
			return 0, sspi.StatusOf(err), err
		}
		copy(dst, token[:n])
		buffers[d].Set(sspi.SECBUFFER_DATA, dst[:n])
		return sspi.SECQOP_WRAP_NO_ENCRYPT, sspi.SEC_E_OK, nil
	}
	plain, err := l.Unseal(token)
	if err != nil {
		return 0, sspi.StatusOf(err), err
	}
	if len(plain) > len(dst) {
		// Unseal never grows a message; this guards the copy.
		return 0, sspi.SEC_E_INTERNAL_ERROR, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "digest: plaintext longer than its token")
	}
	n := copy(dst, plain)
	buffers[d].Set(sspi.SECBUFFER_DATA, dst[:n])
	return 0, sspi.SEC_E_OK, nil
}

// QueryContextAttributes answers SECPKG_ATTR_SIZES and SECPKG_ATTR_NAMES;
// Context answers PACKAGE_INFO, NEGOTIATION_INFO and FLAGS.
func (p *common) QueryContextAttributes(attribute uint32) (any, error) {
	switch attribute {
	case sspi.SECPKG_ATTR_SIZES:
		s := sspi.Sizes{MaxToken: packageInfo.MaxToken}
		if p.established && p.mode == engine.SASL {
			if l := p.layer(); l != nil {
				// BlockSize 1: the layer pads des and 3des itself,
				// so a caller never has to align its data.
				s.MaxSignature, s.BlockSize, s.SecurityTrailer = crypto.TrailerLen, 1, crypto.TrailerLen
				if l.Confidential() {
					s.SecurityTrailer = crypto.MaxSealOverhead
				}
			}
		}
		return s, nil
	case sspi.SECPKG_ATTR_NAMES:
		if !p.established {
			return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "digest: no name before the context is established")
		}
		return sspi.Names{UserName: p.user()}, nil
	}
	return nil, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "digest: context attribute %d is not supported", attribute)
}

// tokenIn returns the input TOKEN, capped.
func tokenIn(input []sspi.SecBuffer) ([]byte, error) {
	i := sspi.IndexOf(input, sspi.SECBUFFER_TOKEN)
	if i < 0 {
		return nil, nil
	}
	if len(input[i].Buffer) > maxInputToken {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "digest: a %d-byte token; the limit is %d", len(input[i].Buffer), maxInputToken)
	}
	return input[i].Buffer, nil
}

// pkgParams returns the PKG_PARAMS buffers in order, as strings with any C
// terminator dropped (Windows callers pass "GET\0").
func pkgParams(input []sspi.SecBuffer) []string {
	var out []string
	for i := range input {
		if input[i].BufferType.Kind() == sspi.SECBUFFER_PKG_PARAMS {
			out = append(out, string(bytes.TrimRight(input[i].Buffer, "\x00")))
		}
	}
	return out
}

// bindingsIn reads the SECBUFFER_CHANNEL_BINDINGS input (a
// SEC_CHANNEL_BINDINGS structure followed by its data) and returns the hex
// channel-binding of Microsoft's Digest extension (crypto.BindingHash),
// or "" when there is none:
//
//	SEC_CHANNEL_BINDINGS ::= dwInitiatorAddrType cbInitiatorLength dwInitiatorOffset
//	                         dwAcceptorAddrType cbAcceptorLength dwAcceptorOffset
//	                         cbApplicationDataLength dwApplicationDataOffset (uint32 LE each)
func bindingsIn(input []sspi.SecBuffer) (string, error) {
	i := sspi.IndexOf(input, sspi.SECBUFFER_CHANNEL_BINDINGS)
	if i < 0 || len(input[i].Buffer) == 0 {
		return "", nil
	}
	b := input[i].Buffer
	if len(b) < 32 {
		return "", sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "digest: channel bindings of %d bytes are shorter than SEC_CHANNEL_BINDINGS", len(b))
	}
	u := func(off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
	var fields [3][]byte
	// The (length, offset) pairs of initiator, acceptor, application data.
	for k, at := range [3]int{4, 16, 24} {
		length, offset := u(at), u(at+4)
		if uint64(offset)+uint64(length) > uint64(len(b)) {
			return "", sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "digest: channel bindings field (offset %d, length %d) outside its %d-byte buffer", offset, length, len(b))
		}
		fields[k] = b[offset : offset+length]
	}
	return crypto.BindingHash(u(0), fields[0], u(12), fields[1], fields[2]), nil
}

// serviceNameIn returns the SPN a client passed in SECBUFFER_TARGET_HOST,
// the service-name of a bound response ("HTTP/host").
func serviceNameIn(input []sspi.SecBuffer) string {
	if i := sspi.IndexOf(input, sspi.SECBUFFER_TARGET_HOST); i >= 0 {
		return string(bytes.TrimRight(input[i].Buffer, "\x00"))
	}
	return ""
}

// placeToken writes a handshake call's output token.
func placeToken(output []sspi.SecBuffer, tok []byte, allocate bool) error {
	i := sspi.IndexOfWritable(output, sspi.SECBUFFER_TOKEN)
	if i < 0 {
		if len(tok) == 0 {
			return nil
		}
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "digest: no output TOKEN buffer")
	}
	if len(tok) == 0 {
		output[i].Set(sspi.SECBUFFER_TOKEN, output[i].Buffer[:0])
		return nil
	}
	return sspi.PlaceOutput(&output[i], sspi.SECBUFFER_TOKEN, tok, allocate)
}

// bodyIn returns the entity body a caller passed in a DATA buffer, this
// package's extension to Windows' H(entity) buffer.
func bodyIn(input []sspi.SecBuffer) []byte {
	if i := sspi.IndexOf(input, sspi.SECBUFFER_DATA); i >= 0 {
		return input[i].Buffer
	}
	return nil
}

// digestScheme is the auth-scheme a Windows caller strips from the header
// and adds back: curl's lib/http_digest.c writes "Authorization: Digest "
// followed by the token InitializeSecurityContext returned, and hands it
// the challenge that follows "Digest".
const digestScheme = "Digest "

// hasScheme reports whether a header value starts with the Digest scheme.
func hasScheme(tok []byte) bool {
	return len(tok) >= len(digestScheme) && strings.EqualFold(string(tok[:len(digestScheme)]), digestScheme)
}

// withScheme puts the scheme back on a challenge or Authorization a Windows
// caller passed without it. An Authentication-Info value has no scheme and
// no nonce (only nextnonce), which tells it from a bare challenge.
func withScheme(tok []byte, authInfoPossible bool) []byte {
	if len(tok) == 0 || hasScheme(tok) {
		return tok
	}
	params, err := wire.ParseParams(string(tok))
	if err != nil {
		return tok // another scheme, or malformed: the engine says which
	}
	if authInfoPossible {
		nonce := false
		for _, p := range params {
			nonce = nonce || strings.EqualFold(p.Name, "nonce")
		}
		if !nonce {
			return tok
		}
	}
	return append([]byte(digestScheme), tok...)
}

// withoutScheme is the Authorization as Windows returns it: the
// credentials after the scheme.
func withoutScheme(tok []byte) []byte {
	if hasScheme(tok) {
		return tok[len(digestScheme):]
	}
	return tok
}
