package negotiate

import (
	encasn1 "encoding/asn1"
	"errors"

	"github.com/gosspi/schannel/internal/negotiate/wire"
	"github.com/gosspi/schannel/sspi"
)

// offered is the mechanism list a client sends, in order of preference:
// Kerberos only, as NTLM is not implemented. Windows sends MS-Kerberos,
// Kerberos, NEGOEX and NTLM; a mechanism added here must also be handled
// by choose.
var offered = []encasn1.ObjectIdentifier{wire.OIDKerberos}

// Context states.
const (
	stateStart = iota
	// stateWait: a client waiting for the acceptor's NegTokenResp, or an
	// acceptor waiting for the mechanism token or the client's MIC.
	stateWait
	stateEstablished
	stateDead
)

// provider is one Negotiate context: the SPNEGO exchange of RFC 4178
// around a context of the chosen package (Kerberos), to which every
// per-message call then goes.
type provider struct {
	cred   *credState
	server bool
	target string
	state  int

	// inner is the chosen package's context, driven through the SSPI calls.
	inner     *sspi.Context
	innerCred *sspi.Credentials
	innerDone bool
	// direct is set when an acceptor got a bare Kerberos token instead of
	// SPNEGO, which Windows' Negotiate also takes.
	direct bool

	// mechTypes is the DER of the initiator's mechanism list, which the
	// mechListMIC covers (RFC 4178 section 5).
	mechTypes []byte
	// mech is the chosen mechanism as the initiator named it.
	mech encasn1.ObjectIdentifier
	// micReqd, micSent, micRcvd track the MIC exchange of RFC 4178
	// section 5: required when the chosen mechanism was not the
	// initiator's first choice, or when the peer sent or asked for one.
	micReqd, micSent, micRcvd bool
}

// NewContext is Package.NewContext.
func (negotiatePackage) NewContext(cred *sspi.Credentials, server bool, targetName string, contextReq uint32, input []sspi.SecBuffer) (sspi.Provider, error) {
	cs, ok := cred.AuthData().(*credState)
	if !ok {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "negotiate: the credentials are not Negotiate credentials")
	}
	if !server && contextReq&sspi.ISC_REQ_USE_DCE_STYLE != 0 {
		// Kerberos does DCE style alone; carrying its third leg in SPNEGO
		// (a fourth NegTokenResp) is not done here, so refuse at once
		// rather than fail on the second call.
		return nil, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "negotiate: DCE style (ISC_REQ_USE_DCE_STYLE) through SPNEGO is not implemented; use the Kerberos package")
	}
	return &provider{cred: cs, server: server, target: targetName}, nil
}

func (p *provider) Established() bool { return p.state == stateEstablished }

func (p *provider) DeleteSecurityContext() error {
	p.state = stateDead
	if p.inner != nil {
		err := p.inner.DeleteSecurityContext()
		p.inner = nil
		return err
	}
	return nil
}

func (p *provider) Handshake(input, output []sspi.SecBuffer, contextReq uint32) (sspi.Status, uint32, error) {
	var status sspi.Status
	var attrs uint32
	var err error
	switch {
	case p.state == stateEstablished || p.state == stateDead:
		err = sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "negotiate: the context is already established or dead")
	case p.server:
		status, attrs, err = p.accept(input, output, contextReq)
	default:
		status, attrs, err = p.initiate(input, output, contextReq)
	}
	if err != nil {
		p.state = stateDead
		if i := sspi.IndexOfWritable(output, sspi.SECBUFFER_TOKEN); i >= 0 && output[i].Buffer != nil {
			output[i].Buffer = output[i].Buffer[:0]
			output[i].Size = 0
		}
		return sspi.StatusOf(err), attrs, err
	}
	if status == sspi.SEC_E_OK {
		p.state = stateEstablished
	} else {
		p.state = stateWait
	}
	return status, attrs, nil
}

// passThrough keeps the input buffers the chosen package reads besides
// its token (channel bindings) and adds tok as the TOKEN.
func passThrough(input []sspi.SecBuffer, tok []byte) []sspi.SecBuffer {
	var in []sspi.SecBuffer
	for _, b := range input {
		if b.BufferType.Kind() == sspi.SECBUFFER_CHANNEL_BINDINGS {
			in = append(in, b)
		}
	}
	if tok != nil {
		in = append(in, sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok))
	}
	return in
}

func inputToken(input []sspi.SecBuffer) []byte {
	if i := sspi.IndexOf(input, sspi.SECBUFFER_TOKEN); i >= 0 {
		return input[i].Buffer
	}
	return nil
}

