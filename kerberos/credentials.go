package kerberos

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/engine"
	"github.com/gosspi/schannel/internal/kerberos/files"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// Caps on what one credential handle keeps: a long-running client that
// talks to many services must not grow without bound.
const (
	maxCachedTickets = 256
	replayCacheSize  = 1 << 16
	// ticketMargin is how long before its end a cached ticket is no longer
	// offered, so that it does not expire on the way to the service.
	ticketMargin = 30 * time.Second
)

// ticket is a ticket and what its owner needs to use it.
type ticket struct {
	ticket     wire.Ticket
	key        wire.EncryptionKey
	flags      uint32
	authTime   time.Time
	startTime  time.Time
	endTime    time.Time
	renewTill  time.Time
	server     wire.PrincipalName
	serverRlm  string
	ticketDER  []byte
	clientName wire.PrincipalName
}

// credState is what a Kerberos credential handle holds. It is shared by
// every context made from the handle, hence the mutex.
type credState struct {
	cfg       Config
	krb5      *files.Config
	transport *transport
	now       func() time.Time

	// Outbound.
	outbound bool
	client   wire.PrincipalName
	crealm   string
	password string
	hasPass  bool
	// clientKeys, when set, are the client's long-term keys (a client
	// keytab) used instead of a password.
	clientKeys engine.ClientKeys

	// ccPath is the credential cache the credentials came from, where new
	// service tickets are stored as MIT stores them.
	ccPath string

	mu        sync.Mutex
	tgt       *ticket
	services  map[string]*ticket
	kdcOffset time.Duration

	// Inbound.
	inbound  bool
	keytab   *files.Keytab
	acceptAs *files.Principal
	replay   *engine.ReplayCache
	skew     time.Duration
}

