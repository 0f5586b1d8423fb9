package negotiate

import (
	"github.com/gosspi/schannel/kerberos"
	"github.com/gosspi/schannel/sspi"
)

// PackageName is the name the package is registered under, as Windows
// names it.
const PackageName = "Negotiate"

// packageInfo is SecPkgInfo as Windows 10's EnumerateSecurityPackages
// reports it for Negotiate (a dump from Windows 10): capabilities
// 0x00883bb3, version 1, RPC id 9 (RPC_C_AUTHN_GSS_NEGOTIATE), cbMaxToken
// 48256.
var packageInfo = sspi.PackageInfo{
	Capabilities: 0x00883bb3,
	Version:      1,
	RPCID:        9,
	MaxToken:     48256,
	Name:         PackageName,
	Comment:      "Microsoft Package Negotiator",
}

type negotiatePackage struct{}

func init() { sspi.Register(negotiatePackage{}) }

func (negotiatePackage) Info() sspi.PackageInfo { return packageInfo }

// Config is the Go counterpart of pAuthData for Negotiate: the
// configuration of each package Negotiate may choose. Only Kerberos is
// behind it today; NTLM would add its field here.
type Config struct {
	// Kerberos configures the Kerberos credentials; nil means MIT's
	// defaults (KRB5CCNAME outbound, KRB5_KTNAME inbound, KRB5_CONFIG).
	Kerberos *kerberos.Config
}

// credState is what a Negotiate credential handle holds: the credentials
// of each package it can use, or why it cannot.
type credState struct {
	use sspi.CredentialUse
	krb *sspi.Credentials
	// krbErr says why Kerberos cannot be used (no ticket cache, no
	// keytab); the first context reports it, as Windows' Negotiate
	// acquires its handle and fails only when a context needs a package.
	krbErr error
}

// AcquireCredentials is Package.AcquireCredentials: authData is a
// *Config, a Config, a *sspi.AuthIdentity (user and password, for
// Kerberos) or nil.
func (negotiatePackage) AcquireCredentials(principal string, use sspi.CredentialUse, authData any) (any, error) {
	var kcfg any
	switch a := authData.(type) {
	case nil:
	case *Config:
		if a != nil && a.Kerberos != nil {
			kcfg = a.Kerberos
		}
	case Config:
		if a.Kerberos != nil {
			kcfg = a.Kerberos
		}
	case *sspi.AuthIdentity, sspi.AuthIdentity:
		kcfg = a
	case *sspi.Credentials:
		// Already-acquired Kerberos credentials, such as what a client
		// delegated (DelegatedCredentials).
		if a.PackageInfo().Name != kerberos.PackageName {
			return nil, sspi.Errorf(sspi.SEC_E_UNKNOWN_CREDENTIALS, "negotiate: credentials of package %q cannot be negotiated", a.PackageInfo().Name)
		}
		return &credState{use: use, krb: a}, nil
	default:
		return nil, sspi.Errorf(sspi.SEC_E_UNKNOWN_CREDENTIALS, "negotiate: auth data of type %T is not a *negotiate.Config or *sspi.AuthIdentity", authData)
	}
	cs := &credState{use: use}
	cs.krb, cs.krbErr = sspi.AcquireCredentialsHandle(principal, kerberos.PackageName, use, kcfg)
	return cs, nil
}

// AcquireCredentialsHandle acquires Negotiate credentials: principal is
// pszPrincipal ("" for the default), use is SECPKG_CRED_OUTBOUND (a
// client), SECPKG_CRED_INBOUND (an acceptor) or SECPKG_CRED_BOTH, and cfg
// configures the packages behind Negotiate (nil for their defaults).
func AcquireCredentialsHandle(principal string, use sspi.CredentialUse, cfg *Config) (*sspi.Credentials, error) {
	return sspi.NewCredentials(negotiatePackage{}, packageInfo, principal, use, cfg)
}

// FromKerberos wraps Kerberos credentials (such as what
// kerberos.DelegatedCredentials returns) as Negotiate credentials.
func FromKerberos(krb *sspi.Credentials) (*sspi.Credentials, error) {
	return sspi.NewCredentials(negotiatePackage{}, packageInfo, "", krb.Use(), krb)
}

// kerberosCredentials returns the Kerberos credentials, or the reason
// Negotiate cannot use Kerberos.
func (cs *credState) kerberosCredentials() (*sspi.Credentials, error) {
	if cs.krb == nil {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "negotiate: Kerberos cannot be used (%w) and NTLM is not implemented", cs.krbErr)
	}
	return cs.krb, nil
}
