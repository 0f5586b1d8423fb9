package sspi

import "sync/atomic"

// Credentials is a credential handle (CredHandle): a package, a use and the
// package's configuration, from which contexts are made. It is safe for
// concurrent use; many contexts may share one.
type Credentials struct {
	pkg      Package
	info     PackageInfo
	use      CredentialUse
	authData any
	freed    atomic.Bool
	trace    func(TraceEvent)
}

// AcquireCredentialsHandle maps AcquireCredentialsHandle: packageName names
// a registered package ("Schannel", "Kerberos", ... case-insensitive),
// principal is pszPrincipal ("" for the default), use is
// SECPKG_CRED_INBOUND (a server), SECPKG_CRED_OUTBOUND (a client) or
// SECPKG_CRED_BOTH, and authData is the package's typed configuration (for
// Schannel a *tls.Config), or nil for its defaults.
//
// Each package also offers its own typed AcquireCredentialsHandle, which is
// the easier way in from Go (schannel.AcquireCredentialsHandle takes a
// *tls.Config).
func AcquireCredentialsHandle(principal, packageName string, use CredentialUse, authData any) (*Credentials, error) {
	pkg, info, ok := lookupPackage(packageName)
	if !ok {
		return nil, Errorf(SEC_E_SECPKG_NOT_FOUND, "sspi: no security package named %q is registered (is its Go package imported?)", packageName)
	}
	return NewCredentials(pkg, info, principal, use, authData)
}

// NewCredentials acquires credentials of pkg without looking it up by name:
// what a package's own typed AcquireCredentialsHandle calls. info is what
// the handle reports as its package (SECPKG_ATTR_PACKAGE_INFO), so a package
// registered under several names can say which one was asked for.
func NewCredentials(pkg Package, info PackageInfo, principal string, use CredentialUse, authData any) (*Credentials, error) {
	if use != SECPKG_CRED_INBOUND && use != SECPKG_CRED_OUTBOUND && use != SECPKG_CRED_BOTH {
		return nil, Errorf(SEC_E_UNSUPPORTED_FUNCTION, "sspi: credential use %d is not SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND or SECPKG_CRED_BOTH", use)
	}
	state, err := pkg.AcquireCredentials(principal, use, authData)
	if err != nil {
		return nil, err
	}
	return &Credentials{pkg: pkg, info: info, use: use, authData: state}, nil
}

// FreeCredentialsHandle maps FreeCredentialsHandle. Contexts already created
// keep working; new ones cannot be made.
func (c *Credentials) FreeCredentialsHandle() error {
	if c == nil || c.freed.Swap(true) {
		return Errorf(SEC_E_INVALID_HANDLE, "sspi: credentials already freed")
	}
	return nil
}

// AuthData returns what the package kept when the credentials were acquired
// (for Schannel, the *tls.Config). Packages read it in NewContext.
func (c *Credentials) AuthData() any { return c.authData }

// Use is the use the credentials were acquired for.
func (c *Credentials) Use() CredentialUse { return c.use }

// PackageInfo describes the credentials' package as it was named.
func (c *Credentials) PackageInfo() PackageInfo { return c.info }

// SetTrace sets a hook that every context made from these credentials
// calls after each SSPI call (see TraceEvent). Set it before the first
// context is made; contexts keep the hook they started with.
func (c *Credentials) SetTrace(f func(TraceEvent)) { c.trace = f }

// Usable reports whether the credentials can start or continue a context
// for use: SEC_E_INVALID_HANDLE once freed, SEC_E_NO_CREDENTIALS for the
// wrong direction.
func (c *Credentials) Usable(use CredentialUse) error {
	switch {
	case c == nil || c.freed.Load():
		return Errorf(SEC_E_INVALID_HANDLE, "sspi: invalid or freed credentials")
	case c.use&use != 0:
		return nil
	case use == SECPKG_CRED_OUTBOUND:
		return Errorf(SEC_E_NO_CREDENTIALS, "sspi: InitializeSecurityContext needs SECPKG_CRED_OUTBOUND credentials")
	default:
		return Errorf(SEC_E_NO_CREDENTIALS, "sspi: AcceptSecurityContext needs SECPKG_CRED_INBOUND credentials")
	}
}