// place writes the token to send (possibly none) into the caller's TOKEN
// buffer.
func place(output []sspi.SecBuffer, tok []byte, allocate bool) error {
	i := sspi.IndexOfWritable(output, sspi.SECBUFFER_TOKEN)
	if i < 0 {
		if len(tok) == 0 {
			return nil
		}
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: a SECBUFFER_TOKEN output buffer is needed")
	}
	return sspi.PlaceOutput(&output[i], sspi.SECBUFFER_TOKEN, tok, allocate)
}

// stepInner runs one handshake call of the chosen package and returns its
// output token. The inner context always allocates; the caller's flag
// decides how Negotiate's own token is handed out.
func (p *provider) stepInner(input []sspi.SecBuffer, tok []byte, req uint32) ([]byte, uint32, error) {
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	in := passThrough(input, tok)
	var ctx *sspi.Context
	var st sspi.Status
	var err error
	if p.server {
		ctx, st, err = sspi.AcceptSecurityContext(p.innerCred, p.inner, in, req|sspi.ASC_REQ_ALLOCATE_MEMORY, out)
	} else {
		ctx, st, err = sspi.InitializeSecurityContext(p.innerCred, p.inner, p.target, req|sspi.ISC_REQ_ALLOCATE_MEMORY, in, out)
	}
	if err != nil {
		return nil, 0, err
	}
	p.inner = ctx
	switch st {
	case sspi.SEC_E_OK:
		p.innerDone = true
	case sspi.SEC_I_CONTINUE_NEEDED:
	default:
		return nil, 0, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "negotiate: Kerberos returned %v, which Negotiate does not pass on", st)
	}
	return out[0].Buffer, innerAttrs(ctx, req), nil
}

// innerAttrs are the Kerberos context's return flags as Negotiate's: the
// inner context always allocates, but ALLOCATED_MEMORY is returned only
// to a caller that asked for it.
func innerAttrs(ctx *sspi.Context, req uint32) uint32 {
	attrs := ctx.Attributes()
	allocated := uint32(sspi.ISC_RET_ALLOCATED_MEMORY) // the same bit as ASC_RET_ALLOCATED_MEMORY
	if req&sspi.ISC_REQ_ALLOCATE_MEMORY == 0 {
		attrs &^= allocated
	}
	return attrs
}

// mic is the mechListMIC: the chosen mechanism's MIC over the DER of the
// initiator's mechanism list (RFC 4178 section 5), with the Kerberos
// context's MakeSignature.
func (p *provider) mic() ([]byte, error) {
	v, err := p.inner.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
	if err != nil {
		return nil, err
	}
	sizes, ok := v.(sspi.Sizes)
	if !ok {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "negotiate: SECPKG_ATTR_SIZES gave %T", v)
	}
	bufs := []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_DATA|sspi.SECBUFFER_READONLY, p.mechTypes),
		sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, sizes.MaxSignature)),
	}
	if _, err := p.inner.MakeSignature(0, bufs); err != nil {
		return nil, err
	}
	p.micSent = true
	return bufs[1].Buffer, nil
}

// checkMIC verifies the peer's mechListMIC.
func (p *provider) checkMIC(mic []byte) error {
	if !p.innerDone {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: a mechListMIC arrived before the mechanism context was established")
	}
	if p.micRcvd {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: a second mechListMIC")
	}
	bufs := []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_DATA|sspi.SECBUFFER_READONLY, p.mechTypes),
		sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, append([]byte(nil), mic...)),
	}
	if _, _, err := p.inner.VerifySignature(bufs); err != nil {
		return sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "negotiate: the mechListMIC does not match the mechanism list (%w); the negotiation may have been tampered with", err)
	}
	p.micRcvd, p.micReqd = true, true
	return nil
}

// cannotUseKerberos turns a Kerberos failure to start a context into what
// Windows' Negotiate reports when no package can be used: the target is
// unknown, or there are no credentials; the reason stays in the error.
func cannotUseKerberos(err error) error {
	if errors.Is(err, sspi.SEC_E_TARGET_UNKNOWN) || errors.Is(err, sspi.SEC_E_NO_CREDENTIALS) {
		return sspi.Errorf(sspi.StatusOf(err), "negotiate: Kerberos cannot be used and NTLM is not implemented: %w", err)
	}
	return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "negotiate: Kerberos cannot be used and NTLM is not implemented: %w", err)
}

