package kerberos

import (
	"crypto/md5"
	"encoding/binary"
	"strings"
	"sync"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/engine"
	"github.com/gosspi/schannel/internal/kerberos/files"
	"github.com/gosspi/schannel/internal/kerberos/pac"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// Context states.
const (
	stateStart = iota
	stateWaitReply
	stateEstablished
	stateDead
)

// provider is one Kerberos context: the initiator or acceptor side of an
// AP exchange, then the message layer.
type provider struct {
	cred   *credState
	server bool
	state  int

	// Initiator.
	target  string
	service wire.PrincipalName
	srealm  string
	ini     *engine.Initiator
	tkt     *ticket

	// Acceptor of a DCE-style exchange between its two calls: what the
	// first one accepted, kept until the initiator's AP-REP checks out.
	pending *engine.Accepted

	// Both, once established.
	keys       engine.ContextKeys
	clientName string
	serverName string
	start, end time.Time
	delegated  []engine.DelegatedCredential
	pac        *pac.PAC
	// mu serialises the message layer: EncryptMessage and DecryptMessage
	// may come from two goroutines, and the layer keeps sequence numbers.
	mu sync.Mutex
	ml *engine.MessageLayer
}

// NewContext is Package.NewContext.
func (kerberosPackage) NewContext(cred *sspi.Credentials, server bool, targetName string, contextReq uint32, input []sspi.SecBuffer) (sspi.Provider, error) {
	cs, ok := cred.AuthData().(*credState)
	if !ok {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "kerberos: the credentials are not Kerberos credentials")
	}
	p := &provider{cred: cs, server: server}
	if server {
		// DCE style is the initiator's choice, carried in its AP-REQ:
		// the acceptor follows it with or without ASC_REQ_USE_DCE_STYLE,
		// as MIT's acceptor does.
		return p, nil
	}
	if contextReq&sspi.ISC_REQ_USE_SESSION_KEY != 0 {
		return nil, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "kerberos: user-to-user (ISC_REQ_USE_SESSION_KEY) is not implemented")
	}
	svc, realm, err := parseSPN(targetName, cs.krb5)
	if err != nil {
		return nil, err
	}
	p.target, p.service, p.srealm = targetName, svc, realm
	return p, nil
}

// parseSPN reads an SSPI target: service/host[@REALM]. The GSS form
// service@host is not an SPN and SSPI does not take it. Without a realm the
// host's realm comes from [domain_realm]; without a match it is "", which
// asks the client realm's KDC and follows its referrals (RFC 6806), as MIT
// does for a host-based name.
func parseSPN(target string, kc *files.Config) (wire.PrincipalName, string, error) {
	name, realm, hasRealm := strings.Cut(target, "@")
	svc, host, ok := strings.Cut(name, "/")
	if !ok || svc == "" || host == "" || (hasRealm && realm == "") {
		return wire.PrincipalName{}, "", sspi.Errorf(sspi.SEC_E_TARGET_UNKNOWN, "kerberos: target %q is not an SPN (service/host[@REALM])", target)
	}
	if !hasRealm {
		// The host is the second component, without a port: for
		// MSSQLSvc/db.example.com:1433 or ldap/dc.example.com/example.com
		// alike.
		hostname, _, _ := strings.Cut(host, "/")
		hostname, _, _ = strings.Cut(hostname, ":")
		realm, _ = kc.HostRealm(strings.ToLower(hostname))
	}
	return wire.PrincipalName{NameType: wire.NTSrvHst, NameString: strings.Split(name, "/")}, realm, nil
}

func (p *provider) Established() bool { return p.state == stateEstablished }

func (p *provider) DeleteSecurityContext() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state, p.ml, p.keys, p.ini, p.delegated, p.pac, p.pending = stateDead, nil, engine.ContextKeys{}, nil, nil, nil, nil
	return nil
}

