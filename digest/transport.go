package digest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/internal/digest/wire"
	"github.com/gosspi/schannel/sspi"
)

// DefaultMaxBody is how much of a request body Transport keeps in memory
// to replay it and to hash it for auth-int, and how much of a response
// body it reads to check an auth-int rspauth.
const DefaultMaxBody = 16 << 20

// Transport is an http.RoundTripper that answers Digest challenges through
// the SSPI calls of this package: 401 with Credentials, 407 (from a proxy)
// with ProxyCredentials. It keeps one context per protection space (the
// origin, or the proxy), so that later requests carry their Authorization
// from MakeSignature, nc one higher, with no extra round trip. A 401 or 407
// with stale=true is answered once more with the new nonce; rspauth in
// Authentication-Info is checked, and a wrong one fails the request with
// SEC_E_MUTUAL_AUTH_FAILED. An Authentication-Info announced as a trailer
// (RFC 7615 section 3; the form an auth-int rspauth over the response body
// takes, since the server knows that body only after the headers) is
// checked when the response body has been read to its end: then Read
// returns an error wrapping SEC_E_MUTUAL_AUTH_FAILED instead of io.EOF
// if rspauth is wrong, or missing under ISC_REQ_MUTUAL_AUTH. A body closed
// before its end is not checked. Requests of one protection space may be
// in flight together: each rspauth is checked against its own request.
// Request bodies are replayed with GetBody (or kept in memory up to
// MaxBody when the request has none) and hashed for auth-int.
type Transport struct {
	// Base carries the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Credentials answer 401 challenges: outbound WDigest credentials,
	// from AcquireCredentialsHandle. Nil leaves 401 alone.
	Credentials *sspi.Credentials
	// ProxyCredentials answer 407 challenges. Nil leaves 407 alone.
	ProxyCredentials *sspi.Credentials
	// Flags are extra ISC_REQ_* flags: ISC_REQ_INTEGRITY asks for
	// auth-int, ISC_REQ_MUTUAL_AUTH makes a 2xx response without rspauth
	// a failure.
	Flags uint32
	// MaxBody caps the bodies kept in memory; 0 means DefaultMaxBody.
	MaxBody int64
	// NoChannelBindings leaves out the SPN (HTTP/host) and, over TLS,
	// the tls-server-end-point bindings that answer an origin's nonce
	// asking for them ("+Upgraded+", the Windows Digest SSP's channel
	// binding). Servers that do not ask never see them.
	NoChannelBindings bool

	mu     sync.Mutex
	spaces map[string]*space
}

// maxSpaces caps the protection spaces a Transport remembers.
const maxSpaces = 1024

// space is the context of one protection space. mu serialises the SSPI
// calls on its contexts (a context is not safe for concurrent calls), not
// the requests: those overlap.
type space struct {
	mu   sync.Mutex
	ctx  *sspi.Context
	cred *sspi.Credentials
}

// authHeaders names the headers of a 401 or a 407 exchange.
type authHeaders struct {
	challenge, authorization, info string
}

var (
	originHeaders = authHeaders{"WWW-Authenticate", "Authorization", "Authentication-Info"}
	proxyHeaders  = authHeaders{"Proxy-Authenticate", "Proxy-Authorization", "Proxy-Authentication-Info"}
)

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

func (t *Transport) maxBody() int64 {
	if t.MaxBody > 0 {
		return t.MaxBody
	}
	return DefaultMaxBody
}

