package kerberos

import (
	"time"

	"github.com/gosspi/schannel/internal/kerberos/pac"
	"github.com/gosspi/schannel/sspi"
)

// LogonInfo is the PAC's KERB_VALIDATION_INFO (MS-PAC section 2.5): the
// user's account and domain names, the user's SID (UserSID) and the SIDs
// of the user's groups (GroupSIDs: the logon domain's groups, extra SIDs
// and resource groups), logon times and account flags.
type LogonInfo = pac.LogonInfo

// DelegationInfo is the PAC's S4U_DELEGATION_INFO (MS-PAC section 2.9):
// after constrained delegation, the target and the services passed through.
type DelegationInfo = pac.DelegationInfo

// SID is a Windows security identifier (MS-DTYP section 2.4.2); String
// gives the "S-1-5-21-..." form.
type SID = pac.SID

// GroupMembership is a group's RID and SE_GROUP attributes (MS-PAC
// section 2.2.2).
type GroupMembership = pac.GroupMembership

// SIDAndAttributes is a SID and its SE_GROUP attributes (MS-PAC section
// 2.2.1).
type SIDAndAttributes = pac.SIDAndAttributes

// PAC is what an acceptor learned from the Privilege Attribute
// Certificate in the client's ticket (MS-PAC), after checking its server
// signature with the service's key and its client information against the
// ticket. Active Directory and MIT krb5 1.20 and later issue PACs. Buffers
// holds every buffer's bytes by type (MS-PAC section 2.4), the decoded ones
// too; the device and claims buffers are not decoded.
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
	// LogonInfo is the logon information with the user's and groups'
	// SIDs, nil when the PAC has none (MIT's KDC without a KDB module
	// that supplies it issues none).
	LogonInfo *LogonInfo
	// DelegationInfo is present in tickets obtained by constrained
	// delegation (S4U2proxy).
	DelegationInfo *DelegationInfo
	// Requestor is PAC_REQUESTOR's SID (MS-PAC section 2.15), when
	// present.
	Requestor *SID
	Buffers   map[uint32][]byte
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
	if src.LogonInfo != nil {
		out.LogonInfo = src.LogonInfo.Clone()
	}
	if d := src.DelegationInfo; d != nil {
		out.DelegationInfo = &DelegationInfo{S4U2proxyTarget: d.S4U2proxyTarget, S4UTransitedServices: append([]string(nil), d.S4UTransitedServices...)}
	}
	if src.Requestor != nil {
		r := src.Requestor.Clone()
		out.Requestor = &r
	}
	for _, b := range src.Buffers {
		out.Buffers[b.Type] = append([]byte(nil), b.Data...)
	}
	return out, nil
}