func (p *provider) Handshake(input, output []sspi.SecBuffer, contextReq uint32) (sspi.Status, uint32, error) {
	var status sspi.Status
	var attrs uint32
	var err error
	if p.server {
		status, attrs, err = p.accept(input, output, contextReq)
	} else {
		status, attrs, err = p.initiate(input, output, contextReq)
	}
	if err != nil {
		p.state = stateDead
		if i := sspi.IndexOfWritable(output, sspi.SECBUFFER_TOKEN); i >= 0 && output[i].Buffer != nil {
			output[i].Buffer = output[i].Buffer[:0]
			output[i].Size = 0
		}
		return sspi.StatusOf(err), attrs, err
	}
	return status, attrs, nil
}

// token returns the first input TOKEN, or nil.
func token(input []sspi.SecBuffer) []byte {
	if i := sspi.IndexOf(input, sspi.SECBUFFER_TOKEN); i >= 0 {
		return input[i].Buffer
	}
	return nil
}

// bindingsHash reads a SECBUFFER_CHANNEL_BINDINGS input (a
// SEC_CHANNEL_BINDINGS structure followed by its data) and returns the
// RFC 4121 section 4.1.1.2 hash, or nil when there is none:
//
//	SEC_CHANNEL_BINDINGS ::= dwInitiatorAddrType cbInitiatorLength dwInitiatorOffset
//	                         dwAcceptorAddrType cbAcceptorLength dwAcceptorOffset
//	                         cbApplicationDataLength dwApplicationDataOffset (uint32 LE each)
//
// The hash is MD5 over each address type and length (little-endian) with
// its bytes, then the application data length and bytes, as MIT computes it.
func bindingsHash(input []sspi.SecBuffer) ([]byte, error) {
	i := sspi.IndexOf(input, sspi.SECBUFFER_CHANNEL_BINDINGS)
	if i < 0 {
		return nil, nil
	}
	b := input[i].Buffer
	if len(b) < 32 {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: channel bindings of %d bytes are shorter than SEC_CHANNEL_BINDINGS", len(b))
	}
	u := func(off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
	field := func(length, offset uint32) ([]byte, error) {
		if uint64(offset)+uint64(length) > uint64(len(b)) {
			return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: channel bindings field (offset %d, length %d) outside its %d-byte buffer", offset, length, len(b))
		}
		return b[offset : offset+length], nil
	}
	h := md5.New()
	for _, f := range [][3]uint32{{u(0), u(4), u(8)}, {u(12), u(16), u(20)}} {
		data, err := field(f[1], f[2])
		if err != nil {
			return nil, err
		}
		h.Write(binary.LittleEndian.AppendUint32(nil, f[0]))
		h.Write(binary.LittleEndian.AppendUint32(nil, f[1]))
		h.Write(data)
	}
	app, err := field(u(24), u(28))
	if err != nil {
		return nil, err
	}
	h.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(app))))
	h.Write(app)
	return h.Sum(nil), nil
}

// gssFlags turns ISC_REQ_* flags into the GSS flags of the authenticator.
// Confidentiality and integrity are always offered, as Windows and MIT do:
// the per-message calls decide. DCE style implies mutual authentication
// (MS-KILE section 3.4.5.1; MIT sets GSS_C_MUTUAL_FLAG with it).
func gssFlags(req uint32) uint32 {
	f := engine.GSSConfFlag | engine.GSSIntegFlag
	if req&(sspi.ISC_REQ_MUTUAL_AUTH|sspi.ISC_REQ_USE_DCE_STYLE) != 0 {
		f |= engine.GSSMutualFlag
	}
	if req&sspi.ISC_REQ_USE_DCE_STYLE != 0 {
		f |= engine.GSSDCEStyleFlag
	}
	if req&sspi.ISC_REQ_REPLAY_DETECT != 0 {
		f |= engine.GSSReplayFlag
	}
	if req&sspi.ISC_REQ_SEQUENCE_DETECT != 0 {
		f |= engine.GSSSequenceFlag
	}
	return f
}

