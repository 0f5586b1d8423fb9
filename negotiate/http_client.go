package negotiate

import (
	"context"
	_ "crypto/sha256" // tls-server-end-point hashes
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/sspi"
)

// Transport is an http.RoundTripper that answers "WWW-Authenticate:
// Negotiate" (RFC 4559) as browsers and `curl --negotiate -u :` do: the
// request goes out as is; on a 401 offering Negotiate it is sent again
// with "Authorization: Negotiate <token>" for the SPN HTTP/<host>, and the
// server's final token (the Kerberos AP-REP) is checked when mutual
// authentication is asked for.
//
// Over TLS the token carries the connection's channel bindings
// (tls-server-end-point, RFC 5929 section 4.1), as Windows' Extended
// Protection does: taken from schannel's Conn when the connection is one,
// else computed from the server certificate of the response.
//
//	client := &http.Client{Transport: &negotiate.Transport{Base: schannel.NewHTTPTransport(nil)}}
type Transport struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Credentials are outbound Negotiate credentials; nil means the
	// user's Kerberos ticket cache (KRB5CCNAME), acquired at the first
	// challenge.
	Credentials *sspi.Credentials
	// SPN names the service for a request's host (without port); nil
	// means "HTTP/" + the canonical host name.
	SPN func(ctx context.Context, host string) (string, error)
	// NoCanonicalize keeps the host name as written instead of following
	// its CNAME. Reverse DNS is never used, as browsers no longer do.
	NoCanonicalize bool
	// Resolver looks up CNAMEs; nil means net.DefaultResolver.
	Resolver *net.Resolver
	// NoMutualAuth does not ask the server to authenticate itself; by
	// default ISC_REQ_MUTUAL_AUTH is asked and a final response without a
	// valid AP-REP is an error.
	NoMutualAuth bool
	// Delegate forwards the user's TGT to the server (ISC_REQ_DELEGATE),
	// as `curl --delegation always`.
	Delegate bool
	// NoChannelBindings leaves channel bindings out of the token.
	NoChannelBindings bool
	// Trace, if set, receives the Negotiate calls (set on the default
	// credentials when Credentials is nil).
	Trace func(sspi.TraceEvent)

	mu   sync.Mutex
	cred *sspi.Credentials
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

func (t *Transport) credentials() (*sspi.Credentials, error) {
	if t.Credentials != nil {
		return t.Credentials, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cred == nil {
		c, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, nil)
		if err != nil {
			return nil, err
		}
		if t.Trace != nil {
			c.SetTrace(t.Trace)
		}
		t.cred = c
	}
	return t.cred, nil
}

// spn is the target name for a request's host.
func (t *Transport) spn(ctx context.Context, host string) (string, error) {
	if t.SPN != nil {
		return t.SPN(ctx, host)
	}
	if !t.NoCanonicalize && net.ParseIP(host) == nil {
		r := t.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		// The CNAME, as browsers do; a failed lookup keeps the name.
		if cname, err := r.LookupCNAME(ctx, host); err == nil && cname != "" {
			host = strings.TrimSuffix(cname, ".")
		}
	}
	return "HTTP/" + strings.ToLower(host), nil
}

