package digest

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strings"

	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/internal/digest/wire"
	"github.com/gosspi/schannel/sspi"
)

// Middleware protects an http.Handler with Digest authentication through
// AcceptSecurityContext: a request without credentials gets a 401 with the
// challenge; a correct Authorization reaches the handler, with the user
// name in its context (UserFromContext) and Authentication-Info (rspauth,
// and nextnonce late in a nonce's life) on the response. With qop=auth-int
// rspauth covers the response body, so Authentication-Info is announced
// with "Trailer: Authentication-Info" and sent as a trailer after the body
// the handler wrote (RFC 7615 section 3), which HTTP/1.1 chunked responses
// and HTTP/2 both carry; a response without a body (HEAD, 204, 304, or a
// handler that writes nothing) gets it as a header. The nonces are
// stateless, an HMAC over a timestamp; replays are refused with a bounded
// table of nc values per nonce, so memory does not grow with clients.
type Middleware struct {
	// Credentials are inbound WDigest credentials (AcquireCredentialsHandle
	// with a *ServerConfig).
	Credentials *sspi.Credentials
	// Flags are extra ASC_REQ_* flags: ASC_REQ_INTEGRITY offers auth-int
	// when the ServerConfig leaves Qop nil.
	Flags uint32
	// MaxBody caps the request body read to check auth-int; a larger
	// one is refused with 413. 0 means DefaultMaxBody.
	MaxBody int64
	// ChannelBindings, when set, returns this end's SEC_CHANNEL_BINDINGS
	// for a request (EndpointBindings of the server's certificate, for
	// TLS). The challenge then asks for bound responses, and a response
	// bound to another channel (a relay) is refused; clients that do not
	// bind are still accepted. See the package doc.
	ChannelBindings func(r *http.Request) ([]byte, error)
}

// NewMiddleware acquires inbound credentials for cfg and returns the
// middleware.
func NewMiddleware(cfg *ServerConfig) (*Middleware, error) {
	cred, err := AcquireCredentialsHandle(sspi.SECPKG_CRED_INBOUND, cfg)
	if err != nil {
		return nil, err
	}
	return &Middleware{Credentials: cred}, nil
}

type userKey struct{}

// UserFromContext returns the user a Middleware authenticated.
func UserFromContext(ctx context.Context) (string, bool) {
	u, ok := ctx.Value(userKey{}).(string)
	return u, ok
}

// Wrap returns next behind Digest authentication.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.serve(w, r, next)
	})
}

func (m *Middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	req := ASC_REQ_HTTP | sspi.ASC_REQ_ALLOCATE_MEMORY | m.Flags
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(strings.ToLower(auth), "digest ") {
		auth = "" // no Digest credentials: ask for them
	}
	var body []byte
	if auth != "" && strings.Contains(strings.ToLower(auth), "auth-int") && r.Body != nil {
		// auth-int covers the body: read it (capped) and hand the
		// handler a copy.
		max := m.MaxBody
		if max <= 0 {
			max = DefaultMaxBody
		}
		data, err := io.ReadAll(io.LimitReader(r.Body, max+1))
		r.Body.Close()
		if err != nil {
			http.Error(w, "reading the request body failed", http.StatusBadRequest)
			return
		}
		if int64(len(data)) > max {
			http.Error(w, "request body too large for auth-int", http.StatusRequestEntityTooLarge)
			return
		}
		body = data
		r.Body = io.NopCloser(bytes.NewReader(data))
	}
	in := []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, []byte(auth)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(r.Method)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(r.RequestURI)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, nil),
		sspi.NewSecBuffer(sspi.SECBUFFER_DATA, body),
	}
	if m.ChannelBindings != nil {
		cb, err := m.ChannelBindings(r)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		in = append(in, sspi.NewSecBuffer(sspi.SECBUFFER_CHANNEL_BINDINGS|sspi.SECBUFFER_READONLY, cb))
	}
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	ctx, status, err := sspi.AcceptSecurityContext(m.Credentials, nil, in, req, out)
	if ctx != nil {
		defer ctx.DeleteSecurityContext()
	}
	token := string(out[0].Buffer)
	switch {
	case err == nil && status == sspi.SEC_E_OK:
		names, err := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), userKey{}, names.(sspi.Names).UserName))
		resp, err := wire.ParseAuthorization(auth)
		if err != nil || resp.Qop != "auth-int" {
			w.Header().Set("Authentication-Info", token)
			next.ServeHTTP(w, r)
			return
		}
		// auth-int: rspauth covers the response body, known once the
		// handler is done.
		alg, ok := crypto.LookupAlgorithm(resp.Algorithm)
		if !ok {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		tw := &trailerWriter{ResponseWriter: w, ctx: ctx, hash: alg.NewHash(), head: r.Method == http.MethodHead}
		next.ServeHTTP(tw, r)
		tw.finish()
		return
	case err == nil:
		// SEC_I_CONTINUE_NEEDED: a challenge (stale=true for a
		// correct response on an expired nonce).
		w.Header().Set("WWW-Authenticate", token)
		http.Error(w, "authentication required", http.StatusUnauthorized)
		return
	}
	if token != "" {
		w.Header().Set("WWW-Authenticate", token)
	}
	if errors.Is(err, sspi.SEC_E_INVALID_TOKEN) {
		// RFC 7616 section 3.4.6: a malformed response, or a uri
		// that is not the request-target, is a bad request.
		http.Error(w, "malformed Digest credentials", http.StatusBadRequest)
		return
	}
	http.Error(w, "authentication failed", http.StatusUnauthorized)
}