func (t *Transport) space(key string, cred *sspi.Credentials) *space {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.spaces == nil {
		t.spaces = map[string]*space{}
	}
	sp, ok := t.spaces[key]
	if !ok || sp.cred != cred {
		if len(t.spaces) >= maxSpaces {
			// Redirects let servers name any number of origins:
			// forget one (it re-authenticates on its next 401).
			for k := range t.spaces {
				delete(t.spaces, k)
				break
			}
		}
		sp = &space{cred: cred}
		t.spaces[key] = sp
	}
	return sp
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.GetBody != nil && req.Body != nil {
		// Every send takes a fresh copy from GetBody; the original
		// is still ours to close (http.RoundTripper's contract).
		defer req.Body.Close()
	}
	req, body, err := t.replayable(req)
	if err != nil {
		return nil, err
	}
	origin := t.binding(req, false)
	proxy := t.binding(req, true)
	// Spaces already authenticated go first, without a round trip.
	r := req.Clone(req.Context())
	for _, b := range []*binding{proxy, origin} {
		if b != nil {
			if err := b.preemptive(r, body); err != nil {
				return nil, err
			}
		}
	}
	resp, err := t.send(req, r)
	if err != nil {
		return nil, err
	}
	// A fresh answer, then at most one more after stale=true, for each
	// of the proxy and the origin: every turn raises a binding's tries,
	// which stop at 2, so the loop ends.
	for {
		var b *binding
		switch {
		case resp.StatusCode == http.StatusProxyAuthRequired && proxy != nil:
			b = proxy
		case resp.StatusCode == http.StatusUnauthorized && origin != nil:
			b = origin
		default:
			return t.finish(resp, proxy, origin)
		}
		if b.tries >= 2 || !hasDigest(resp.Header.Values(b.h.challenge)) {
			return resp, nil
		}
		b.tries++
		if req.Body != nil && req.GetBody == nil {
			// The body went out and cannot be sent again.
			return resp, nil
		}
		auth, err := b.answer(strings.Join(resp.Header.Values(b.h.challenge), ", "), body, resp)
		if errors.Is(err, sspi.SEC_E_LOGON_DENIED) {
			// The server refused the credentials: its 401 is the answer.
			return resp, nil
		}
		if err != nil {
			resp.Body.Close()
			return nil, err
		}
		drain(resp)
		r = req.Clone(req.Context())
		for _, o := range []*binding{proxy, origin} {
			if o != nil && o.auth != "" {
				r.Header.Set(o.h.authorization, o.auth)
			}
		}
		r.Header.Set(b.h.authorization, auth)
		if resp, err = t.send(req, r); err != nil {
			return nil, err
		}
	}
}

// send sends r, with a fresh copy of req's body.
func (t *Transport) send(req, r *http.Request) (*http.Response, error) {
	if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
		b, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("digest: replaying the request body: %w", err)
		}
		r.Body = b
	}
	return t.base().RoundTrip(r)
}

// replayable returns req with a GetBody, keeping a body that has none in
// memory when it fits in MaxBody, and the body's bytes when they are known
// (for auth-int).
func (t *Transport) replayable(req *http.Request) (*http.Request, []byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil, nil
	}
	if req.GetBody == nil {
		data, err := io.ReadAll(io.LimitReader(req.Body, t.maxBody()+1))
		if err != nil {
			req.Body.Close()
			return nil, nil, fmt.Errorf("digest: reading the request body: %w", err)
		}
		if int64(len(data)) > t.maxBody() {
			// Too big to keep: send it once, as it is.
			r := req.Clone(req.Context())
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(data), req.Body), req.Body}
			r.GetBody = nil
			return r, nil, nil
		}
		req.Body.Close()
		r := req.Clone(req.Context())
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		r.Body, _ = r.GetBody()
		return r, data, nil
	}
	if req.ContentLength < 0 || req.ContentLength > t.maxBody() {
		return req, nil, nil
	}
	b, err := req.GetBody()
	if err != nil {
		return nil, nil, fmt.Errorf("digest: reading the request body: %w", err)
	}
	defer b.Close()
	data, err := io.ReadAll(io.LimitReader(b, t.maxBody()+1))
	if err != nil || int64(len(data)) > t.maxBody() {
		return req, nil, nil
	}
	return req, data, nil
}

// binding is one protection space taking part in a request.
type binding struct {
	t      *Transport
	sp     *space
	h      authHeaders
	req    *http.Request
	target string
	auth   string        // the Authorization sent
	ctx    *sspi.Context // the context that made it
	tries  int
}

func (t *Transport) binding(req *http.Request, proxy bool) *binding {
	cred, h, key := t.Credentials, originHeaders, "origin "+req.URL.Scheme+"://"+req.URL.Host
	target := req.URL.RequestURI()
	if proxy {
		cred, h, key = t.ProxyCredentials, proxyHeaders, "proxy"
		// A request to a proxy has the absolute form as its
		// request-target (RFC 9112 section 3.2.2), which the uri
		// must equal. (An https request reaches the proxy as CONNECT,
		// whose 407 the base transport keeps to itself.)
		u := *req.URL
		u.Fragment = ""
		target = u.String()
	}
	if cred == nil {
		return nil
	}
	return &binding{t: t, sp: t.space(key, cred), h: h, req: req, target: target}
}

func (b *binding) mutual() bool { return b.t.Flags&sspi.ISC_REQ_MUTUAL_AUTH != 0 }

