package digest

import (
	"github.com/gosspi/schannel/internal/digest/engine"
	"github.com/gosspi/schannel/sspi"
)

// clientProvider is one InitializeSecurityContext context.
type clientProvider struct {
	common
	c      *engine.Client
	target string
	req    uint32
	mutual bool // rspauth checked
}

// newClientProvider maps the ISC_REQ flags as Windows does: USE_HTTP_STYLE
// selects HTTP; INTEGRITY, REPLAY_DETECT or SEQUENCE_DETECT ask for
// auth-int, CONFIDENTIALITY for auth-conf (SASL only); MUTUAL_AUTH makes
// an answer without rspauth a failure. DELEGATE and PROMPT_FOR_CREDS are
// refused, as Windows refuses them.
func newClientProvider(st *credState, target string, req uint32) (*clientProvider, error) {
	if st.client == nil {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "digest: InitializeSecurityContext needs outbound credentials")
	}
	if req&(sspi.ISC_REQ_DELEGATE|sspi.ISC_REQ_PROMPT_FOR_CREDS) != 0 {
		return nil, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "digest: ISC_REQ_DELEGATE and ISC_REQ_PROMPT_FOR_CREDS are not supported")
	}
	cfg := *st.client
	cfg.Mode = engine.SASL
	if req&sspi.ISC_REQ_USE_HTTP_STYLE != 0 {
		cfg.Mode = engine.HTTP
	}
	switch {
	case req&sspi.ISC_REQ_CONFIDENTIALITY != 0:
		cfg.Qop = engine.QopAuthConf
	case req&(sspi.ISC_REQ_INTEGRITY|sspi.ISC_REQ_REPLAY_DETECT|sspi.ISC_REQ_SEQUENCE_DETECT) != 0:
		cfg.Qop = engine.QopAuthInt
	default:
		cfg.Qop = engine.QopAuth
	}
	cfg.MutualAuth = req&sspi.ISC_REQ_MUTUAL_AUTH != 0
	c, err := engine.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	p := &clientProvider{c: c, target: target, req: req}
	p.common = common{
		mode:     cfg.Mode,
		allocate: req&sspi.ISC_REQ_ALLOCATE_MEMORY != 0,
		layer:    c.Layer,
		user:     func() string { return cfg.Username },
	}
	return p, nil
}

// Handshake is InitializeSecurityContext. HTTP input, as on Windows:
// [TOKEN = the WWW-Authenticate (or, later, Authentication-Info) value,
// PKG_PARAMS = the method, PKG_PARAMS = H(entity body) in hex for auth-int,
// then optionally TARGET_HOST (the SPN, "HTTP/host") and CHANNEL_BINDINGS
// (both READONLY)]. When the server's nonce starts with "+Upgraded+" and
// TARGET_HOST is given, the response carries Microsoft's channel binding
// directives (crypto.UpgradedPrefix); otherwise the bindings are not sent,
// as Windows sends none to a server that did not ask. The target name is the
// request URI; the output TOKEN is the Authorization value after its
// scheme, as Windows returns it (the caller writes "Authorization: Digest "
// and the token). The challenge may come with or without its scheme; with
// it, a WWW-Authenticate listing several challenges is answered with the
// strongest. This package
// also takes the entity body itself in a DATA buffer, hashed with the
// algorithm of the exchange when the H(entity) buffer is empty: a caller
// cannot know that algorithm before the package has chosen a challenge.
// On the Authentication-Info call the body is the response's. SASL input is
// [TOKEN] or nothing on the first call; the target name is the SPN
// (service/host), the digest-uri.
func (p *clientProvider) Handshake(input, output []sspi.SecBuffer, _ uint32) (sspi.Status, uint32, error) {
	tok, err := tokenIn(input)
	if err != nil {
		return sspi.StatusOf(err), p.attrs(), err
	}
	in := engine.Input{Token: tok, Target: p.target}
	if p.mode == engine.HTTP {
		in.Token = withScheme(tok, true)
		cb, err := bindingsIn(input)
		if err != nil {
			return sspi.StatusOf(err), p.attrs(), err
		}
		in.ChannelBinding, in.ServiceName = cb, serviceNameIn(input)
		params := pkgParams(input)
		if len(params) > 0 {
			in.Method = params[0]
		}
		if len(params) > 1 {
			in.EntityHash = params[1]
		}
		in.Body = bodyIn(input)
	}
	out, status, err := p.c.Step(in)
	if err != nil {
		return sspi.StatusOf(err), p.attrs(), err
	}
	if p.mode == engine.HTTP {
		out = withoutScheme(out)
	}
	if err := placeToken(output, out, p.allocate); err != nil {
		return sspi.StatusOf(err), p.attrs(), err
	}
	switch {
	case status == sspi.SEC_E_OK:
		p.established = true
		// SEC_E_OK comes after the server's rspauth checked out (or,
		// in HTTP without MUTUAL_AUTH, after an Authentication-Info
		// without one).
		p.mutual = p.mode == engine.SASL || p.req&sspi.ISC_REQ_MUTUAL_AUTH != 0
	case p.mode == engine.HTTP && len(out) > 0:
		// The Authorization is made: later requests may go out
		// through MakeSignature without waiting for the answer.
		p.established = true
	}
	return status, p.attrs(), nil
}

