package digest

import (
	"github.com/gosspi/schannel/internal/digest/engine"
	"github.com/gosspi/schannel/sspi"
)

// serverProvider is one AcceptSecurityContext context.
type serverProvider struct {
	common
	sc    *engine.ServerContext
	qop   []string
	realm string
}

// newServerProvider maps the ASC_REQ flags as Windows does: ASC_REQ_HTTP
// selects HTTP; without ServerConfig.Qop, INTEGRITY, REPLAY_DETECT or
// SEQUENCE_DETECT add auth-int to the qop offered and CONFIDENTIALITY adds
// auth-conf (SASL only).
func newServerProvider(st *credState, req uint32) (*serverProvider, error) {
	if st.server == nil {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "digest: AcceptSecurityContext needs inbound credentials")
	}
	mode := engine.SASL
	if req&ASC_REQ_HTTP != 0 {
		mode = engine.HTTP
	}
	qop := st.server.Qop
	if qop == nil {
		qop = []string{engine.QopAuth}
		if req&(sspi.ASC_REQ_INTEGRITY|sspi.ASC_REQ_REPLAY_DETECT|sspi.ASC_REQ_SEQUENCE_DETECT) != 0 {
			qop = append(qop, engine.QopAuthInt)
		}
		if req&sspi.ASC_REQ_CONFIDENTIALITY != 0 {
			if mode == engine.HTTP {
				return nil, sspi.Errorf(sspi.SEC_E_QOP_NOT_SUPPORTED, "digest: ASC_REQ_CONFIDENTIALITY (auth-conf) exists only in SASL")
			}
			qop = append(qop, engine.QopAuthConf)
		}
	}
	srv, err := st.engineServer(mode, qop)
	if err != nil {
		return nil, err
	}
	p := &serverProvider{sc: srv.NewContext(), qop: qop, realm: st.server.Realm}
	p.common = common{
		mode:     mode,
		allocate: req&sspi.ASC_REQ_ALLOCATE_MEMORY != 0,
		layer:    p.sc.Layer,
		user:     p.sc.Username,
	}
	return p, nil
}

// Handshake is AcceptSecurityContext. Input, as on Windows: [TOKEN (empty on
// the first call, which returns the challenge with SEC_I_CONTINUE_NEEDED),
// PKG_PARAMS = method, PKG_PARAMS = reserved, PKG_PARAMS = H(entity body)
// in hex, PKG_PARAMS = realm, CHANNEL_BINDINGS]. Windows leaves buffer 2
// reserved; this package reads it, when not empty, as the request-target,
// which the response's uri must then equal (RFC 7616 section 3.4.6).
// With CHANNEL_BINDINGS (this end's, as Windows takes them), the challenge
// asks for bound responses (a "+Upgraded+v1" nonce), and a bound response
// whose channel-binding is another channel's, or whose cnonce does not
// carry it, is refused with SEC_E_BAD_BINDINGS; a client that does not
// bind is accepted, as Windows does by default.
// As on the client, a DATA buffer may carry the request body itself,
// hashed when the H(entity) buffer is empty. SASL passes [TOKEN] only.
//
// The Authorization may come with or without its "Digest" scheme. The
// output TOKEN is the challenge (the whole WWW-Authenticate value, scheme
// included, since it lists one challenge per algorithm; or the SASL
// digest-challenge), or on SEC_E_OK the Authentication-Info value (SASL:
// rspauth). In HTTP mode a failure (SEC_E_LOGON_DENIED,
// SEC_E_OUT_OF_SEQUENCE, SEC_E_INVALID_TOKEN) still puts a fresh challenge
// in the output TOKEN, to send with the 401, and the context lives on; a
// correct response on an expired nonce gets a challenge with stale=true
// and SEC_I_CONTINUE_NEEDED. A correct response on a context that has
// already returned SEC_E_OK (a later request) gets SEC_I_COMPLETE_NEEDED,
// as on Windows, after which the caller calls CompleteAuthToken.
func (p *serverProvider) Handshake(input, output []sspi.SecBuffer, _ uint32) (sspi.Status, uint32, error) {
	tok, err := tokenIn(input)
	if err != nil {
		return sspi.StatusOf(err), p.attrs(), err
	}
	in := engine.Input{Token: tok}
	if p.mode == engine.HTTP {
		in.Token = withScheme(tok, false)
		cb, err := bindingsIn(input)
		if err != nil {
			return sspi.StatusOf(err), p.attrs(), err
		}
		in.ChannelBinding = cb
		params := pkgParams(input)
		if len(params) > 0 {
			in.Method = params[0]
		}
		if len(params) > 1 {
			in.Target = params[1]
		}
		if len(params) > 2 {
			in.EntityHash = params[2]
		}
		in.Body = bodyIn(input)
		if len(params) > 3 && params[3] != "" && params[3] != p.realm {
			err := sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "digest: realm buffer %q differs from the credentials' realm", params[3])
			return sspi.StatusOf(err), p.attrs(), err
		}
	}
	out, status, stepErr := p.sc.Step(in)
	if err := placeToken(output, out, p.allocate); err != nil && stepErr == nil {
		return sspi.StatusOf(err), p.attrs(), err
	}
	if stepErr != nil {
		return sspi.StatusOf(stepErr), p.attrs(), stepErr
	}
	if status == sspi.SEC_E_OK {
		if p.mode == engine.HTTP && p.established {
			// A later request on an established context: Windows
			// answers SEC_I_COMPLETE_NEEDED and the server calls
			// CompleteAuthToken ("Authenticating Subsequent Requests
			// Using Microsoft Digest", learn.microsoft.com). The
			// response is verified here already, so a caller that
			// skips CompleteAuthToken accepts nothing unchecked.
			status = sspi.SEC_I_COMPLETE_NEEDED
		}
		p.established = true
	}
	return status, p.attrs(), nil
}