// negotiateChallenge returns the token of a "Negotiate" challenge among
// the response's WWW-Authenticate headers, and whether there is one.
func negotiateChallenge(h http.Header) ([]byte, bool, error) {
	for _, v := range h.Values("WWW-Authenticate") {
		for _, c := range strings.Split(v, ",") {
			c = strings.TrimSpace(c)
			scheme, rest, _ := strings.Cut(c, " ")
			if !strings.EqualFold(scheme, "Negotiate") {
				continue
			}
			rest = strings.TrimSpace(rest)
			if rest == "" {
				return nil, true, nil
			}
			tok, err := base64.StdEncoding.DecodeString(rest)
			if err != nil {
				return nil, true, fmt.Errorf("negotiate: the server's Negotiate token is not base64: %w", err)
			}
			return tok, true, nil
		}
	}
	return nil, false, nil
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") != "" {
		return t.base().RoundTrip(req)
	}
	var conn net.Conn
	var connMu sync.Mutex
	first := req.Clone(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			connMu.Lock()
			conn = info.Conn
			connMu.Unlock()
		},
	}))
	resp, err := t.base().RoundTrip(first)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	if _, ok, _ := negotiateChallenge(resp.Header); !ok {
		return resp, nil
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		// The body is gone and cannot be sent again.
		return resp, nil
	}
	connMu.Lock()
	used := conn
	connMu.Unlock()
	var bindings []byte
	if !t.NoChannelBindings && resp.TLS != nil {
		if bindings, err = channelBindings(used, resp); err != nil {
			resp.Body.Close()
			return nil, err
		}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()

	cred, err := t.credentials()
	if err != nil {
		return nil, err
	}
	target, err := t.spn(req.Context(), req.URL.Hostname())
	if err != nil {
		return nil, err
	}
	flags := uint32(sspi.ISC_REQ_CONFIDENTIALITY | sspi.ISC_REQ_INTEGRITY | sspi.ISC_REQ_ALLOCATE_MEMORY)
	if !t.NoMutualAuth {
		flags |= sspi.ISC_REQ_MUTUAL_AUTH
	}
	if t.Delegate {
		flags |= sspi.ISC_REQ_DELEGATE | sspi.ISC_REQ_MUTUAL_AUTH
	}
	var in []sspi.SecBuffer
	if bindings != nil {
		in = append(in, sspi.NewSecBuffer(sspi.SECBUFFER_CHANNEL_BINDINGS, bindings))
	}
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	ctx, _, err := sspi.InitializeSecurityContext(cred, nil, target, flags, in, out)
	if err != nil {
		return nil, err
	}
	defer ctx.DeleteSecurityContext()

	second := req.Clone(req.Context())
	if req.GetBody != nil {
		if second.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	second.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(out[0].Buffer))
	resp, err = t.base().RoundTrip(second)
	if err != nil {
		return nil, err
	}
	tok, _, err := negotiateChallenge(resp.Header)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized && tok == nil {
		// Refused: the caller sees the server's 401.
		return resp, nil
	}
	if tok == nil {
		if flags&sspi.ISC_REQ_MUTUAL_AUTH != 0 {
			resp.Body.Close()
			return nil, sspi.Errorf(sspi.SEC_E_MUTUAL_AUTH_FAILED, "negotiate: the server did not authenticate itself (no Negotiate token in its %s response) although mutual authentication was asked", resp.Status)
		}
		return resp, nil
	}
	in = append(in, sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok))
	out = []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	_, st, err := sspi.InitializeSecurityContext(cred, ctx, target, flags, in, out)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	if st != sspi.SEC_E_OK {
		// A third leg over HTTP would need the same connection; Kerberos
		// never asks for one.
		resp.Body.Close()
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "negotiate: the server's final token left the negotiation unfinished (%v)", st)
	}
	return resp, nil
}

// channelBindings returns tls-server-end-point for the connection a
// response came on: from schannel's Conn when it is one, else from the
// response's server certificate.
func channelBindings(conn net.Conn, resp *http.Response) ([]byte, error) {
	if c, ok := conn.(*schannel.Conn); ok {
		return c.ChannelBinding(sspi.SECPKG_ATTR_ENDPOINT_BINDINGS)
	}
	if len(resp.TLS.PeerCertificates) == 0 {
		return nil, nil
	}
	return EndpointBindings(resp.TLS.PeerCertificates[0])
}

// EndpointBindings is tls-server-end-point (RFC 5929 section 4.1) for a
// server certificate, as the SEC_CHANNEL_BINDINGS structure a
// SECBUFFER_CHANNEL_BINDINGS buffer holds: what a server gives the
// acceptor to check the bindings of clients that connected to it. It is
// sspi.EndpointBindings.
func EndpointBindings(cert *x509.Certificate) ([]byte, error) {
	return sspi.EndpointBindings(cert)
}
