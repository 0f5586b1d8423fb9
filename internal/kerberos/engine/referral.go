package engine

import (
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// DefaultMaxReferrals bounds the cross-realm TGTs one service ticket may
// take, as MIT's KRB5_REFERRAL_MAXHOPS does (10).
const DefaultMaxReferrals = 10

// ServiceConfig describes a service-ticket request that may cross realms.
type ServiceConfig struct {
	// TGSConfig holds the client, its TGT for its own realm, the service
	// and the request options. Its FollowReferrals is ignored: the
	// exchange sets it per request.
	TGSConfig
	// Realm is the service's realm when the caller knows it (an SPN with
	// @REALM, or a [domain_realm] match). Empty means unknown: the client
	// realm's KDC is asked with the canonicalize option and its referrals
	// are followed (RFC 6806 section 8), as MIT does for a host with no
	// [domain_realm] entry.
	Realm string
	// FallbackRealm is tried when Realm is empty and the first referral
	// request fails (MIT's krb5_get_fallback_host_realm: the host's
	// domain in upper case, else the default realm).
	FallbackRealm string
	// MaxReferrals bounds the TGTs the exchange follows; zero means
	// DefaultMaxReferrals.
	MaxReferrals int
	// TGTFor returns a TGT for realm that an earlier exchange obtained
	// and is still valid, or false; nil means none is cached.
	TGTFor func(realm string) (wire.Ticket, wire.EncryptionKey, bool)
}

// ServiceResult is a service ticket and the TGTs obtained on the way.
type ServiceResult struct {
	TGSResult
	// Realm is the realm the service was found in.
	Realm string
	// TGTs are the cross-realm TGTs this exchange obtained, in order, for
	// the caller to cache.
	TGTs []TGSResult
	// Referrals counts the cross-realm TGTs followed.
	Referrals int
}

// ServiceStep is a step of a ServiceExchange.
type ServiceStep = Step[ServiceResult]

type serviceState int

const (
	svcStart serviceState = iota
	// svcGetTGT: asking for krbtgt/target, possibly through other realms.
	svcGetTGT
	// svcReferral: asking for the service with canonicalize, following
	// referrals.
	svcReferral
	// svcNonReferral: asking for the service in a known realm, no
	// canonicalize, no referrals (MIT's fallback).
	svcNonReferral
	svcDone
)

// ServiceExchange gets a service ticket, crossing realms when the service
// is in another realm than the client. It follows MIT's order
// (krb5_tkt_creds_step): with the service's realm known, first a TGT for
// that realm (krbtgt/B@A from A's KDC, or through the realms A's KDC sends
// us to), then the service ticket from B's KDC; with the realm unknown,
// the client realm's KDC is asked with the canonicalize option and each
// referral TGT it returns is followed. capaths are not read: a
// cross-realm path is whatever the KDCs give.
//
// When the first request for the service fails, the fallback is MIT's:
// the same request without canonicalize (for KDCs that refuse the option)
// when the realm was known, else the FallbackRealm. A TGT for the asked
// KDC's own realm is no referral either: it makes one request without
// canonicalize, as MIT does for Active Directory.
//
// Hostile or broken KDCs are refused with a status: more than MaxReferrals
// hops is SEC_E_MAX_REFERRALS_EXCEEDED, a referral to a realm already
// visited (a loop) SEC_E_KDC_UNABLE_TO_REFER, a ticket of another realm
// than the issuing KDC's, or for another service without canonicalize,
// SEC_E_WRONG_PRINCIPAL. It is not safe for concurrent use.
type ServiceExchange struct {
	cfg   ServiceConfig
	state serviceState
	cur   *TGSExchange
	// tgt and tgtKey are the TGT the next request uses.
	tgt    wire.Ticket
	tgtKey wire.EncryptionKey
	// target is the realm a TGT is being fetched for, and after what to
	// do once it is there.
	target string
	after  serviceState
	seen   map[string]bool
	hops   int
	// firstHop is hops when the referral requests began: a failure of
	// the first of them (and only that one) starts the fallback.
	firstHop int
	// fellBack is set once the non-referral fallback has begun, and
	// cause is the first referral request's failure that began it.
	fellBack bool
	cause    error
	tgts     []TGSResult
}

// NewServiceExchange checks the configuration.
func NewServiceExchange(cfg ServiceConfig) (*ServiceExchange, error) {
	if cfg.MaxReferrals <= 0 {
		cfg.MaxReferrals = DefaultMaxReferrals
	}
	if len(cfg.Service.NameString) == 0 {
		return nil, sspi.Errorf(sspi.SEC_E_TARGET_UNKNOWN, "kerberos: service-ticket request without a service name")
	}
	if TGTRealm(cfg.TGT) == "" {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: service-ticket request without a TGT")
	}
	// Checked here so that a bad key fails now, not at the first request.
	if _, err := NewTGS(cfg.TGSConfig); err != nil {
		return nil, err
	}
	return &ServiceExchange{cfg: cfg, tgt: cfg.TGT, tgtKey: cfg.TGTKey, seen: map[string]bool{}}, nil
}

// Start builds the first request.
func (x *ServiceExchange) Start() (ServiceStep, error) {
	if x.state != svcStart {
		return ServiceStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: service-ticket exchange already started")
	}
	home := TGTRealm(x.tgt)
	x.seen[home] = true
	if x.cfg.Realm == "" || x.cfg.Realm == home {
		return x.beginReferrals()
	}
	return x.beginGetTGT(x.cfg.Realm, svcReferral)
}

// beginGetTGT asks for a TGT for target from the KDC of the current TGT,
// unless an earlier exchange left one.
func (x *ServiceExchange) beginGetTGT(target string, after serviceState) (ServiceStep, error) {
	x.target, x.after = target, after
	if x.cfg.TGTFor != nil {
		if t, k, ok := x.cfg.TGTFor(target); ok && TGTRealm(t) == target {
			x.tgt, x.tgtKey = t, k
			x.seen[target] = true
			return x.begin(after)
		}
	}
	x.state = svcGetTGT
	return x.request(wire.PrincipalName{NameType: wire.NTSrvInst, NameString: []string{"krbtgt", target}}, x.cfg.KDCOptions&^wire.KDCOptCanonicalize, true)
}

func (x *ServiceExchange) begin(s serviceState) (ServiceStep, error) {
	if s == svcReferral {
		return x.beginReferrals()
	}
	return x.beginNonReferral()
}

// beginReferrals asks the current TGT's KDC for the service, with the
// canonicalize option that lets it answer with a referral (RFC 6806
// section 8).
func (x *ServiceExchange) beginReferrals() (ServiceStep, error) {
	x.state, x.firstHop = svcReferral, x.hops
	return x.request(x.cfg.Service, x.cfg.KDCOptions|wire.KDCOptCanonicalize, true)
}

// beginNonReferral asks for the service in the current TGT's realm with
// no canonicalize option: for a KDC that refuses the option, or for the
// fallback realm.
func (x *ServiceExchange) beginNonReferral() (ServiceStep, error) {
	x.state = svcNonReferral
	return x.request(x.cfg.Service, x.cfg.KDCOptions&^wire.KDCOptCanonicalize, false)
}

func (x *ServiceExchange) request(name wire.PrincipalName, opts uint32, follow bool) (ServiceStep, error) {
	c := x.cfg.TGSConfig
	c.TGT, c.TGTKey, c.Service, c.KDCOptions, c.FollowReferrals = x.tgt, x.tgtKey, name, opts, follow
	t, err := NewTGS(c)
	if err != nil {
		return ServiceStep{}, err
	}
	x.cur = t
	step, err := t.Start()
	if err != nil {
		return ServiceStep{}, err
	}
	return ServiceStep{Send: step.Send}, nil
}

// Receive consumes the reply to the last request.
func (x *ServiceExchange) Receive(reply []byte) (ServiceStep, error) {
	if x.cur == nil || x.state == svcDone || x.state == svcStart {
		return ServiceStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: service-ticket exchange is not waiting for a reply")
	}
	kdcError := len(reply) > 0 && reply[0] == 0x7e
	step, err := x.cur.Receive(reply)
	if err != nil {
		if kdcError && x.state == svcReferral && x.hops == x.firstHop && !x.fellBack {
			return x.fallback(err)
		}
		if kdcError && x.state == svcGetTGT && x.cause != nil {
			// The client realm did not know the service and has no
			// path to the fallback realm: what the caller needs to hear
			// is the first answer (unknown service, mostly).
			return ServiceStep{}, sspi.Errorf(sspi.StatusOf(x.cause), "%v (and the KDC of %s has no way to the fallback realm %s: %v)", x.cause, TGTRealm(x.tgt), x.target, err)
		}
		if kdcError && x.state == svcGetTGT && sspi.StatusOf(err) == sspi.SEC_E_TARGET_UNKNOWN {
			// KDC_ERR_S_PRINCIPAL_UNKNOWN for krbtgt/TARGET: this realm
			// has no path to TARGET.
			return ServiceStep{}, sspi.Errorf(SEC_E_KDC_UNABLE_TO_REFER, "kerberos: the KDC of %s knows no way to realm %s: %w", TGTRealm(x.tgt), x.target, err)
		}
		return ServiceStep{}, err
	}
	if step.Send != nil { // the same request again, over TCP
		return ServiceStep{Send: step.Send}, nil
	}
	res := step.Result
	switch x.state {
	case svcGetTGT:
		return x.onTGT(res)
	case svcReferral:
		if sameComponents(res.Part.SName, x.cfg.Service) {
			return x.done(res)
		}
		ref, isTGT := tgsRealm(res.Part.SName)
		if !isTGT {
			// A canonical name for the service (RFC 6806 section 3).
			return x.done(res)
		}
		if ref == TGTRealm(x.tgt) && !x.fellBack {
			// A TGT for the KDC's own realm is no referral: Active
			// Directory answers so for some names, and MIT then asks
			// again without canonicalize; so do we, once.
			x.fellBack = true
			return x.beginNonReferral()
		}
		if err := x.hop(ref); err != nil {
			return ServiceStep{}, err
		}
		x.tgt, x.tgtKey = res.Ticket, res.Part.Key
		x.tgts = append(x.tgts, *res)
		return x.request(x.cfg.Service, x.cfg.KDCOptions|wire.KDCOptCanonicalize, true)
	}
	return x.done(res)
}

// fallback follows a failed first referral request as MIT's try_fallback
// does: with the realm given, the same request without canonicalize (for
// KDCs that refuse the option); with it unknown, the fallback realm.
func (x *ServiceExchange) fallback(cause error) (ServiceStep, error) {
	x.fellBack, x.cause = true, cause
	if x.cfg.Realm != "" {
		return x.beginNonReferral()
	}
	fb := x.cfg.FallbackRealm
	if fb == "" {
		return ServiceStep{}, cause
	}
	if fb == TGTRealm(x.tgt) {
		return x.beginNonReferral()
	}
	return x.beginGetTGT(fb, svcNonReferral)
}

// onTGT handles a reply while getting a TGT for x.target: the TGT asked
// for, or one for a realm on the way (RFC 4120 section 3.3.1), which is
// asked in turn.
func (x *ServiceExchange) onTGT(res *TGSResult) (ServiceStep, error) {
	got, isTGT := tgsRealm(res.Part.SName)
	if !isTGT {
		return ServiceStep{}, sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: asked for a TGT for %s, the KDC returned a ticket for %v", x.target, res.Part.SName.NameString)
	}
	if err := x.hop(got); err != nil {
		return ServiceStep{}, err
	}
	x.tgt, x.tgtKey = res.Ticket, res.Part.Key
	x.tgts = append(x.tgts, *res)
	if got == x.target {
		return x.begin(x.after)
	}
	return x.request(wire.PrincipalName{NameType: wire.NTSrvInst, NameString: []string{"krbtgt", x.target}}, x.cfg.KDCOptions&^wire.KDCOptCanonicalize, true)
}

// hop accounts for one more cross-realm TGT, to realm: never one we
// have been to (a loop would never end), and never more than the limit.
func (x *ServiceExchange) hop(realm string) error {
	if x.seen[realm] {
		return sspi.Errorf(SEC_E_KDC_UNABLE_TO_REFER, "kerberos: referral loop: the KDC of %s sent us back to %s", TGTRealm(x.tgt), realm)
	}
	if x.hops >= x.cfg.MaxReferrals {
		return sspi.Errorf(SEC_E_MAX_REFERRALS_EXCEEDED, "kerberos: more than %d cross-realm referrals for %v", x.cfg.MaxReferrals, x.cfg.Service.NameString)
	}
	x.hops++
	x.seen[realm] = true
	return nil
}

func (x *ServiceExchange) done(res *TGSResult) (ServiceStep, error) {
	x.state = svcDone
	return ServiceStep{Result: &ServiceResult{TGSResult: *res, Realm: res.Ticket.Realm, TGTs: x.tgts, Referrals: x.hops}}, nil
}