// The ISC_RET_* and ASC_RET_* bits Kerberos reports share their values
// (DELEGATE 0x1, MUTUAL_AUTH 0x2, REPLAY_DETECT 0x4, SEQUENCE_DETECT 0x8,
// CONFIDENTIALITY 0x10, ALLOCATED_MEMORY 0x100, USED_DCE_STYLE 0x200);
// only INTEGRITY differs.
// sharedAttrs sets them from the granted GSS flags.
func sharedAttrs(gss uint32, allocated bool) uint32 {
	var a uint32
	for _, m := range []struct{ gss, ret uint32 }{
		{engine.GSSMutualFlag, sspi.ISC_RET_MUTUAL_AUTH},
		{engine.GSSReplayFlag, sspi.ISC_RET_REPLAY_DETECT},
		{engine.GSSSequenceFlag, sspi.ISC_RET_SEQUENCE_DETECT},
		{engine.GSSConfFlag, sspi.ISC_RET_CONFIDENTIALITY},
		{engine.GSSDelegFlag, sspi.ISC_RET_DELEGATE},
		{engine.GSSDCEStyleFlag, sspi.ISC_RET_USED_DCE_STYLE},
	} {
		if gss&m.gss != 0 {
			a |= m.ret
		}
	}
	if allocated {
		a |= sspi.ISC_RET_ALLOCATED_MEMORY
	}
	return a
}

// iscAttrs are the ISC_RET_* flags Windows returns for granted GSS flags:
// Wine's tests against Windows show 0x1001e for MUTUAL, REPLAY, SEQUENCE
// and CONFIDENTIALITY requested: each granted one, plus INTEGRITY.
// Confidentiality is reported as requested, delegation as it happened.
func iscAttrs(req, gss uint32, delegated bool) uint32 {
	gss &^= engine.GSSConfFlag | engine.GSSDelegFlag
	if req&sspi.ISC_REQ_CONFIDENTIALITY != 0 {
		gss |= engine.GSSConfFlag
	}
	if delegated {
		gss |= engine.GSSDelegFlag
	}
	return sspi.ISC_RET_INTEGRITY | sharedAttrs(gss, req&sspi.ISC_REQ_ALLOCATE_MEMORY != 0)
}

// ascAttrs are the ASC_RET_* flags for what the initiator asked: Wine's
// tests against Windows show 0x2001e for the same request as above.
func ascAttrs(req, gss uint32) uint32 {
	return sspi.ASC_RET_INTEGRITY | sharedAttrs(gss, req&sspi.ASC_REQ_ALLOCATE_MEMORY != 0)
}

func (p *provider) initiate(input, output []sspi.SecBuffer, req uint32) (sspi.Status, uint32, error) {
	allocate := req&sspi.ISC_REQ_ALLOCATE_MEMORY != 0
	switch p.state {
	case stateStart:
		return p.initiateFirst(input, output, req, allocate)
	case stateWaitReply:
		tok := token(input)
		if tok == nil {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: the second InitializeSecurityContext call needs the AP-REP in a TOKEN buffer")
		}
		if err := p.ini.Receive(tok); err != nil {
			return 0, 0, err
		}
		// DCE style: SEC_E_OK with the third leg, an AP-REP of ours the
		// caller must still send (as DCE RPC's auth3 carries it).
		final := p.ini.FinalToken()
		if i := sspi.IndexOfWritable(output, sspi.SECBUFFER_TOKEN); i >= 0 {
			if err := sspi.PlaceOutput(&output[i], sspi.SECBUFFER_TOKEN, final, allocate); err != nil && final != nil {
				return 0, 0, err
			}
		} else if final != nil {
			return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: DCE style needs a SECBUFFER_TOKEN output buffer for the third leg")
		}
		if err := p.establish(); err != nil {
			return 0, 0, err
		}
		return sspi.SEC_E_OK, iscAttrs(req, p.keys.Flags, p.keys.Flags&engine.GSSDelegFlag != 0), nil
	}
	return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "kerberos: the context is already established or dead")
}

