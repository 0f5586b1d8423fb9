package negotiate

import "github.com/gosspi/schannel/sspi"

// The per-message calls and the attributes go to the chosen package's
// context, as Windows' Negotiate passes them to Kerberos.

func (p *provider) chosen() (*sspi.Context, error) {
	if p.state != stateEstablished || p.inner == nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "negotiate: the context is not established")
	}
	return p.inner, nil
}

func (p *provider) EncryptMessage(qop uint32, buffers []sspi.SecBuffer) (sspi.Status, error) {
	c, err := p.chosen()
	if err != nil {
		return sspi.StatusOf(err), err
	}
	return c.EncryptMessage(qop, buffers)
}

func (p *provider) DecryptMessage(buffers []sspi.SecBuffer) (uint32, sspi.Status, error) {
	c, err := p.chosen()
	if err != nil {
		return 0, sspi.StatusOf(err), err
	}
	return c.DecryptMessage(buffers)
}

func (p *provider) MakeSignature(qop uint32, buffers []sspi.SecBuffer) (sspi.Status, error) {
	c, err := p.chosen()
	if err != nil {
		return sspi.StatusOf(err), err
	}
	return c.MakeSignature(qop, buffers)
}

func (p *provider) VerifySignature(buffers []sspi.SecBuffer) (uint32, sspi.Status, error) {
	c, err := p.chosen()
	if err != nil {
		return 0, sspi.StatusOf(err), err
	}
	return c.VerifySignature(buffers)
}

// QueryContextAttributes answers SECPKG_ATTR_NEGOTIATION_INFO (the chosen
// package, SECPKG_NEGOTIATION_COMPLETE once established) and
// SECPKG_ATTR_PACKAGE_INFO (the chosen package once established, as
// Windows reports it for a Negotiate context); SECPKG_ATTR_SIZES reports
// Negotiate's cbMaxToken with the chosen package's other sizes; the rest
// comes from the chosen package.
func (p *provider) QueryContextAttributes(attribute uint32) (any, error) {
	switch attribute {
	case sspi.SECPKG_ATTR_NEGOTIATION_INFO:
		info := sspi.NegotiationInfo{PackageInfo: packageInfo, NegotiationState: sspi.SECPKG_NEGOTIATION_IN_PROGRESS}
		if p.inner != nil {
			v, err := p.inner.QueryContextAttributes(sspi.SECPKG_ATTR_PACKAGE_INFO)
			if err != nil {
				return nil, err
			}
			if pi, ok := v.(sspi.PackageInfo); ok {
				info.PackageInfo = pi
			}
			switch {
			case p.state == stateEstablished:
				info.NegotiationState = sspi.SECPKG_NEGOTIATION_COMPLETE
			case p.direct:
				info.NegotiationState = sspi.SECPKG_NEGOTIATION_DIRECT
			case !p.server && p.mech == nil:
				info.NegotiationState = sspi.SECPKG_NEGOTIATION_OPTIMISTIC
			}
		}
		return info, nil
	case sspi.SECPKG_ATTR_FLAGS:
		// sspi.Context answers with what the handshake calls returned.
		return nil, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "negotiate: answered by sspi")
	case sspi.SECPKG_ATTR_PACKAGE_INFO:
		if p.state != stateEstablished || p.inner == nil {
			return packageInfo, nil
		}
	}
	c, err := p.chosen()
	if err != nil {
		return nil, err
	}
	v, err := c.QueryContextAttributes(attribute)
	if s, ok := v.(sspi.Sizes); ok && err == nil {
		s.MaxToken = packageInfo.MaxToken
		return s, nil
	}
	return v, err
}