// acquire builds the credential state for a use, reading what it can now
// so that a missing cache or keytab fails at AcquireCredentialsHandle, as on
// Windows, rather than at the first context.
func acquire(principal string, use sspi.CredentialUse, cfg *Config) (*credState, error) {
	kc, err := loadConfig(cfg)
	if err != nil {
		return nil, err
	}
	cs := &credState{cfg: *cfg, krb5: kc, now: cfg.Now, services: make(map[string]*ticket)}
	if cs.now == nil {
		cs.now = time.Now
	}
	cs.transport = &transport{krb5: kc, timeout: cfg.KDCTimeout}
	if use&sspi.SECPKG_CRED_OUTBOUND != 0 {
		if err := cs.acquireOutbound(principal); err != nil {
			return nil, err
		}
	}
	if use&sspi.SECPKG_CRED_INBOUND != 0 {
		if err := cs.acquireInbound(principal); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

func (cs *credState) acquireOutbound(principal string) error {
	cs.outbound = true
	if id := cs.cfg.Identity; id != nil {
		name := id.User
		if name == "" {
			name = principal
		}
		if id.Domain != "" && strings.Contains(name, "@") {
			// A UPN with a domain, as Windows takes it: an enterprise
			// name (RFC 6806 section 5) that the domain's KDC resolves
			// to the account's canonical name.
			cs.client = wire.PrincipalName{NameType: wire.NTEnterprise, NameString: []string{name}}
			cs.crealm = strings.ToUpper(id.Domain)
			cs.password, cs.hasPass = id.Password, true
			return nil
		}
		if id.Domain != "" {
			name += "@" + strings.ToUpper(id.Domain)
		}
		p, err := files.ParsePrincipal(name, cs.krb5.DefaultRealm)
		if err != nil || p.Realm == "" || len(p.Components) == 0 {
			return sspi.Errorf(sspi.SEC_E_UNKNOWN_CREDENTIALS, "kerberos: user %q is not a principal name with a realm (set Domain or default_realm)", name)
		}
		cs.client = wire.PrincipalName{NameType: wire.NTPrincipal, NameString: p.Components}
		cs.crealm = p.Realm
		cs.password, cs.hasPass = id.Password, true
		return nil
	}
	if cs.cfg.ClientKeytab != "" {
		return cs.acquireClientKeytab(principal)
	}
	name := cs.cfg.CCache
	if name == "" {
		name = files.CCacheName(cs.krb5)
	}
	path, err := files.ResolveFile(name)
	if err != nil {
		return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: credential cache %q: %w", name, err)
	}
	cc, err := files.ReadCCache(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: no credential cache at %s (run kinit)", path)
		}
		return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: credential cache %s: %w", path, err)
	}
	if principal != "" {
		want, err := files.ParsePrincipal(principal, cc.Principal.Realm)
		if err != nil || !want.Equal(cc.Principal) {
			return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: the credential cache %s belongs to %s, not %s", path, cc.Principal, principal)
		}
	}
	cs.client = wire.PrincipalName{NameType: cc.Principal.NameType, NameString: cc.Principal.Components}
	cs.crealm = cc.Principal.Realm
	cs.ccPath = path
	cs.kdcOffset = cc.KDCOffset
	now := cs.now()
	for i := range cc.Credentials {
		c := &cc.Credentials[i]
		if c.IsConfig() || c.IsSKey || !c.Client.Equal(cc.Principal) || !now.Add(ticketMargin).Before(c.EndTime) {
			continue
		}
		var tk wire.Ticket
		if err := tk.Unmarshal(c.Ticket); err != nil {
			continue // a ticket we cannot read is one we cannot use
		}
		t := &ticket{
			ticket: tk, ticketDER: c.Ticket, key: wire.EncryptionKey{KeyType: c.KeyType, KeyValue: c.Key},
			flags: c.Flags, authTime: c.AuthTime, startTime: c.StartTime, endTime: c.EndTime, renewTill: c.RenewTill,
			server:    wire.PrincipalName{NameType: c.Server.NameType, NameString: c.Server.Components},
			serverRlm: c.Server.Realm, clientName: cs.client,
		}
		if isTGT(t.server, t.serverRlm, cs.crealm) {
			cs.tgt = t
		} else if len(cs.services) < maxCachedTickets {
			cs.services[serviceKey(t.server, t.serverRlm)] = t
		}
	}
	if cs.tgt == nil && len(cs.services) == 0 {
		return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: the credential cache %s holds no ticket that is still valid (run kinit)", path)
	}
	return nil
}

func (cs *credState) acquireInbound(principal string) error {
	cs.inbound = true
	name := cs.cfg.Keytab
	if name == "" {
		name = files.KeytabName(cs.krb5)
	}
	path, err := files.ResolveFile(name)
	if err != nil {
		return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: keytab %q: %w", name, err)
	}
	kt, err := files.ReadKeytab(path)
	if err != nil {
		return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: keytab %s: %w", path, err)
	}
	if len(kt.Entries) == 0 {
		return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: keytab %s is empty", path)
	}
	cs.keytab = kt
	if principal != "" {
		p, err := files.ParsePrincipal(principal, cs.krb5.DefaultRealm)
		if err != nil {
			return sspi.Errorf(sspi.SEC_E_UNKNOWN_CREDENTIALS, "kerberos: principal %q: %w", principal, err)
		}
		if len(kt.Find(p)) == 0 {
			return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: keytab %s has no key for %s", path, p)
		}
		cs.acceptAs = &p
	}
	cs.skew = cs.cfg.ClockSkew
	if cs.skew == 0 {
		cs.skew = cs.krb5.ClockSkew
	}
	if cs.skew == 0 {
		cs.skew = files.DefaultClockSkew
	}
	cs.replay = engine.NewReplayCache(replayCacheSize, 2*cs.skew)
	return nil
}

// keyLookup finds a ticket's key in the keytab, for any principal in it or
// only the one the credentials were acquired for.
func (cs *credState) keyLookup(svc wire.PrincipalName, realm string, enctype int32, kvno uint32) ([]byte, bool) {
	p := files.Principal{NameType: svc.NameType, Realm: realm, Components: svc.NameString}
	if cs.acceptAs != nil && !cs.acceptAs.Equal(p) {
		return nil, false
	}
	e, ok := cs.keytab.Key(p, enctype, kvno)
	return e.Key, ok
}

func isTGT(server wire.PrincipalName, serverRealm, crealm string) bool {
	return len(server.NameString) == 2 && server.NameString[0] == "krbtgt" && server.NameString[1] == crealm && serverRealm == crealm
}

func serviceKey(p wire.PrincipalName, realm string) string {
	return strings.Join(p.NameString, "/") + "@" + realm
}

func (cs *credState) allowWeak() bool { return cs.krb5.AllowRC4 }

// getTGT returns a TGT that is still valid, asking the KDC with the
// password when there is none. The caller holds cs.mu.
func (cs *credState) getTGT(ctx context.Context) (*ticket, error) {
	if cs.tgt != nil && cs.now().Add(ticketMargin).Before(cs.tgt.endTime) {
		return cs.tgt, nil
	}
	if !cs.hasPass && cs.clientKeys == nil {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: no valid TGT for %s@%s (run kinit)", strings.Join(cs.client.NameString, "/"), cs.crealm)
	}
	// A password logon asks for a forwardable TGT, as Windows does, so that
	// ISC_REQ_DELEGATE can work, and lets the KDC canonicalise the
	// client's name (RFC 6806), as Windows does: the TGT's client is then
	// the name the KDC knows, which later requests and the cache use.
	opts := wire.KDCOptForwardable | wire.KDCOptCanonicalize
	x, err := engine.NewAS(engine.ASConfig{
		Client: cs.client, Realm: cs.crealm, Password: cs.password,
		Enctypes: cs.krb5.DefaultTktEnctypes, AllowWeak: cs.allowWeak(),
		Lifetime: cs.krb5.TicketLifetime, KDCOptions: opts, Now: cs.now,
	})
	if err != nil {
		return nil, err
	}
	receive := x.Receive
	if cs.clientKeys != nil {
		receive = func(b []byte) (engine.ASStep, error) { return x.ReceiveWithKeys(b, cs.clientKeys) }
	}
	res, err := run(ctx, cs.transport, x.Start, receive)
	if err != nil {
		return nil, err
	}
	cs.kdcOffset = res.KDCOffset
	cs.client, cs.crealm = res.CName, res.CRealm
	cs.tgt = &ticket{
		ticket: res.Ticket, ticketDER: res.TicketBytes, key: res.Part.Key, flags: res.Part.Flags,
		authTime: res.Part.AuthTime, startTime: res.Part.StartTime, endTime: res.Part.EndTime, renewTill: res.Part.RenewTill,
		server: res.Part.SName, serverRlm: res.Part.SRealm, clientName: res.CName,
	}
	return cs.tgt, nil
}

// serviceExchangeSteps bounds the round trips of one service-ticket
// exchange: each TGS request, of at most DefaultMaxReferrals referrals and
// a fallback, may be sent twice (UDP, then TCP after RESPONSE_TOO_BIG).
const serviceExchangeSteps = 2 * (engine.DefaultMaxReferrals + 4)

// serviceTicket returns a ticket for service@realm, realm "" meaning that
// the client realm's KDC is to say where the service is (a referral):
// from the cache, or from the KDCs with the TGT, crossing realms as the
// KDCs direct. The cross-realm TGTs obtained on the way are kept for the
// next service in the same realm.
func (cs *credState) serviceTicket(ctx context.Context, service wire.PrincipalName, realm string) (*ticket, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	key := serviceKey(service, realm)
	keys := []string{key}
	if realm == "" {
		// As MIT's cache lookup for a referral-realm name: the name as
		// asked, then in the client's realm.
		keys = append(keys, serviceKey(service, cs.crealm))
	}
	for _, k := range keys {
		if t, ok := cs.services[k]; ok && cs.now().Add(ticketMargin).Before(t.endTime) {
			return t, nil
		}
	}
	tgt, err := cs.getTGT(ctx)
	if err != nil {
		return nil, err
	}
	fallback := ""
	if realm == "" && len(service.NameString) >= 2 {
		host, _, _ := strings.Cut(service.NameString[1], ":")
		fallback = cs.krb5.FallbackRealm(host)
	}
	x, err := engine.NewServiceExchange(engine.ServiceConfig{
		TGSConfig: engine.TGSConfig{
			Client: tgt.clientName, CRealm: cs.crealm, TGT: tgt.ticket, TGTKey: tgt.key, Service: service,
			Enctypes: cs.krb5.DefaultTGSEnctypes, AllowWeak: cs.allowWeak(), KDCOffset: cs.kdcOffset, Now: cs.now,
		},
		Realm: realm, FallbackRealm: fallback, TGTFor: cs.crossRealmTGT,
	})
	if err != nil {
		return nil, err
	}
	res, err := runSteps(ctx, cs.transport, serviceExchangeSteps, x.Start, x.Receive)
	if err != nil {
		return nil, err
	}
	for i := range res.TGTs {
		t := ticketOf(&res.TGTs[i], tgt.clientName)
		cs.remember(serviceKey(t.server, t.serverRlm), t)
		cs.storeInCache(t)
	}
	t := ticketOf(&res.TGSResult, tgt.clientName)
	// Stored under the name asked for, the realm empty after a referral,
	// as MIT's krb5_get_credentials stores it ("host/h@" in klist, with
	// the ticket's own server beside it), so that MIT finds it too.
	t.server, t.serverRlm = service, realm
	cs.remember(key, t)
	cs.storeInCache(t)
	return t, nil
}

// ticketOf is a TGS exchange's ticket for client.
func ticketOf(res *engine.TGSResult, client wire.PrincipalName) *ticket {
	return &ticket{
		ticket: res.Ticket, ticketDER: res.TicketBytes, key: res.Part.Key, flags: res.Part.Flags,
		authTime: res.Part.AuthTime, startTime: res.Part.StartTime, endTime: res.Part.EndTime, renewTill: res.Part.RenewTill,
		server: res.Part.SName, serverRlm: res.Part.SRealm, clientName: client,
	}
}

// remember keeps a ticket under key, evicting one when the cache is
// full. The caller holds cs.mu.
func (cs *credState) remember(key string, t *ticket) {
	if _, ok := cs.services[key]; !ok && len(cs.services) >= maxCachedTickets {
		for k := range cs.services { // evict one; any will do
			delete(cs.services, k)
			break
		}
	}
	cs.services[key] = t
}

// crossRealmTGT finds a kept TGT for realm, from any issuing realm, as
// MIT's get_cached_tgt matches the server name only. The caller holds
// cs.mu.
func (cs *credState) crossRealmTGT(realm string) (wire.Ticket, wire.EncryptionKey, bool) {
	now := cs.now().Add(ticketMargin)
	for _, t := range cs.services {
		if len(t.server.NameString) == 2 && t.server.NameString[0] == "krbtgt" && t.server.NameString[1] == realm &&
			engine.TGTRealm(t.ticket) == realm && now.Before(t.endTime) {
			return t.ticket, t.key, true
		}
	}
	return wire.Ticket{}, wire.EncryptionKey{}, false
}

// storeInCache adds a new service ticket to the credential cache the
// credentials came from, as MIT's gss_init_sec_context does, so that klist
// lists it and the next process finds it without asking the KDC. It is
// best effort: the context does not depend on it. The cache is read again
// first, so that tickets another program stored meanwhile are kept, and
// replaced atomically. The caller holds cs.mu.
func (cs *credState) storeInCache(t *ticket) {
	if cs.ccPath == "" || t.ticketDER == nil {
		return
	}
	cc, err := files.ReadCCache(cs.ccPath)
	if err != nil {
		return
	}
	client := files.Principal{NameType: cs.client.NameType, Realm: cs.crealm, Components: cs.client.NameString}
	if !cc.Principal.Equal(client) || len(cc.Credentials) >= maxCachedTickets {
		return // the cache was replaced (kinit as someone else), or is full
	}
	cc.Credentials = append(cc.Credentials, credentialOf(cc.Principal, t))
	_ = files.WriteCCache(cs.ccPath, cc)
}

// forwardedTGT asks for a forwarded TGT to delegate (RFC 4120 section
// 2.6). The caller must not hold cs.mu.
func (cs *credState) forwardedTGT(ctx context.Context) (*ticket, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	tgt, err := cs.getTGT(ctx)
	if err != nil {
		return nil, err
	}
	if tgt.flags&wire.TktFlagForwardable == 0 {
		return nil, sspi.Errorf(sspi.SEC_E_DELEGATION_REQUIRED, "kerberos: the TGT is not forwardable (kinit -f), so it cannot be delegated")
	}
	return cs.tgs(ctx, tgt, wire.PrincipalName{NameType: wire.NTSrvInst, NameString: []string{"krbtgt", tgt.serverRlm}},
		wire.KDCOptForwarded|wire.KDCOptForwardable)
}

func (cs *credState) tgs(ctx context.Context, tgt *ticket, service wire.PrincipalName, opts uint32) (*ticket, error) {
	x, err := engine.NewTGS(engine.TGSConfig{
		Client: tgt.clientName, CRealm: cs.crealm, TGT: tgt.ticket, TGTKey: tgt.key, Service: service,
		Enctypes: cs.krb5.DefaultTGSEnctypes, AllowWeak: cs.allowWeak(), KDCOptions: opts,
		KDCOffset: cs.kdcOffset, Now: cs.now,
	})
	if err != nil {
		return nil, err
	}
	res, err := run(ctx, cs.transport, x.Start, x.Receive)
	if err != nil {
		return nil, err
	}
	return ticketOf(res, tgt.clientName), nil
}

// delegatedAuth is the auth data DelegatedCredentials passes: a TGT an
// initiator forwarded, with the acceptor's configuration to reach the KDC.
type delegatedAuth struct {
	from *credState
	cred engine.DelegatedCredential
}

func (d delegatedAuth) acquire(use sspi.CredentialUse) (*credState, error) {
	if use != sspi.SECPKG_CRED_OUTBOUND {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: delegated credentials are outbound only")
	}
	info := d.cred.Info
	if info.PName == nil || info.PRealm == nil {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: the delegated ticket does not name its client")
	}
	cs := &credState{cfg: d.from.cfg, krb5: d.from.krb5, transport: d.from.transport, now: d.from.now,
		outbound: true, client: *info.PName, crealm: *info.PRealm, services: make(map[string]*ticket)}
	cs.cfg.Identity = nil
	t := &ticket{ticket: d.cred.Ticket, ticketDER: d.cred.TicketBytes, key: info.Key,
		authTime: info.AuthTime, startTime: info.StartTime, endTime: info.EndTime, renewTill: info.RenewTill,
		serverRlm: d.cred.Ticket.Realm, server: d.cred.Ticket.SName, clientName: *info.PName}
	if info.Flags != nil {
		t.flags = *info.Flags
	}
	if !isTGT(t.server, t.serverRlm, cs.crealm) {
		// A delegated service ticket is usable for that service only.
		cs.services[serviceKey(t.server, t.serverRlm)] = t
	} else {
		cs.tgt = t
	}
	return cs, nil
}

// acquireClientKeytab takes the client's keys from a keytab, for the
// principal asked for or the keytab's first one.
func (cs *credState) acquireClientKeytab(principal string) error {
	path, err := files.ResolveFile(cs.cfg.ClientKeytab)
	if err != nil {
		return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: client keytab %q: %w", cs.cfg.ClientKeytab, err)
	}
	kt, err := files.ReadKeytab(path)
	if err != nil {
		return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: client keytab %s: %w", path, err)
	}
	if len(kt.Entries) == 0 {
		return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: client keytab %s is empty", path)
	}
	p := kt.Entries[0].Principal
	if principal != "" {
		if p, err = files.ParsePrincipal(principal, cs.krb5.DefaultRealm); err != nil {
			return sspi.Errorf(sspi.SEC_E_UNKNOWN_CREDENTIALS, "kerberos: principal %q: %w", principal, err)
		}
	}
	if len(kt.Find(p)) == 0 {
		return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: client keytab %s has no key for %s", path, p)
	}
	cs.client = wire.PrincipalName{NameType: wire.NTPrincipal, NameString: p.Components}
	cs.crealm = p.Realm
	cs.clientKeys = func(enctype int32) ([]byte, bool) {
		e, ok := kt.Key(p, enctype, 0)
		return e.Key, ok
	}
	return nil
}
