package kerberos

import (
	"github.com/gosspi/schannel/sspi"
)

// QueryContextAttributes answers SECPKG_ATTR_SIZES, NAMES, NATIVE_NAMES,
// LIFESPAN and SESSION_KEY; sspi.Context answers PACKAGE_INFO,
// NEGOTIATION_INFO and FLAGS.
//
// SIZES is not published by Microsoft. cbMaxToken is Windows 8's 48000;
// cbMaxSignature is the MIC token's length and cbSecurityTrailer the
// confidential Wrap token's overhead for the context's enctype, which are
// MIT's measured overheads (aes-sha1: MIC 28, wrap 60; aes-sha384: 40 and
// 72), as FreeRDP computes them; cbBlockSize is 1 (CTS needs no padding).
func (p *provider) QueryContextAttributes(attribute uint32) (any, error) {
	switch attribute {
	case sspi.SECPKG_ATTR_SIZES:
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.ml == nil {
			return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "kerberos: SECPKG_ATTR_SIZES needs an established context")
		}
		return sspi.Sizes{
			MaxToken:        packageInfo.MaxToken,
			MaxSignature:    uint32(p.ml.MICSize()),
			BlockSize:       1,
			SecurityTrailer: uint32(p.ml.Overhead(true)),
		}, nil
	case sspi.SECPKG_ATTR_NAMES:
		if p.clientName == "" {
			return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "kerberos: SECPKG_ATTR_NAMES needs an established context")
		}
		return sspi.Names{UserName: p.clientName}, nil
	case sspi.SECPKG_ATTR_NATIVE_NAMES:
		if p.clientName == "" {
			return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "kerberos: SECPKG_ATTR_NATIVE_NAMES needs an established context")
		}
		return sspi.NativeNames{ClientName: p.clientName, ServerName: p.serverName}, nil
	case sspi.SECPKG_ATTR_LIFESPAN:
		if p.end.IsZero() {
			return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "kerberos: SECPKG_ATTR_LIFESPAN needs a ticket")
		}
		return sspi.Lifespan{Start: p.start, Expiry: p.end}, nil
	case sspi.SECPKG_ATTR_SESSION_KEY:
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.ml == nil {
			return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "kerberos: SECPKG_ATTR_SESSION_KEY needs an established context")
		}
		// The key the per-message tokens use (RFC 4121 section 2): the
		// acceptor's subkey when there is one, else the initiator's.
		return sspi.SessionKey{Key: append([]byte(nil), p.messageKey().KeyValue...)}, nil
	}
	return nil, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "kerberos: context attribute %d is not supported", attribute)
}

// DelegatedCredentials returns the credentials a client delegated to an
// acceptor context (ASC_RET_DELEGATE): outbound credentials with which the
// server authenticates onward as its client, as Windows' impersonation
// allows. It is SEC_E_NO_CREDENTIALS when nothing was delegated.
func DelegatedCredentials(c *sspi.Context) (*sspi.Credentials, error) {
	if err := c.Valid(); err != nil {
		return nil, err
	}
	p, ok := c.Provider().(*provider)
	if !ok {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "kerberos: not a Kerberos context")
	}
	p.mu.Lock()
	deleg := p.delegated
	p.mu.Unlock()
	if len(deleg) == 0 {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: the client delegated no credentials")
	}
	return sspi.NewCredentials(kerberosPackage{}, packageInfo, "", sspi.SECPKG_CRED_OUTBOUND, delegatedAuth{from: p.cred, cred: deleg[0]})
}