func (p *provider) initiateFirst(input, output []sspi.SecBuffer, req uint32, allocate bool) (sspi.Status, uint32, error) {
	cs := p.cred
	if !cs.outbound {
		return 0, 0, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: InitializeSecurityContext needs outbound credentials")
	}
	bindings, err := bindingsHash(input)
	if err != nil {
		return 0, 0, err
	}
	ctx := cs.cfg.Context
	tkt, err := cs.serviceTicket(ctx, p.service, p.srealm)
	if err != nil {
		return 0, 0, err
	}
	flags := gssFlags(req)
	var deleg *engine.DelegatedCredential
	// ISC_REQ_DELEGATE needs MUTUAL_AUTH (SSPI-PACKAGES.md); without it no
	// TGT leaves the client, and ISC_RET_DELEGATE says so.
	// The ticket's ok-as-delegate flag is not required: MIT's default
	// (and this package's) is to delegate when asked.
	if req&sspi.ISC_REQ_DELEGATE != 0 && req&sspi.ISC_REQ_MUTUAL_AUTH != 0 {
		fwd, err := cs.forwardedTGT(ctx)
		if err != nil {
			// As MIT's gss_init_sec_context: a TGT that cannot be
			// forwarded means no delegation (ISC_RET_DELEGATE stays
			// clear), not a failed context.
			fwd = nil
		}
		cs.mu.Lock()
		crealm := cs.crealm
		cs.mu.Unlock()
		deleg = delegation(fwd, crealm)
	}
	// getTGT may have canonicalised the client's realm and measured the
	// KDC's clock: read both under the lock other contexts take.
	cs.mu.Lock()
	offset, client, crealm := cs.kdcOffset, tkt.clientName, cs.crealm
	cs.mu.Unlock()
	ini, tok, err := engine.NewInitiator(engine.InitiatorConfig{
		Client: client, CRealm: crealm, Ticket: tkt.ticket, SessionKey: tkt.key,
		Flags: flags, BindingsHash: bindings, Delegate: deleg, KDCOffset: offset,
		AllowWeak: cs.allowWeak(), Now: cs.now,
	})
	if err != nil {
		return 0, 0, err
	}
	i := sspi.IndexOfWritable(output, sspi.SECBUFFER_TOKEN)
	if i < 0 {
		return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: InitializeSecurityContext needs a SECBUFFER_TOKEN output buffer")
	}
	if err := sspi.PlaceOutput(&output[i], sspi.SECBUFFER_TOKEN, tok, allocate); err != nil {
		return 0, 0, err
	}
	p.ini, p.tkt = ini, tkt
	p.clientName = principalString(client, crealm)
	// The ticket names the service as its realm's KDC knows it: the
	// realm a referral led to, the name canonicalisation gave.
	p.serverName = principalString(tkt.ticket.SName, tkt.ticket.Realm)
	p.start, p.end = tkt.startTime, tkt.endTime
	if p.start.IsZero() {
		p.start = tkt.authTime
	}
	attrs := iscAttrs(req, flags, deleg != nil)
	if ini.Complete() {
		if err := p.establish(); err != nil {
			return 0, 0, err
		}
		return sspi.SEC_E_OK, attrs, nil
	}
	p.state = stateWaitReply
	return sspi.SEC_I_CONTINUE_NEEDED, attrs, nil
}

// establish starts the message layer once the initiator has its keys.
func (p *provider) establish() error {
	keys, ok := p.ini.Keys()
	if !ok {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: the AP exchange finished without keys")
	}
	return p.startMessages(keys, false)
}

func (p *provider) startMessages(keys engine.ContextKeys, acceptor bool) error {
	ml, err := engine.NewMessageLayer(keys, acceptor)
	if err != nil {
		return err
	}
	p.keys, p.ml, p.state = keys, ml, stateEstablished
	return nil
}

