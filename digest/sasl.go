package digest

import (
	"net/smtp"

	"github.com/gosspi/schannel/sspi"
)

// Mechanism is a client SASL mechanism as every SASL protocol drives it
// (SMTP AUTH, IMAP AUTHENTICATE, an LDAP SASL bind, XMPP's <auth>): Start
// names the mechanism and gives the initial response, if it has one, then
// Next answers each server challenge until the server reports success.
// Framing (base64, "334", "+ ", <challenge/>) is the protocol's part.
type Mechanism interface {
	// Start returns the mechanism name and the initial response; nil
	// means none (the protocol sends no initial response).
	Start() (mech string, initial []byte, err error)
	// Next answers a server challenge.
	Next(challenge []byte) (response []byte, err error)
	// Done reports whether the mechanism has authenticated the server's
	// last word; a protocol must not treat the server's success as
	// final before it is.
	Done() bool
}

// SASLClient is RFC 2831 DIGEST-MD5 through InitializeSecurityContext
// (SASL mode: no ISC_REQ_USE_HTTP_STYLE). The target name is the SPN
// service/host, the digest-uri. After Done, Context gives the security
// layer, when one was negotiated (ISC_REQ_INTEGRITY for auth-int:
// MakeSignature/VerifySignature; ISC_REQ_CONFIDENTIALITY for auth-conf:
// EncryptMessage/DecryptMessage).
type SASLClient struct {
	cred  *sspi.Credentials
	spn   string
	flags uint32
	ctx   *sspi.Context
	done  bool
}

// NewSASLClient returns a DIGEST-MD5 client for service on host ("smtp",
// "imap", "ldap", "xmpp"), with outbound WDigest credentials and extra
// ISC_REQ_* flags (0 for authentication only).
func NewSASLClient(cred *sspi.Credentials, service, host string, flags uint32) *SASLClient {
	return &SASLClient{cred: cred, spn: service + "/" + host, flags: flags}
}

// Start implements Mechanism: DIGEST-MD5 has no initial response.
func (c *SASLClient) Start() (string, []byte, error) {
	if c.ctx != nil {
		return "", nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "digest: the SASL client has already started")
	}
	req := sspi.ISC_REQ_ALLOCATE_MEMORY | c.flags
	ctx, _, err := sspi.InitializeSecurityContext(c.cred, nil, c.spn, req, nil, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}})
	if err != nil {
		return "", nil, err
	}
	c.ctx = ctx
	return "DIGEST-MD5", nil, nil
}

// Next implements Mechanism: the digest-challenge gets the
// digest-response; the response-auth (rspauth) is checked and answered
// with an empty response (RFC 2831 section 2.1.3).
func (c *SASLClient) Next(challenge []byte) ([]byte, error) {
	if c.ctx == nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "digest: Next before Start")
	}
	if c.done {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "digest: a challenge after the server proved itself")
	}
	req := sspi.ISC_REQ_ALLOCATE_MEMORY | c.flags
	in := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, challenge)}
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	_, st, err := sspi.InitializeSecurityContext(c.cred, c.ctx, c.spn, req, in, out)
	if err != nil {
		return nil, err
	}
	if st == sspi.SEC_E_OK {
		c.done = true
		return []byte{}, nil
	}
	return out[0].Buffer, nil
}

// Done implements Mechanism.
func (c *SASLClient) Done() bool { return c.done }

// Context is the security context, for the security layer after Done.
func (c *SASLClient) Context() *sspi.Context { return c.ctx }

// SMTPAuth returns an smtp.Auth that logs in with DIGEST-MD5 (RFC 2831,
// as SMTP AUTH uses it, RFC 4954) to host, with outbound WDigest
// credentials. Unlike smtp.PlainAuth it may run without TLS: the password
// never crosses the wire, and the server must prove it knows it too.
func SMTPAuth(cred *sspi.Credentials, host string) smtp.Auth {
	return &smtpAuth{m: NewSASLClient(cred, "smtp", host, 0)}
}

// smtpAuth adapts a Mechanism to net/smtp.
type smtpAuth struct{ m Mechanism }

func (a *smtpAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return a.m.Start() }

func (a *smtpAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if more {
		return a.m.Next(fromServer)
	}
	if !a.m.Done() {
		// 235 before rspauth: the server never proved itself.
		return nil, sspi.Errorf(sspi.SEC_E_MUTUAL_AUTH_FAILED, "digest: the SMTP server accepted the login without rspauth")
	}
	return nil, nil
}
