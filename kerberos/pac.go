package kerberos

import (
	"time"

	"github.com/gosspi/schannel/sspi"
)

// PAC is what an acceptor learned from the Privilege Attribute
// Certificate in the client's ticket (MS-PAC), after checking its server
// signature with the service's key and its client information against the
// ticket. Active Directory and MIT krb5 1.20 and later issue PACs. The
// logon information (group SIDs, NDR-encoded) is not decoded yet: Buffers
// holds every buffer's bytes by type (MS-PAC section 2.4).
type PAC struct {
	// ClientName and ClientID are PAC_CLIENT_INFO (MS-PAC section 2.7):
	// the client's name without realm and the ticket's authtime.
	ClientName string
	ClientID   time.Time
	// UPN, DNSDomainName, SAMName and SID are UPN_DNS_INFO (MS-PAC
	// section 2.10), when present; SAMName and SID only with its S flag.
	UPN           string
	DNSDomainName string
	SAMName       string
	SID           []byte
	Buffers       map[uint32][]byte
}

// ContextPAC returns the PAC of the ticket an acceptor context accepted,
// or SEC_E_NO_CREDENTIALS when the ticket had none (the KDC issued none,
// or the context is a client's).
func ContextPAC(c *sspi.Context) (*PAC, error) {
	if err := c.Valid(); err != nil {
		return nil, err
	}
	p, ok := c.Provider().(*provider)
	if !ok {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "kerberos: not a Kerberos context")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pac == nil {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: the context's ticket carried no PAC")
	}
	src := p.pac
	out := &PAC{Buffers: make(map[uint32][]byte, len(src.Buffers))}
	if src.ClientInfo != nil {
		out.ClientName, out.ClientID = src.ClientInfo.Name, src.ClientInfo.ClientID
	}
	if u := src.UPNDNSInfo; u != nil {
		out.UPN, out.DNSDomainName, out.SAMName = u.UPN, u.DNSDomainName, u.SAMName
		out.SID = append([]byte(nil), u.SID...)
	}
	for _, b := range src.Buffers {
		out.Buffers[b.Type] = append([]byte(nil), b.Data...)
	}
	return out, nil
}