// trailerWriter hashes the response body a handler writes and, at the end,
// sets the Authentication-Info trailer whose auth-int rspauth covers it.
type trailerWriter struct {
	http.ResponseWriter
	ctx         *sspi.Context
	hash        hash.Hash
	head        bool // a HEAD response has no body
	wroteHeader bool
	trailer     bool // Authentication-Info announced as a trailer
}

// authInfo asks the context for the Authentication-Info over a response
// body of hash sum (MakeSignature, HTTP mode).
func (w *trailerWriter) authInfo(sum []byte) string {
	bufs := []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(hex.EncodeToString(sum))),
		{BufferType: sspi.SECBUFFER_PADDING},
	}
	if _, err := w.ctx.MakeSignature(0, bufs); err != nil {
		// Cannot happen after a SEC_E_OK; leaving the field out is
		// what a client without MUTUAL_AUTH tolerates, and what one
		// with it refuses.
		return ""
	}
	return string(bufs[1].Buffer)
}

// WriteHeader announces the trailer, or for a status that has no body
// (RFC 9110 section 6.4.1: 1xx, 204, 304) and HEAD sets the header at
// once, over the empty body.
func (w *trailerWriter) WriteHeader(code int) {
	if w.wroteHeader || (code >= 100 && code < 200) {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.wroteHeader = true
	if w.head || code == http.StatusNoContent || code == http.StatusNotModified {
		if v := w.authInfo(w.hash.Sum(nil)); v != "" {
			w.Header().Set("Authentication-Info", v)
		}
	} else {
		w.Header().Add("Trailer", "Authentication-Info")
		// HTTP/1.1 carries trailers only in a chunked body: a
		// Content-Length the handler set would silently drop the
		// field, so the length goes and chunking comes.
		w.Header().Del("Content-Length")
		w.trailer = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *trailerWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	if w.trailer {
		w.hash.Write(p[:n])
	}
	return n, err
}

// Flush sends what was written so far; the trailer still follows.
func (w *trailerWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *trailerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish sets Authentication-Info once the handler returned: as the
// announced trailer, or as a header when nothing was written (the headers
// have not gone out yet, and the body is empty).
func (w *trailerWriter) finish() {
	if !w.wroteHeader {
		w.wroteHeader = true
		if v := w.authInfo(w.hash.Sum(nil)); v != "" {
			w.Header().Set("Authentication-Info", v)
		}
		return
	}
	if w.trailer {
		if v := w.authInfo(w.hash.Sum(nil)); v != "" {
			w.Header().Set("Authentication-Info", v)
		}
	}
}