func (b *binding) lock() func() {
	b.sp.mu.Lock()
	return b.sp.mu.Unlock
}

// forget drops the space's context if it is still the one this request
// used, so that the next request starts afresh.
func (b *binding) forget() {
	if b.sp.ctx == b.ctx {
		b.sp.ctx = nil
	}
}

// preemptive adds the Authorization of a later request when the space has
// an established context (MakeSignature, as on Windows).
func (b *binding) preemptive(r *http.Request, body []byte) error {
	defer b.lock()()
	if b.sp.ctx == nil || !b.sp.ctx.Established() {
		return nil
	}
	bufs := []sspi.SecBuffer{
		{BufferType: sspi.SECBUFFER_TOKEN},
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(b.req.Method)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(b.target)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, nil),
		sspi.NewSecBuffer(sspi.SECBUFFER_DATA, body),
		{BufferType: sspi.SECBUFFER_PADDING},
	}
	if _, err := b.sp.ctx.MakeSignature(0, bufs); err != nil {
		// The nonce is used up (nc exhausted) or the context is
		// gone: start again on the next challenge.
		b.sp.ctx = nil
		return nil
	}
	b.ctx, b.auth = b.sp.ctx, digestScheme+string(bufs[5].Buffer)
	r.Header.Set(b.h.authorization, b.auth)
	return nil
}

// answer runs InitializeSecurityContext on a challenge and returns the
// Authorization value.
func (b *binding) answer(challenge string, body []byte, resp *http.Response) (string, error) {
	in := []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, []byte(challenge)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(b.req.Method)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, nil),
		sspi.NewSecBuffer(sspi.SECBUFFER_DATA, body),
	}
	if b.h == originHeaders && !b.t.NoChannelBindings {
		// The SPN and, over TLS, the channel bindings, which the
		// package sends when the server's nonce asks for them
		// (Microsoft's extension, see package doc).
		in = append(in, sspi.NewSecBuffer(sspi.SECBUFFER_TARGET_HOST|sspi.SECBUFFER_READONLY, []byte("HTTP/"+b.req.URL.Hostname())))
		if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
			cb, err := EndpointBindings(resp.TLS.PeerCertificates[0])
			if err != nil {
				return "", err
			}
			in = append(in, sspi.NewSecBuffer(sspi.SECBUFFER_CHANNEL_BINDINGS|sspi.SECBUFFER_READONLY, cb))
		}
	}
	defer b.lock()()
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	ctx := b.sp.ctx
	if b.tries == 1 && b.ctx == nil {
		// A first challenge for this request: a context answering a
		// stale nonce carries on, anything else starts afresh.
		if ctx != nil && !strings.Contains(strings.ToLower(challenge), "stale=true") {
			ctx = nil
		}
	}
	req := sspi.ISC_REQ_USE_HTTP_STYLE | sspi.ISC_REQ_ALLOCATE_MEMORY | b.t.Flags
	ctx, _, err := sspi.InitializeSecurityContext(b.sp.cred, ctx, b.target, req, in, out)
	if err != nil {
		b.sp.ctx = nil
		return "", err
	}
	b.sp.ctx = ctx
	b.ctx, b.auth = ctx, digestScheme+string(out[0].Buffer)
	return b.auth, nil
}

// finish checks the Authentication-Info of the spaces that authenticated
// this request.
func (t *Transport) finish(resp *http.Response, bs ...*binding) (*http.Response, error) {
	for _, b := range bs {
		if b == nil || b.auth == "" {
			continue
		}
		if err := b.check(resp); err != nil {
			resp.Body.Close()
			return nil, err
		}
	}
	return resp, nil
}

