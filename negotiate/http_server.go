package negotiate

import (
	"context"
	"encoding/base64"
	"errors"
	"log"
	"net/http"
	"strings"

	"github.com/gosspi/schannel/kerberos"
	"github.com/gosspi/schannel/sspi"
)

// maxAuthorization bounds the Authorization header the middleware decodes:
// Negotiate's cbMaxToken in base64, with room.
const maxAuthorization = 80 << 10

// Handler is net/http middleware that requires Negotiate (RFC 4559): a
// request without "Authorization: Negotiate" gets 401 with
// "WWW-Authenticate: Negotiate"; a valid token is accepted with the
// keytab's keys, the AP-REP goes back in the response's WWW-Authenticate
// header, and Next runs with the client's identity in the request context
// (see User).
//
// Only one-round-trip negotiations are taken (Kerberos as the client's
// first choice, which is what browsers, curl and Windows send): HTTP
// gives no place to keep a half-done context between requests.
type Handler struct {
	// Next serves authenticated requests.
	Next http.Handler
	// Credentials are inbound Negotiate credentials; nil means the default
	// keytab (KRB5_KTNAME), acquired by NewHandler.
	Credentials *sspi.Credentials
	// ChannelBindings, when set, returns the SEC_CHANNEL_BINDINGS of the
	// TLS connection a request came on (EndpointBindings of the server's
	// certificate, for one); a client whose token carries other bindings
	// is refused (SEC_E_BAD_BINDINGS).
	ChannelBindings func(r *http.Request) ([]byte, error)
	// ErrorLog receives why a client was refused; nil means the log
	// package's standard logger.
	ErrorLog *log.Logger
}

// NewHandler returns middleware accepting Negotiate with the keys of
// keytab (empty: KRB5_KTNAME, then krb5.conf's default_keytab_name).
func NewHandler(next http.Handler, keytab string) (*Handler, error) {
	var cfg *Config
	if keytab != "" {
		cfg = &Config{Kerberos: &kerberos.Config{Keytab: keytab}}
	}
	cred, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, cfg)
	if err != nil {
		return nil, err
	}
	return &Handler{Next: next, Credentials: cred}, nil
}

// Identity is what the middleware learned of an authenticated client.
type Identity struct {
	// Name is the client principal, "user@REALM".
	Name string
	// Context is the accepted security context (Negotiate, with Kerberos
	// chosen), for per-message calls and attributes.
	Context *sspi.Context
}

// Delegated returns the credentials the client delegated (curl
// --delegation always, ISC_REQ_DELEGATE), with which the handler
// authenticates onward as the client; SEC_E_NO_CREDENTIALS when none.
func (id *Identity) Delegated() (*sspi.Credentials, error) { return DelegatedCredentials(id.Context) }

type identityKey struct{}

// User returns the identity of the client of an authenticated request.
func User(ctx context.Context) (*Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(*Identity)
	return id, ok
}

func (h *Handler) logf(format string, args ...any) {
	if h.ErrorLog != nil {
		h.ErrorLog.Printf(format, args...)
	} else {
		log.Printf(format, args...)
	}
}

func challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", "Negotiate")
	http.Error(w, "Negotiate authentication required", http.StatusUnauthorized)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	scheme, b64, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Negotiate") || len(auth) > maxAuthorization {
		challenge(w)
		return
	}
	tok, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(tok) == 0 {
		h.logf("negotiate: %s: the Authorization token is not base64", r.RemoteAddr)
		challenge(w)
		return
	}
	cred := h.Credentials
	if cred == nil {
		h.logf("negotiate: Handler has no Credentials (use NewHandler)")
		http.Error(w, "server misconfigured", http.StatusInternalServerError)
		return
	}
	in := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok)}
	if h.ChannelBindings != nil {
		cb, err := h.ChannelBindings(r)
		if err != nil {
			h.logf("negotiate: %s: channel bindings: %v", r.RemoteAddr, err)
			http.Error(w, "channel bindings unavailable", http.StatusInternalServerError)
			return
		}
		if cb != nil {
			in = append(in, sspi.NewSecBuffer(sspi.SECBUFFER_CHANNEL_BINDINGS, cb))
		}
	}
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	ctx, st, err := sspi.AcceptSecurityContext(cred, nil, in, sspi.ASC_REQ_ALLOCATE_MEMORY|sspi.ASC_REQ_MUTUAL_AUTH|sspi.ASC_REQ_CONFIDENTIALITY, out)
	if err == nil && st != sspi.SEC_E_OK {
		err = sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "negotiate: the client's negotiation needs more than one round trip (%v), which HTTP cannot carry here", st)
		ctx.DeleteSecurityContext()
	}
	if err != nil {
		h.logf("negotiate: %s: %v", r.RemoteAddr, err)
		var se *sspi.Error
		if errors.As(err, &se) && se.Status == sspi.SEC_E_NO_CREDENTIALS {
			http.Error(w, "server has no Kerberos keys", http.StatusInternalServerError)
			return
		}
		challenge(w)
		return
	}
	defer ctx.DeleteSecurityContext()
	if len(out[0].Buffer) > 0 {
		w.Header().Set("WWW-Authenticate", "Negotiate "+base64.StdEncoding.EncodeToString(out[0].Buffer))
	}
	id := &Identity{Context: ctx}
	if v, err := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES); err == nil {
		if n, ok := v.(sspi.Names); ok {
			id.Name = n.UserName
		}
	}
	h.Next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
}
