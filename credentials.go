package schannel

import (
	"crypto/tls"
	"net"

	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/gosspi/schannel/sspi"
)

// Credentials is a credential handle (CredHandle): see sspi.Credentials.
// Schannel's credentials hold a *tls.Config, the SCH_CREDENTIALS of this
// package: certificates, roots, versions, groups and callbacks all come from
// it. It must not be modified while contexts use it.
type Credentials = sspi.Credentials

// PackageName is the name Schannel is registered under
// (UNISP_NAME, "Microsoft Unified Security Protocol Provider"); it is also
// registered as "Schannel" (SCHANNEL_NAME) and "Default TLS SSP", as on
// Windows 10 and later.
const PackageName = "Microsoft Unified Security Protocol Provider"

// schannelPackage is the Schannel security package on this module's engine.
type schannelPackage struct{}

// packageInfo is what Windows reports for Schannel (EnumerateSecurityPackages
// on Windows 10, as dumped by mimikatz's lsadump::packages): INTEGRITY,
// PRIVACY, CONNECTION, MULTI_REQUIRED, EXTENDED_ERROR, IMPERSONATION,
// ACCEPT_WIN32_NAME, STREAM, MUTUAL_AUTH, APPCONTAINER_PASSTHROUGH.
var packageInfo = sspi.PackageInfo{
	Capabilities: 0x004107b3,
	Version:      1,
	RPCID:        14, // UNISP_RPC_ID
	MaxToken:     24576,
	Name:         PackageName,
	Comment:      "Schannel Security Package",
}

func init() {
	sspi.Register(schannelPackage{}, "Schannel", "Default TLS SSP")
}

func (schannelPackage) Info() sspi.PackageInfo { return packageInfo }

// AcquireCredentials takes a *tls.Config (nil for the defaults).
func (schannelPackage) AcquireCredentials(_ string, use sspi.CredentialUse, authData any) (any, error) {
	if use == sspi.SECPKG_CRED_BOTH {
		return nil, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "schannel: a credential is either SECPKG_CRED_INBOUND or SECPKG_CRED_OUTBOUND")
	}
	switch config := authData.(type) {
	case helloConnConfig:
		return config, nil
	case nil:
		return &tls.Config{}, nil
	case *tls.Config:
		if config == nil {
			return &tls.Config{}, nil
		}
		return config, nil
	}
	return nil, sspi.Errorf(sspi.SEC_E_UNKNOWN_CREDENTIALS, "schannel: the auth data is a %T, not a *tls.Config", authData)
}

func (schannelPackage) NewContext(cred *sspi.Credentials, server bool, targetName string, contextReq uint32, input []SecBuffer) (sspi.Provider, error) {
	p, err := newGoProvider(tlsConfigOf(cred), server, targetName, contextReq, input)
	if err != nil {
		return nil, err
	}
	if hc, ok := cred.AuthData().(helloConnConfig); ok {
		p.eng.SetHelloConn(hc.conn)
	}
	return p, nil
}

// helloConnConfig is the auth data of the credentials a Conn makes for its
// handshake: its *tls.Config, and the socket that tls.Config callbacks see
// as ClientHelloInfo.Conn. The engine never touches the socket.
type helloConnConfig struct {
	config *tls.Config
	conn   net.Conn
}

// tlsConfigOf is the *tls.Config of Schannel credentials; an empty one for
// credentials whose TLS settings live elsewhere (secur32.dll's).
func tlsConfigOf(cred *Credentials) *tls.Config {
	switch config := cred.AuthData().(type) {
	case *tls.Config:
		return config
	case helloConnConfig:
		return config.config
	}
	return &tls.Config{}
}

// AcquireCredentialsHandle maps AcquireCredentialsHandle for Schannel: use
// is SECPKG_CRED_OUTBOUND for a client and SECPKG_CRED_INBOUND for a server.
// A nil config means the defaults (system roots, no client certificate).
// Fields the engine cannot honour are reported by the first
// InitializeSecurityContext/AcceptSecurityContext call. It is
// sspi.AcquireCredentialsHandle("", PackageName, use, config).
func AcquireCredentialsHandle(use CredentialUse, config *tls.Config) (*Credentials, error) {
	if use != SECPKG_CRED_INBOUND && use != SECPKG_CRED_OUTBOUND {
		return nil, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "schannel: credential use %d is neither SECPKG_CRED_INBOUND nor SECPKG_CRED_OUTBOUND", use)
	}
	return sspi.NewCredentials(schannelPackage{}, packageInfo, "", use, config)
}

// ticketKeysFor returns the keys that seal a server's session tickets, nil
// when tickets are disabled. They are the ticket keys crypto/tls would use
// for cfg (SetSessionTicketKeys, SessionTicketKey, or its own rotating ring
// of random keys), kept inside cfg itself: every connection served with one
// *tls.Config, or with configurations given the same keys, can resume the
// others' sessions.
func ticketKeysFor(cfg *tls.Config) (*session.TicketKeys, error) {
	if cfg.SessionTicketsDisabled {
		return nil, nil
	}
	keys, err := session.NewTicketKeys(cfg)
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: session ticket keys: %v", err)
	}
	return keys, nil
}