// check verifies rspauth (RFC 7616 section 3.5) and takes the nextnonce:
// now when Authentication-Info is a header, or once the body has been read
// when it is announced as a trailer.
func (b *binding) check(resp *http.Response) error {
	info := resp.Header.Get(b.h.info)
	authInt := qopOf(b.auth) == "auth-int"
	if info == "" {
		if _, ok := resp.Trailer[http.CanonicalHeaderKey(b.h.info)]; ok && resp.Body != nil && resp.Body != http.NoBody {
			if authInt && resp.Uncompressed {
				return b.failed(sspi.Errorf(sspi.SEC_E_MUTUAL_AUTH_FAILED, "digest: the base transport decompressed the response body, which rspauth covers as sent; set DisableCompression"))
			}
			tb := &trailerBody{ReadCloser: resp.Body, b: b, trailer: resp.Trailer}
			if authInt {
				alg, ok := algorithmOf(b.auth)
				if !ok {
					return b.failed(sspi.Errorf(sspi.SEC_E_MUTUAL_AUTH_FAILED, "digest: no known algorithm in the Authorization sent"))
				}
				tb.hash = alg.NewHash()
			}
			resp.Body = tb
			return nil
		}
		if b.mutual() && resp.StatusCode/100 == 2 {
			return sspi.Errorf(sspi.SEC_E_MUTUAL_AUTH_FAILED, "digest: the server sent no %s", b.h.info)
		}
		return nil
	}
	var body []byte
	if authInt {
		// rspauth covers the response body (RFC 7616 section 3.5).
		data, err := io.ReadAll(io.LimitReader(resp.Body, b.t.maxBody()+1))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("digest: reading the response body: %w", err)
		}
		if int64(len(data)) > b.t.maxBody() {
			return sspi.Errorf(sspi.SEC_E_MUTUAL_AUTH_FAILED, "digest: the response body is over %d bytes, too big to check rspauth", b.t.maxBody())
		}
		resp.Body = io.NopCloser(bytes.NewReader(data))
		body = data
	}
	return b.verify(info, body, "")
}

// verify passes an Authentication-Info to InitializeSecurityContext on the
// context that made this request's Authorization, with the response body
// (or its hash) for an auth-int rspauth. A failure drops the context.
func (b *binding) verify(info string, body []byte, entityHash string) error {
	defer b.lock()()
	if b.ctx == nil {
		return nil
	}
	in := []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, []byte(info)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(b.req.Method)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(entityHash)),
		sspi.NewSecBuffer(sspi.SECBUFFER_DATA, body),
	}
	req := sspi.ISC_REQ_USE_HTTP_STYLE | sspi.ISC_REQ_ALLOCATE_MEMORY | b.t.Flags
	if _, _, err := sspi.InitializeSecurityContext(b.sp.cred, b.ctx, b.target, req, in, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}); err != nil {
		b.forget()
		return err
	}
	return nil
}

// failed drops the context after a check that could not be made.
func (b *binding) failed(err error) error {
	defer b.lock()()
	b.forget()
	return err
}

// trailerBody is a response body whose Authentication-Info comes as a
// trailer: it hashes the body as it is read (for auth-int) and, at its
// end, checks the trailer; a failure replaces io.EOF.
type trailerBody struct {
	io.ReadCloser
	b       *binding
	trailer http.Header
	hash    hash.Hash // nil unless auth-int
	err     error     // sticky: io.EOF or the check's failure
}

func (tb *trailerBody) Read(p []byte) (int, error) {
	if tb.err != nil {
		return 0, tb.err
	}
	n, err := tb.ReadCloser.Read(p)
	if tb.hash != nil {
		tb.hash.Write(p[:n])
	}
	if err != io.EOF {
		return n, err
	}
	tb.err = io.EOF
	info := tb.trailer.Get(tb.b.h.info)
	var entityHash string
	if tb.hash != nil {
		entityHash = hex.EncodeToString(tb.hash.Sum(nil))
	}
	switch {
	case info != "":
		if verr := tb.b.verify(info, nil, entityHash); verr != nil {
			tb.err = fmt.Errorf("digest: the %s trailer: %w", tb.b.h.info, verr)
		}
	case tb.b.mutual():
		tb.err = tb.b.failed(sspi.Errorf(sspi.SEC_E_MUTUAL_AUTH_FAILED, "digest: the %s trailer was announced but not sent", tb.b.h.info))
	}
	return n, tb.err
}

// qopOf returns the qop of an Authorization value this package made.
func qopOf(auth string) string {
	r, err := wire.ParseAuthorization(auth)
	if err != nil {
		return ""
	}
	return r.Qop
}

// algorithmOf returns the algorithm of an Authorization value this
// package made (MD5 when it names none, RFC 7616 section 3.3).
func algorithmOf(auth string) (*crypto.Algorithm, bool) {
	r, err := wire.ParseAuthorization(auth)
	if err != nil {
		return nil, false
	}
	return crypto.LookupAlgorithm(r.Algorithm)
}

func hasDigest(values []string) bool {
	for _, v := range values {
		if strings.Contains(strings.ToLower(v), "digest") {
			return true
		}
	}
	return false
}

// drain reads a little of a body that is thrown away, so that the
// connection can be reused, and closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}