func (p *provider) initiate(input, output []sspi.SecBuffer, req uint32) (sspi.Status, uint32, error) {
	allocate := req&sspi.ISC_REQ_ALLOCATE_MEMORY != 0
	if p.state == stateStart {
		krb, err := p.cred.kerberosCredentials()
		if err != nil {
			return 0, 0, err
		}
		p.innerCred = krb
		tok, attrs, err := p.stepInner(input, nil, req)
		if err != nil {
			return 0, 0, cannotUseKerberos(err)
		}
		if p.mechTypes, err = wire.MarshalMechTypes(offered); err != nil {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "%w", err)
		}
		init := wire.NegTokenInit{MechTypes: offered, MechToken: tok}
		enc, err := init.Marshal()
		if err != nil {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "%w", err)
		}
		if err := place(output, enc, allocate); err != nil {
			return 0, 0, err
		}
		// The acceptor must still say which mechanism it took, even
		// when the Kerberos token was all Kerberos needed.
		return sspi.SEC_I_CONTINUE_NEEDED, attrs, nil
	}

	tok := inputToken(input)
	if len(tok) == 0 {
		return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: InitializeSecurityContext needs the acceptor's NegTokenResp in a TOKEN buffer")
	}
	var resp wire.NegTokenResp
	if err := resp.Unmarshal(tok); err != nil {
		return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "%w", err)
	}
	if resp.NegState == wire.NegStateReject {
		return 0, 0, sspi.Errorf(sspi.SEC_E_LOGON_DENIED, "negotiate: the acceptor rejected the negotiation")
	}
	if p.mech == nil {
		// The acceptor's first reply: RFC 4178 section 4.2.2 requires
		// negState and supportedMech in it.
		if resp.NegState == wire.NegStateAbsent {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: the acceptor's first NegTokenResp has no negState")
		}
		if resp.SupportedMech == nil {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: the acceptor's first NegTokenResp has no supportedMech")
		}
		if !wire.IsKerberos(resp.SupportedMech) {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: the acceptor chose mechanism %v, which was not offered", resp.SupportedMech)
		}
		p.mech = resp.SupportedMech
	} else if resp.SupportedMech != nil && !resp.SupportedMech.Equal(p.mech) {
		return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: the acceptor changed its mechanism to %v", resp.SupportedMech)
	}
	if resp.NegState == wire.NegStateRequestMIC {
		p.micReqd = true
	}
	var attrs uint32
	switch {
	case resp.ResponseToken != nil && p.innerDone:
		return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: a mechanism token arrived after Kerberos finished")
	case resp.ResponseToken != nil:
		out, a, err := p.stepInner(input, resp.ResponseToken, req)
		if err != nil {
			return 0, 0, err
		}
		if len(out) > 0 {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "negotiate: Kerberos wants a third leg")
		}
		attrs = a
	case !p.innerDone:
		return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: the acceptor answered %v without the Kerberos AP-REP", resp.NegState)
	default:
		attrs = innerAttrs(p.inner, req)
	}
	if resp.MechListMIC != nil {
		if err := p.checkMIC(resp.MechListMIC); err != nil {
			return 0, 0, err
		}
	}
	if resp.NegState == wire.NegStateAcceptCompleted && p.micReqd && !p.micRcvd {
		return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: the acceptor completed without the mechListMIC the negotiation requires")
	}
	var send []byte
	if p.micReqd && !p.micSent {
		mic, err := p.mic()
		if err != nil {
			return 0, 0, err
		}
		r := wire.NegTokenResp{NegState: wire.NegStateAbsent, MechListMIC: mic}
		if send, err = r.Marshal(); err != nil {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "%w", err)
		}
	}
	if err := place(output, send, allocate); err != nil {
		return 0, 0, err
	}
	if p.micReqd && !p.micRcvd {
		return sspi.SEC_I_CONTINUE_NEEDED, attrs, nil
	}
	return sspi.SEC_E_OK, attrs, nil
}

// choose picks the first mechanism of the initiator's list this package
// has, and its index.
func choose(mechs []encasn1.ObjectIdentifier) (encasn1.ObjectIdentifier, int) {
	for i, m := range mechs {
		if wire.IsKerberos(m) {
			return m, i
		}
	}
	return nil, -1
}