// attrs returns the ASC_RET_* flags granted so far.
func (p *serverProvider) attrs() uint32 {
	var a uint32
	if p.allocate {
		a |= sspi.ASC_RET_ALLOCATED_MEMORY
	}
	if p.established {
		a |= sspi.ASC_RET_MUTUAL_AUTH // rspauth goes out with SEC_E_OK
		if l := p.sc.Layer(); l != nil {
			a |= sspi.ASC_RET_INTEGRITY | sspi.ASC_RET_REPLAY_DETECT | sspi.ASC_RET_SEQUENCE_DETECT
			if l.Confidential() {
				a |= sspi.ASC_RET_CONFIDENTIALITY
			}
		}
	}
	return a
}

// MakeSignature is, in SASL mode, the RFC 2831 integrity trailer. In HTTP
// mode it returns the Authentication-Info of the request that
// AcceptSecurityContext last accepted on this context, with rspauth over
// the response body: [PKG_PARAMS = H(response entity body) in hex, or a
// DATA buffer with the body itself, PADDING = the value out]. With
// qop=auth-int rspauth covers the response body (RFC 7616 section 3.5),
// which exists only after the handler ran, so the value goes out as a
// trailer (RFC 7615 section 3); Middleware does this. This call is this
// package's, not Windows': the H(entity) buffer of AcceptSecurityContext
// is the request's.
func (p *serverProvider) MakeSignature(_ uint32, buffers []sspi.SecBuffer) (sspi.Status, error) {
	if p.mode == engine.SASL {
		return p.signSASL(buffers)
	}
	pad := sspi.IndexOfWritable(buffers, sspi.SECBUFFER_PADDING)
	if pad < 0 {
		return sspi.SEC_E_INVALID_TOKEN, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "digest: MakeSignature (HTTP) needs a PADDING buffer for the Authentication-Info")
	}
	var in engine.Input
	if params := pkgParams(buffers); len(params) > 0 {
		in.EntityHash = params[0]
	}
	in.Body = bodyIn(buffers)
	out, err := p.sc.ResponseAuthInfo(in)
	if err != nil {
		return sspi.StatusOf(err), err
	}
	if err := sspi.PlaceOutput(&buffers[pad], sspi.SECBUFFER_PADDING, out, p.allocate); err != nil {
		return sspi.StatusOf(err), err
	}
	return sspi.SEC_E_OK, nil
}