// attrs returns the ISC_RET_* flags granted so far.
func (p *clientProvider) attrs() uint32 {
	var a uint32
	if p.allocate {
		a |= sspi.ISC_RET_ALLOCATED_MEMORY
	}
	if p.mode == engine.HTTP {
		a |= sspi.ISC_RET_USED_HTTP_STYLE
	}
	if p.mutual {
		a |= sspi.ISC_RET_MUTUAL_AUTH
	}
	switch p.c.Qop() {
	case engine.QopAuthConf:
		a |= sspi.ISC_RET_CONFIDENTIALITY | sspi.ISC_RET_INTEGRITY | sspi.ISC_RET_REPLAY_DETECT | sspi.ISC_RET_SEQUENCE_DETECT
	case engine.QopAuthInt:
		a |= sspi.ISC_RET_INTEGRITY | sspi.ISC_RET_REPLAY_DETECT | sspi.ISC_RET_SEQUENCE_DETECT
	}
	return a
}

// MakeSignature in HTTP mode is how Windows makes the Authorization of a
// later request on the same nonce, with nc one higher and no round trip:
// [TOKEN (unused), PKG_PARAMS = method, PKG_PARAMS = request URI (empty:
// the context's target), PKG_PARAMS = H(entity body) for auth-int, PADDING =
// the Authorization value out]. In SASL mode it is the RFC 2831 integrity
// trailer over the DATA buffers, into TOKEN.
func (p *clientProvider) MakeSignature(_ uint32, buffers []sspi.SecBuffer) (sspi.Status, error) {
	if p.mode == engine.SASL {
		return p.signSASL(buffers)
	}
	pad := sspi.IndexOfWritable(buffers, sspi.SECBUFFER_PADDING)
	if pad < 0 {
		return sspi.SEC_E_INVALID_TOKEN, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "digest: MakeSignature (HTTP) needs a PADDING buffer for the Authorization")
	}
	in := engine.Input{Target: p.target}
	params := pkgParams(buffers)
	if len(params) > 0 {
		in.Method = params[0]
	}
	if len(params) > 1 && params[1] != "" {
		in.Target = params[1]
	}
	if len(params) > 2 {
		in.EntityHash = params[2]
	}
	in.Body = bodyIn(buffers)
	out, err := p.c.NextRequest(in)
	if err != nil {
		return sspi.StatusOf(err), err
	}
	out = withoutScheme(out)
	if err := sspi.PlaceOutput(&buffers[pad], sspi.SECBUFFER_PADDING, out, p.allocate); err != nil {
		return sspi.StatusOf(err), err
	}
	return sspi.SEC_E_OK, nil
}
