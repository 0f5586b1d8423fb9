//go:build !windows

package sspi

// AuthIdentity is SEC_WINNT_AUTH_IDENTITY_W, the auth data of Kerberos,
// NTLM, Negotiate and WDigest on Windows: a user, a domain and a password.
// A nil *AuthIdentity means the logged-on user (single sign-on).
type AuthIdentity struct {
	User, Domain, Password string
}

var errNoSecur32 = Errorf(SEC_E_UNSUPPORTED_FUNCTION, "sspi: secur32.dll exists on Windows only")

// AcquireNativeCredentialsHandle returns credentials whose contexts run on
// an installed Windows package (secur32.dll). It exists on Windows only;
// elsewhere it fails with SEC_E_UNSUPPORTED_FUNCTION.
func AcquireNativeCredentialsHandle(packageName string, use CredentialUse, authData any) (*Credentials, error) {
	return nil, errNoSecur32
}

// NativeSecurityPackageInfo is secur32.dll's QuerySecurityPackageInfoW; on
// other systems, SEC_E_UNSUPPORTED_FUNCTION.
func NativeSecurityPackageInfo(name string) (PackageInfo, error) { return PackageInfo{}, errNoSecur32 }

// EnumerateNativeSecurityPackages is secur32.dll's
// EnumerateSecurityPackagesW; on other systems, SEC_E_UNSUPPORTED_FUNCTION.
func EnumerateNativeSecurityPackages() ([]PackageInfo, error) { return nil, errNoSecur32 }
