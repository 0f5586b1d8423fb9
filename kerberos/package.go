package kerberos

import (
	"context"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/files"
	"github.com/gosspi/schannel/sspi"
)

// PackageName is the name the package is registered under, as Windows
// names it.
const PackageName = "Kerberos"

// packageInfo is SecPkgInfo as Windows 10's EnumerateSecurityPackages
// reports it for Kerberos (a dump from Windows 10; cbMaxToken is 48000
// from Windows 8 on, 12000 before). The capability word has bits sspi has
// no name for (0x02000000, APPLY_LOOPBACK); it is kept whole.
var packageInfo = sspi.PackageInfo{
	Capabilities: 0x028f3bbf,
	Version:      1,
	RPCID:        16, // RPC_C_AUTHN_GSS_KERBEROS
	MaxToken:     48000,
	Name:         PackageName,
	Comment:      "Microsoft Kerberos V1.0",
}

type kerberosPackage struct{}

func init() { sspi.Register(kerberosPackage{}) }

func (kerberosPackage) Info() sspi.PackageInfo { return packageInfo }

// Config is the Go counterpart of pAuthData for Kerberos: where the
// credentials come from and how the KDCs are reached. The zero value (or
// a nil *Config) means what MIT's tools do: the default credential cache
// (KRB5CCNAME) outbound, the default keytab (KRB5_KTNAME) inbound, and
// krb5.conf from KRB5_CONFIG.
type Config struct {
	// Identity, when set, is a user and password (SEC_WINNT_AUTH_IDENTITY):
	// the client gets its TGT from the KDC with them. Domain is the realm;
	// empty means the principal's realm or default_realm. A User with "@"
	// and a Domain is a UPN, sent as an enterprise name (NT-ENTERPRISE)
	// that the Domain's KDC resolves to the account, as Windows does.
	Identity *sspi.AuthIdentity
	// CCache names the credential cache used outbound ("FILE:/path" or a
	// path); empty means KRB5CCNAME, then default_ccache_name, as MIT.
	CCache string
	// ClientKeytab, when set, names a keytab holding the client's own
	// long-term key (kinit -k -t): the client gets its TGT from the KDC
	// with it. The principal is pszPrincipal, else the keytab's first.
	ClientKeytab string
	// Keytab names the keytab an acceptor takes its keys from; empty means
	// KRB5_KTNAME, then default_keytab_name, as MIT.
	Keytab string
	// ConfigFiles are the krb5.conf files to read; empty means
	// KRB5_CONFIG, else /etc/krb5.conf.
	ConfigFiles []string
	// KDCTimeout bounds each attempt at one KDC; zero means 3 seconds.
	// A realm's KDCs are tried in turn until one answers.
	KDCTimeout time.Duration
	// Context, when set, cancels the KDC exchanges that
	// InitializeSecurityContext makes; nil means context.Background.
	Context context.Context
	// ClockSkew is what an acceptor tolerates between the client's clock
	// and its own; zero means krb5.conf's clockskew (5 minutes by default).
	ClockSkew time.Duration
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// AcquireCredentials is Package.AcquireCredentials: authData is a *Config,
// a Config, a *sspi.AuthIdentity (user and password) or nil.
func (kerberosPackage) AcquireCredentials(principal string, use sspi.CredentialUse, authData any) (any, error) {
	var cfg Config
	switch a := authData.(type) {
	case nil:
	case *Config:
		if a != nil {
			cfg = *a
		}
	case Config:
		cfg = a
	case *sspi.AuthIdentity:
		cfg.Identity = a
	case sspi.AuthIdentity:
		cfg.Identity = &a
	case delegatedAuth:
		return a.acquire(use)
	case *credState:
		// Made inside this package (tests' offline realm).
		return a, nil
	default:
		return nil, sspi.Errorf(sspi.SEC_E_UNKNOWN_CREDENTIALS, "kerberos: auth data of type %T is not a *kerberos.Config or *sspi.AuthIdentity", authData)
	}
	return acquire(principal, use, &cfg)
}

// AcquireCredentialsHandle acquires Kerberos credentials: principal is
// pszPrincipal ("" for the cache's or the keytab's own), use is
// SECPKG_CRED_OUTBOUND (a client), SECPKG_CRED_INBOUND (an acceptor) or
// SECPKG_CRED_BOTH, and cfg says where the keys come from (nil for MIT's
// defaults).
func AcquireCredentialsHandle(principal string, use sspi.CredentialUse, cfg *Config) (*sspi.Credentials, error) {
	return sspi.NewCredentials(kerberosPackage{}, packageInfo, principal, use, cfg)
}

// loadConfig reads krb5.conf as MIT would, or the files cfg names.
func loadConfig(cfg *Config) (*files.Config, error) {
	var kc *files.Config
	var err error
	if len(cfg.ConfigFiles) > 0 {
		kc, err = files.LoadConfigFiles(cfg.ConfigFiles)
	} else {
		kc, err = files.LoadConfig()
	}
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: krb5.conf: %w", err)
	}
	return kc, nil
}