func (p *provider) accept(input, output []sspi.SecBuffer, req uint32) (sspi.Status, uint32, error) {
	cs := p.cred
	if p.state == stateWaitReply && p.pending != nil {
		return p.acceptDCEReply(input, output, req)
	}
	if p.state != stateStart {
		return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_HANDLE, "kerberos: the context is already established or dead")
	}
	if !cs.inbound {
		return 0, 0, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: AcceptSecurityContext needs inbound credentials")
	}
	tok := token(input)
	if len(tok) == 0 {
		return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: AcceptSecurityContext needs the AP-REQ in a TOKEN buffer")
	}
	bindings, err := bindingsHash(input)
	if err != nil {
		return 0, 0, err
	}
	acc, err := engine.Accept(engine.AcceptorConfig{
		Keys: cs.keyLookup, BindingsHash: bindings, ClockSkew: cs.skew, Replay: cs.replay,
		AllowWeak: cs.allowWeak(), Now: cs.now,
	}, tok)
	if err != nil {
		return 0, 0, err
	}
	allocate := req&sspi.ASC_REQ_ALLOCATE_MEMORY != 0
	if i := sspi.IndexOfWritable(output, sspi.SECBUFFER_TOKEN); i >= 0 {
		if err := sspi.PlaceOutput(&output[i], sspi.SECBUFFER_TOKEN, acc.Reply, allocate); err != nil {
			return 0, 0, err
		}
	} else if acc.Reply != nil {
		return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: mutual authentication needs a SECBUFFER_TOKEN output buffer for the AP-REP")
	}
	p.clientName = principalString(acc.Client, acc.CRealm)
	p.serverName = ticketServer(tok)
	p.start, p.end = acc.Ticket.StartTime, acc.Ticket.EndTime
	if p.start.IsZero() {
		p.start = acc.Ticket.AuthTime
	}
	p.delegated = acc.Delegated
	p.pac = acc.PAC
	if acc.DCE {
		// MS-KILE section 3.4.5.1: the AP-REP goes out with
		// SEC_I_CONTINUE_NEEDED, and the context is established only by
		// the initiator's AP-REP (MIT does not set PROT_READY before it).
		p.pending, p.state = acc, stateWaitReply
		return sspi.SEC_I_CONTINUE_NEEDED, ascAttrs(req, acc.Keys.Flags), nil
	}
	if err := p.startMessages(acc.Keys, true); err != nil {
		return 0, 0, err
	}
	return sspi.SEC_E_OK, ascAttrs(req, acc.Keys.Flags), nil
}

// acceptDCEReply is the acceptor's second call in DCE style: the
// initiator's AP-REP, checked by engine.VerifyDCEReply; SEC_E_OK and no
// output token.
func (p *provider) acceptDCEReply(input, output []sspi.SecBuffer, req uint32) (sspi.Status, uint32, error) {
	tok := token(input)
	if len(tok) == 0 {
		return 0, 0, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: the second AcceptSecurityContext call of a DCE-style exchange needs the initiator's AP-REP in a TOKEN buffer")
	}
	acc := p.pending
	if err := engine.VerifyDCEReply(acc.Keys, tok); err != nil {
		return 0, 0, err
	}
	if err := p.startMessages(acc.Keys, true); err != nil {
		return 0, 0, err
	}
	p.pending = nil
	if i := sspi.IndexOfWritable(output, sspi.SECBUFFER_TOKEN); i >= 0 {
		_ = sspi.PlaceOutput(&output[i], sspi.SECBUFFER_TOKEN, nil, req&sspi.ASC_REQ_ALLOCATE_MEMORY != 0)
	}
	return sspi.SEC_E_OK, ascAttrs(req, acc.Keys.Flags), nil
}

func principalString(p wire.PrincipalName, realm string) string {
	return strings.Join(p.NameString, "/") + "@" + realm
}

// ticketServer names the service an accepted AP-REQ token's ticket was
// for (the token has already been verified); a DCE-style token is the
// bare AP-REQ.
func ticketServer(tok []byte) string {
	var g wire.GSSToken
	var req wire.APReq
	if req.Unmarshal(tok) != nil && (g.Unmarshal(tok) != nil || req.Unmarshal(g.Message) != nil) {
		return ""
	}
	return principalString(req.Ticket.SName, req.Ticket.Realm)
}

// delegation is the KRB-CRED content for a forwarded TGT (RFC 4121 section
// 4.1.1.1), or nil without one.
func delegation(fwd *ticket, crealm string) *engine.DelegatedCredential {
	if fwd == nil {
		return nil
	}
	realm, client, flags, server := fwd.serverRlm, fwd.clientName, fwd.flags, fwd.server
	return &engine.DelegatedCredential{Ticket: fwd.ticket, TicketBytes: fwd.ticketDER, Info: wire.KrbCredInfo{
		Key: fwd.key, PRealm: &crealm, PName: &client, Flags: &flags,
		AuthTime: fwd.authTime, StartTime: fwd.startTime, EndTime: fwd.endTime, RenewTill: fwd.renewTill,
		SRealm: &realm, SName: &server,
	}}
}
