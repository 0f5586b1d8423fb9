package schannel

import (
	"crypto/tls"
	"runtime"
	"sync"
	"weak"

	"github.com/gosspi/schannel/internal/sspi"
	"github.com/gosspi/schannel/internal/tls/session"
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

// ticketKeyRing holds the random session ticket keys of each server
// configuration that has no SessionTicketKey, the way crypto/tls keeps them
// inside its Config: every connection served with one *tls.Config can resume
// the others' sessions, and no other configuration can. Entries go away
// with their configuration.
var ticketKeyRing sync.Map // weak.Pointer[tls.Config] -> *session.TicketKeys

// ticketKeysFor returns the keys that seal a server's session tickets, nil
// when tickets are disabled.
func ticketKeysFor(cfg *tls.Config) (*session.TicketKeys, error) {
	if cfg.SessionTicketsDisabled {
		return nil, nil
	}
	if cfg.SessionTicketKey != [32]byte{} {
		// Servers sharing the key share tickets; the epoch rotation is derived from it.
		return session.NewTicketKeys(cfg.SessionTicketKey, 0), nil
	}
	ref := weak.Make(cfg)
	if keys, ok := ticketKeyRing.Load(ref); ok {
		return keys.(*session.TicketKeys), nil
	}
	keys, err := session.RandomTicketKeys()
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: session ticket keys: %v", err)
	}
	actual, loaded := ticketKeyRing.LoadOrStore(ref, keys)
	if !loaded {
		runtime.AddCleanup(cfg, func(ref weak.Pointer[tls.Config]) { ticketKeyRing.Delete(ref) }, ref)
	}
	return actual.(*session.TicketKeys), nil
}
