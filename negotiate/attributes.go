package negotiate

import (
	"github.com/gosspi/schannel/kerberos"
	"github.com/gosspi/schannel/sspi"
)

// Chosen returns the context of the package Negotiate chose (Kerberos)
// once c is established, for calls that belong to that package
// (kerberos.DelegatedCredentials, for one).
func Chosen(c *sspi.Context) (*sspi.Context, error) {
	if err := c.Valid(); err != nil {
		return nil, err
	}
	p, ok := c.Provider().(*provider)
	if !ok {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "negotiate: not a Negotiate context")
	}
	return p.chosen()
}

// DelegatedCredentials returns, as Negotiate credentials, what a client
// delegated to an acceptor context (ASC_RET_DELEGATE): the server
// authenticates onward as its client with them. It is SEC_E_NO_CREDENTIALS
// when nothing was delegated.
func DelegatedCredentials(c *sspi.Context) (*sspi.Credentials, error) {
	inner, err := Chosen(c)
	if err != nil {
		return nil, err
	}
	krb, err := kerberos.DelegatedCredentials(inner)
	if err != nil {
		return nil, err
	}
	return FromKerberos(krb)
}