func (p *provider) accept(input, output []sspi.SecBuffer, req uint32) (sspi.Status, uint32, error) {
	allocate := req&sspi.ASC_REQ_ALLOCATE_MEMORY != 0
	tok := inputToken(input)
	if len(tok) == 0 {
		return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: AcceptSecurityContext needs the initiator's token in a TOKEN buffer")
	}
	var mechToken, clientMIC []byte
	if p.state == stateStart {
		mech, err := wire.InitialTokenMech(tok)
		if err != nil {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "%w", err)
		}
		krb, err := p.cred.kerberosCredentials()
		if err != nil {
			return 0, 0, err
		}
		p.innerCred = krb
		if wire.IsKerberos(mech) {
			// A bare Kerberos token: Windows' Negotiate hands it to
			// Kerberos and answers in Kerberos (SECPKG_NEGOTIATION_DIRECT).
			p.direct, p.mech = true, mech
			out, attrs, err := p.stepInner(input, tok, req)
			if err != nil {
				return 0, 0, err
			}
			if err := place(output, out, allocate); err != nil {
				return 0, 0, err
			}
			if !p.innerDone {
				return sspi.SEC_I_CONTINUE_NEEDED, attrs, nil
			}
			return sspi.SEC_E_OK, attrs, nil
		}
		var init wire.NegTokenInit
		if err := init.Unmarshal(tok); err != nil {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "%w", err)
		}
		if len(init.MechTypes) == 0 {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: the initiator offered no mechanism")
		}
		chosen, idx := choose(init.MechTypes)
		if idx < 0 {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: the initiator offered %v; this Negotiate has only Kerberos (NTLM is not implemented)", init.MechTypes)
		}
		if p.mechTypes, err = wire.MarshalMechTypes(init.MechTypes); err != nil {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "%w", err)
		}
		p.mech = chosen
		// RFC 4178 section 5: the MIC exchange is required unless the
		// chosen mechanism is the initiator's first choice. Kerberos
		// under either of its OIDs counts as one mechanism.
		p.micReqd = !wire.IsKerberos(init.MechTypes[0])
		if idx == 0 && init.MechToken != nil {
			mechToken = init.MechToken
		}
		clientMIC = init.MechListMIC
	} else {
		var resp wire.NegTokenResp
		if err := resp.Unmarshal(tok); err != nil {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "%w", err)
		}
		if resp.NegState == wire.NegStateReject {
			return 0, 0, sspi.Errorf(sspi.SEC_E_LOGON_DENIED, "negotiate: the initiator rejected the negotiation")
		}
		if resp.SupportedMech != nil && !resp.SupportedMech.Equal(p.mech) {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: the initiator named mechanism %v, not the chosen %v", resp.SupportedMech, p.mech)
		}
		if resp.ResponseToken != nil && p.innerDone {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: a mechanism token arrived after Kerberos finished")
		}
		if resp.ResponseToken == nil && !p.innerDone {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: the initiator sent no Kerberos token")
		}
		if resp.MechListMIC == nil && p.innerDone {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: the initiator's answer lacks the mechListMIC")
		}
		mechToken, clientMIC = resp.ResponseToken, resp.MechListMIC
	}

	reply := wire.NegTokenResp{NegState: wire.NegStateAcceptIncomplete}
	if p.state == stateStart {
		reply.SupportedMech = p.mech
	}
	var attrs uint32
	if mechToken != nil {
		out, a, err := p.stepInner(input, mechToken, req)
		if err != nil {
			return 0, 0, err
		}
		attrs = a
		if len(out) > 0 {
			reply.ResponseToken = out
		}
	} else if p.inner != nil {
		attrs = innerAttrs(p.inner, req)
	}
	if p.innerDone {
		if clientMIC != nil {
			if err := p.checkMIC(clientMIC); err != nil {
				return 0, 0, err
			}
		}
		if p.micReqd && !p.micSent {
			mic, err := p.mic()
			if err != nil {
				return 0, 0, err
			}
			reply.MechListMIC = mic
		}
		if !p.micReqd || p.micRcvd {
			reply.NegState = wire.NegStateAcceptCompleted
		}
	} else if clientMIC != nil {
		return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: a mechListMIC arrived before the mechanism context was established")
	}
	done := reply.NegState == wire.NegStateAcceptCompleted
	// After the initiator's MIC, when the acceptor's went out before,
	// there is nothing left to say (MIT sends no token either).
	var send []byte
	if !(done && p.state != stateStart && reply.ResponseToken == nil && reply.MechListMIC == nil) {
		var err error
		if send, err = reply.Marshal(); err != nil {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "%w", err)
		}
	}
	if err := place(output, send, allocate); err != nil {
		return 0, 0, err
	}
	if done {
		return sspi.SEC_E_OK, attrs, nil
	}
	return sspi.SEC_I_CONTINUE_NEEDED, attrs, nil
}
