//go:build !windows

package schannel

import "github.com/gosspi/schannel/sspi"

// AcquireNativeCredentialsHandle returns credentials whose contexts run on
// the operating system's Schannel (secur32.dll). It exists on Windows only;
// elsewhere it fails with SEC_E_UNSUPPORTED_FUNCTION.
func AcquireNativeCredentialsHandle(use CredentialUse, opts NativeCredentialOptions) (*Credentials, error) {
	return nil, sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: secur32.dll exists on Windows only")
}

// NativeCredentialOptions configures AcquireNativeCredentialsHandle: the
// SCHANNEL_CRED (or SCH_CREDENTIALS) handed to secur32.dll on Windows.
type NativeCredentialOptions struct {
	// MinVersion and MaxVersion (tls.VersionTLS12, tls.VersionTLS13) become
	// the enabled protocol bits; zero leaves the choice to the system.
	MinVersion, MaxVersion uint16
	// ManualCredValidation sets SCH_CRED_MANUAL_CRED_VALIDATION: Schannel
	// does not verify the server certificate, the caller does (see
	// Context.RemoteCertificate). Pair it with ISC_REQ_MANUAL_CRED_VALIDATION.
	ManualCredValidation bool
	// NoDefaultCreds sets SCH_CRED_NO_DEFAULT_CREDS: a client never picks a
	// certificate by itself.
	NoDefaultCreds bool
	// StrongCrypto sets SCH_USE_STRONG_CRYPTO.
	StrongCrypto bool
	// CertStore names a system certificate store ("MY") holding the
	// certificate (with its private key) to present: the client certificate
	// of SECPKG_CRED_OUTBOUND credentials, the server certificate of
	// SECPKG_CRED_INBOUND ones (which need one). It is chosen by SHA-1
	// Thumbprint when set, else by a Subject substring.
	CertStore  string
	Thumbprint []byte
	Subject    string
}
