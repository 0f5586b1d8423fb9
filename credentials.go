package schannel

import (
	"crypto/tls"

	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/gosspi/schannel/internal/sspi"
)

// Credentials is a credential handle (CredHandle): the configuration a
// context is created from. The tls.Config is the SCH_CREDENTIALS of this
// package: certificates, roots, versions, groups and callbacks all come from
// it. It must not be modified while contexts use it.
type Credentials struct {
	config *tls.Config
	use    CredentialUse
	freed  bool
	// newProvider starts the security package for a context's first call:
	// the pure-Go engine unless the credentials came from another package.
	newProvider func(cred *Credentials, server bool, targetName string, contextReq uint32, input []SecBuffer) (provider, error)
}

// AcquireCredentialsHandle maps AcquireCredentialsHandle: use is
// SECPKG_CRED_OUTBOUND for a client and SECPKG_CRED_INBOUND for a server.
// A nil config means the defaults (system roots, no client certificate).
// Fields the engine cannot honour are reported by the first
// InitializeSecurityContext/AcceptSecurityContext call.
func AcquireCredentialsHandle(use CredentialUse, config *tls.Config) (*Credentials, error) {
	if use != SECPKG_CRED_INBOUND && use != SECPKG_CRED_OUTBOUND {
		return nil, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "schannel: credential use %d is neither SECPKG_CRED_INBOUND nor SECPKG_CRED_OUTBOUND", use)
	}
	if config == nil {
		config = &tls.Config{}
	}
	return &Credentials{config: config, use: use, newProvider: newGoProvider}, nil
}

// FreeCredentialsHandle maps FreeCredentialsHandle. Contexts already created
// keep working; new ones cannot be made.
func (c *Credentials) FreeCredentialsHandle() error {
	if c == nil || c.freed {
		return sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "schannel: credentials already freed")
	}
	c.freed = true
	return nil
}

func (c *Credentials) usable(use CredentialUse) error {
	switch {
	case c == nil || c.freed:
		return sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "schannel: invalid or freed credentials")
	case c.use != use && use == SECPKG_CRED_OUTBOUND:
		return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "schannel: InitializeSecurityContext needs SECPKG_CRED_OUTBOUND credentials")
	case c.use != use:
		return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "schannel: AcceptSecurityContext needs SECPKG_CRED_INBOUND credentials")
	}
	return nil
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
