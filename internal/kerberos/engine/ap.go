package engine

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/pac"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// GSS-API context flags carried in the authenticator checksum, RFC 4121
// section 4.1.1.1 (the GSS_C_*_FLAG values of RFC 2744).
const (
	GSSDelegFlag    uint32 = 1
	GSSMutualFlag   uint32 = 2
	GSSReplayFlag   uint32 = 4
	GSSSequenceFlag uint32 = 8
	GSSConfFlag     uint32 = 16
	GSSIntegFlag    uint32 = 32
	// GSSDCEStyleFlag (GSS_C_DCE_STYLE, RFC 4757 section 7.1) asks for
	// the three-leg exchange of MS-KILE section 3.4.5.1: a raw AP-REQ, a
	// raw AP-REP, and a raw AP-REP back from the initiator.
	GSSDCEStyleFlag uint32 = 0x1000
)

// apReqTag and krbErrorTag are the first bytes of a DER AP-REQ
// ([APPLICATION 14]) and KRB-ERROR ([APPLICATION 30]): a DCE-style token
// is the bare message, with no RFC 2743 framing (which starts 0x60).
const (
	apReqTag    = 0x6e
	krbErrorTag = 0x7e
)

// gssChecksumType is the authenticator checksum type of RFC 4121 section
// 4.1.1, which is not a checksum but a container for flags and bindings.
const gssChecksumType int32 = 0x8003

// gssChecksumLen is the fixed part: Lgth (4), Bnd (16), Flags (4).
const gssChecksumLen = 24

// maxDelegation bounds the KRB-CRED an initiator can put in the checksum.
const maxDelegation = 64 << 10

// InitiatorConfig describes the initiator side of an AP exchange.
type InitiatorConfig struct {
	Client wire.PrincipalName
	CRealm string
	// Ticket and SessionKey are the service ticket and its session key
	// (TGSResult.Ticket and Part.Key).
	Ticket     wire.Ticket
	SessionKey wire.EncryptionKey
	// Flags are the GSS flags requested; GSSMutualFlag asks for an AP-REP.
	Flags uint32
	// BindingsHash is the MD5 of the channel bindings (RFC 4121 section
	// 4.1.1.2), or nil for none (sixteen zero bytes).
	BindingsHash []byte
	// Delegate, when set, is forwarded to the acceptor in a KRB-CRED and
	// GSSDelegFlag is sent: normally a forwardable TGT obtained with
	// KDCOptForwarded (RFC 4121 section 4.1.1.1).
	Delegate *DelegatedCredential
	// KDCOffset corrects our clock to the KDC's.
	KDCOffset time.Duration
	AllowWeak bool
	Now       func() time.Time
	Rand      io.Reader
}

// Initiator is the client side of an AP exchange.
type Initiator struct {
	cfg      InitiatorConfig
	enc      *crypto.Enctype
	ctime    time.Time
	cusec    int32
	subkey   []byte
	seq      uint32
	waiting  bool
	complete bool
	// dce is the three-leg exchange (GSSDCEStyleFlag); final is its
	// third-leg AP-REP, made when the acceptor's reply checks out.
	dce   bool
	final []byte
	// AcceptorSubkey and AcceptorSeq come from the AP-REP.
	acceptorSubkey *wire.EncryptionKey
	acceptorSeq    uint32
}

// ContextKeys are the keys and sequence numbers an established context
// has, for the Wrap and MIC tokens of RFC 4121 section 4.2.
type ContextKeys struct {
	// SessionKey is the ticket's session key; InitiatorSubkey the
	// authenticator's; AcceptorSubkey the AP-REP's, nil without one.
	SessionKey      wire.EncryptionKey
	InitiatorSubkey wire.EncryptionKey
	AcceptorSubkey  *wire.EncryptionKey
	InitiatorSeq    uint32
	AcceptorSeq     uint32
	Flags           uint32
}

// NewInitiator builds the AP-REQ and returns it framed as the first GSS
// context token (RFC 4121 section 4.1), or bare in DCE style
// (GSSDCEStyleFlag, which implies GSSMutualFlag: MS-KILE section 3.4.5.1).
func NewInitiator(cfg InitiatorConfig) (*Initiator, []byte, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	e, ok := crypto.Lookup(cfg.SessionKey.KeyType)
	if !ok || len(cfg.SessionKey.KeyValue) != e.KeySize || (e.Weak && !cfg.AllowWeak) {
		return nil, nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: the ticket's session key (type %d) is unusable", cfg.SessionKey.KeyType)
	}
	if cfg.BindingsHash != nil && len(cfg.BindingsHash) != 16 {
		return nil, nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: channel bindings hash of %d bytes, want 16", len(cfg.BindingsHash))
	}
	if cfg.Flags&GSSDCEStyleFlag != 0 {
		cfg.Flags |= GSSMutualFlag
	}
	x := &Initiator{cfg: cfg, enc: e, dce: cfg.Flags&GSSDCEStyleFlag != 0}
	var err error
	if x.subkey, err = e.RandomKey(); err != nil {
		return nil, nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	var n [4]byte
	if _, err := io.ReadFull(cfg.Rand, n[:]); err != nil {
		return nil, nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	x.seq = binary.BigEndian.Uint32(n[:]) & 0x3fffffff
	now := cfg.Now().Add(cfg.KDCOffset)
	x.ctime, x.cusec = now.Truncate(time.Second), int32(now.Nanosecond()/1000)

	cksum := make([]byte, gssChecksumLen)
	binary.LittleEndian.PutUint32(cksum, 16)
	copy(cksum[4:20], cfg.BindingsHash)
	flags := cfg.Flags &^ GSSDelegFlag
	if cfg.Delegate != nil {
		cred, err := sealKRBCred(*cfg.Delegate, cfg.SessionKey, e)
		if err != nil {
			return nil, nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: delegation: %w", err)
		}
		if len(cred) > maxDelegation {
			return nil, nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %d-byte delegation is too large", len(cred))
		}
		flags |= GSSDelegFlag
		cksum = binary.LittleEndian.AppendUint16(cksum, 1)
		cksum = binary.LittleEndian.AppendUint16(cksum, uint16(len(cred)))
		cksum = append(cksum, cred...)
	}
	binary.LittleEndian.PutUint32(cksum[20:], flags)
	x.cfg.Flags = flags
	seq := x.seq
	auth := wire.Authenticator{
		CRealm: cfg.CRealm, CName: cfg.Client,
		Cksum: &wire.Checksum{CksumType: gssChecksumType, Checksum: cksum},
		CUSec: x.cusec, CTime: x.ctime,
		Subkey:    &wire.EncryptionKey{KeyType: e.ID, KeyValue: x.subkey},
		SeqNumber: &seq,
	}
	plain, err := auth.Marshal()
	if err != nil {
		return nil, nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	c, err := e.Encrypt(cfg.SessionKey.KeyValue, crypto.UsageAPReqAuthenticator, plain)
	if err != nil {
		return nil, nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	req := wire.APReq{Ticket: cfg.Ticket, Authenticator: wire.EncryptedData{EType: e.ID, Cipher: c}}
	if cfg.Flags&GSSMutualFlag != 0 {
		req.APOptions = wire.APOptMutualRequired
	}
	body, err := req.Marshal()
	if err != nil {
		return nil, nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	out := body
	if !x.dce {
		tok := wire.GSSToken{TokID: wire.TokAPReq, Message: body}
		if out, err = tok.Marshal(); err != nil {
			return nil, nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
		}
	}
	x.waiting = cfg.Flags&GSSMutualFlag != 0
	x.complete = !x.waiting
	if x.complete {
		// No AP-REP will name the acceptor's first sequence number: it
		// starts at ours, as MIT's gss_accept_sec_context sets it without
		// mutual authentication (Wine's Kerberos, MIT underneath, and this
		// package disagreed until the Wine differential test showed it).
		x.acceptorSeq = x.seq
	}
	return x, out, nil
}

// Complete reports whether the context is established.
func (x *Initiator) Complete() bool { return x.complete }

// FinalToken is the DCE-style third leg once Receive has accepted the
// acceptor's AP-REP: a bare AP-REP the initiator sends "exactly as the
// server would" (MS-KILE section 3.4.5.1). Nil outside DCE style.
func (x *Initiator) FinalToken() []byte { return x.final }

// Receive takes the acceptor's reply token: an AP-REP (RFC 4120 section
// 5.5.2) whose EncAPRepPart must echo our authenticator's time, or a
// KRB-ERROR, mapped to its status.
func (x *Initiator) Receive(token []byte) error {
	if !x.waiting {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: no reply token is expected")
	}
	var tok wire.GSSToken
	if x.dce {
		// DCE style: the bare message. MIT's acceptor sends the AP-REP
		// bare; a bare KRB-ERROR is read too, so that a refusal reads as
		// its error rather than as a malformed AP-REP.
		tok.TokID, tok.Message = wire.TokAPRep, token
		if len(token) > 0 && token[0] == krbErrorTag {
			tok.TokID = wire.TokKRBError
		}
	} else if err := tok.Unmarshal(token); err != nil {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: reply token: %w", err)
	}
	switch tok.TokID {
	case wire.TokKRBError:
		var kerr wire.KRBError
		if err := kerr.Unmarshal(tok.Message); err != nil {
			return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: KRB-ERROR token: %w", err)
		}
		x.waiting = false
		return krbError(&kerr)
	case wire.TokAPRep:
	default:
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: got token %04x, expected an AP-REP", tok.TokID)
	}
	var rep wire.APRep
	if err := rep.Unmarshal(tok.Message); err != nil {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: AP-REP: %w", err)
	}
	if rep.EncPart.EType != x.enc.ID {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: AP-REP encrypted with enctype %d, not the session key's %d", rep.EncPart.EType, x.enc.ID)
	}
	plain, err := x.enc.Decrypt(x.cfg.SessionKey.KeyValue, crypto.UsageAPRepEncPart, rep.EncPart.Cipher)
	if errors.Is(err, crypto.ErrIntegrity) {
		return sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: the AP-REP is not from the service (mutual authentication failed)")
	}
	if err != nil {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: AP-REP: %w", err)
	}
	var part wire.EncAPRepPart
	if err := part.Unmarshal(plain); err != nil {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: EncAPRepPart: %w", err)
	}
	if !part.CTime.Equal(x.ctime) || part.CUSec != x.cusec {
		return sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: the AP-REP answers another authenticator")
	}
	if part.Subkey != nil {
		e, ok := crypto.Lookup(part.Subkey.KeyType)
		if !ok || len(part.Subkey.KeyValue) != e.KeySize || (e.Weak && !x.cfg.AllowWeak) {
			return sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: acceptor subkey of type %d is unusable", part.Subkey.KeyType)
		}
		x.acceptorSubkey = part.Subkey
	}
	if part.SeqNumber != nil {
		x.acceptorSeq = *part.SeqNumber
	}
	if x.dce {
		final, err := x.dceReply()
		if err != nil {
			return err
		}
		x.final = final
	}
	x.waiting, x.complete = false, true
	return nil
}

// dceReply builds the initiator's AP-REP of the DCE third leg, as MIT's
// krb5_mk_rep_dce and MS-KILE section 3.4.5.1 describe it: encrypted in
// the ticket's session key (usage 12), our current time, no subkey (the
// acceptor refuses one, so that its own AP-REP cannot be echoed back),
// and the acceptor's sequence number from its AP-REP, which is what the
// acceptor checks.
func (x *Initiator) dceReply() ([]byte, error) {
	now := x.cfg.Now().Add(x.cfg.KDCOffset)
	seq := x.acceptorSeq
	part := wire.EncAPRepPart{CTime: now.Truncate(time.Second), CUSec: int32(now.Nanosecond() / 1000), SeqNumber: &seq}
	plain, err := part.Marshal()
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	c, err := x.enc.Encrypt(x.cfg.SessionKey.KeyValue, crypto.UsageAPRepEncPart, plain)
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	rep := wire.APRep{EncPart: wire.EncryptedData{EType: x.enc.ID, Cipher: c}}
	out, err := rep.Marshal()
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	return out, nil
}

// Keys returns the context's keys once it is complete.
func (x *Initiator) Keys() (ContextKeys, bool) {
	if !x.complete {
		return ContextKeys{}, false
	}
	return ContextKeys{
		SessionKey:      x.cfg.SessionKey,
		InitiatorSubkey: wire.EncryptionKey{KeyType: x.enc.ID, KeyValue: x.subkey},
		AcceptorSubkey:  x.acceptorSubkey,
		InitiatorSeq:    x.seq,
		AcceptorSeq:     x.acceptorSeq,
		Flags:           x.cfg.Flags,
	}, true
}

// KeyLookup finds the acceptor's long-term key for a ticket: the service
// principal and realm, the enctype and the key version (0 for the
// newest), as files.Keytab.Key does.
type KeyLookup func(service wire.PrincipalName, realm string, enctype int32, kvno uint32) ([]byte, bool)

// AcceptorConfig describes the acceptor side.
type AcceptorConfig struct {
	Keys KeyLookup
	// BindingsHash is the MD5 of the acceptor's channel bindings, nil for
	// none. An initiator that sent other non-zero bindings is refused
	// with SEC_E_BAD_BINDINGS; one that sent none is accepted, as MIT does.
	BindingsHash []byte
	// ClockSkew is the accepted difference between the authenticator's
	// time and ours; zero means 5 minutes.
	ClockSkew time.Duration
	// Replay is the replay cache; nil means none (not safe for servers).
	Replay    *ReplayCache
	AllowWeak bool
	Now       func() time.Time
	Rand      io.Reader
}

// Accepted is what an acceptor learns from a valid AP-REQ.
type Accepted struct {
	Client wire.PrincipalName
	CRealm string
	// Ticket is the decrypted ticket: flags, times, authorization data
	// (the PAC is in it).
	Ticket wire.EncTicketPart
	Keys   ContextKeys
	// Reply is the AP-REP token to send when mutual authentication was
	// asked for, nil otherwise. In DCE style it is the bare AP-REP and the
	// exchange is not over: VerifyDCEReply takes the initiator's answer.
	Reply []byte
	// DCE reports a DCE-style AP-REQ (GSSDCEStyleFlag in its checksum,
	// sent without GSS framing).
	DCE bool
	// Delegated are the credentials the initiator forwarded
	// (GSS_C_DELEG_FLAG), usable to authenticate onward as the client.
	Delegated []DelegatedCredential
	// PAC is the ticket's PAC, its server signature verified with our
	// key and its client info matched to the ticket; nil without one.
	PAC *pac.PAC
}

// Accept verifies an AP-REQ token as RFC 4120 section 3.2.3 and RFC 4121
// section 4.1 ask and, for mutual authentication, builds the AP-REP.
func Accept(cfg AcceptorConfig, token []byte) (*Accepted, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = 5 * time.Minute
	}
	var tok wire.GSSToken
	// A bare AP-REQ is DCE style (MS-KILE section 3.4.5.1); it is
	// accepted only if its checksum says so, as MIT accepts it.
	raw := len(token) > 0 && token[0] == apReqTag
	if raw {
		tok.TokID, tok.Message = wire.TokAPReq, token
	} else if err := tok.Unmarshal(token); err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: context token: %w", err)
	}
	if tok.TokID != wire.TokAPReq {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: got token %04x, expected an AP-REQ", tok.TokID)
	}
	var req wire.APReq
	if err := req.Unmarshal(tok.Message); err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: AP-REQ: %w", err)
	}
	if req.APOptions&wire.APOptUseSessionKey != 0 {
		return nil, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "kerberos: user-to-user AP-REQ is not supported")
	}
	tktEnc, ok := crypto.Lookup(req.Ticket.EncPart.EType)
	if !ok || (tktEnc.Weak && !cfg.AllowWeak) {
		return nil, sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: ticket enctype %d is not allowed", req.Ticket.EncPart.EType)
	}
	var kvno uint32
	if req.Ticket.EncPart.KVNO != nil {
		kvno = *req.Ticket.EncPart.KVNO
	}
	key, ok := cfg.Keys(req.Ticket.SName, req.Ticket.Realm, tktEnc.ID, kvno)
	if !ok {
		return nil, sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: no key for %v@%s (enctype %d, kvno %d): a ticket for another service?",
			req.Ticket.SName.NameString, req.Ticket.Realm, tktEnc.ID, kvno)
	}
	plain, err := tktEnc.Decrypt(key, crypto.UsageKDCRepTicket, req.Ticket.EncPart.Cipher)
	if errors.Is(err, crypto.ErrIntegrity) {
		return nil, sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: the ticket does not decrypt with our key (KRB_AP_ERR_MODIFIED)")
	}
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: ticket: %w", err)
	}
	var etp wire.EncTicketPart
	if err := etp.Unmarshal(plain); err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: ticket: %w", err)
	}
	sessEnc, ok := crypto.Lookup(etp.Key.KeyType)
	if !ok || len(etp.Key.KeyValue) != sessEnc.KeySize || (sessEnc.Weak && !cfg.AllowWeak) ||
		req.Authenticator.EType != sessEnc.ID {
		return nil, sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: session key type %d is unusable", etp.Key.KeyType)
	}
	plain, err = sessEnc.Decrypt(etp.Key.KeyValue, crypto.UsageAPReqAuthenticator, req.Authenticator.Cipher)
	if errors.Is(err, crypto.ErrIntegrity) {
		return nil, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: the authenticator does not decrypt with the ticket's session key")
	}
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: authenticator: %w", err)
	}
	var auth wire.Authenticator
	if err := auth.Unmarshal(plain); err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: authenticator: %w", err)
	}
	if auth.CRealm != etp.CRealm || !sameComponents(auth.CName, etp.CName) {
		return nil, sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: the authenticator's client is not the ticket's (KRB_AP_ERR_BADMATCH)")
	}
	now := cfg.Now()
	if d := auth.CTime.Sub(now); d > cfg.ClockSkew || d < -cfg.ClockSkew {
		return nil, sspi.Errorf(SEC_E_TIME_SKEW, "kerberos: the authenticator's time is %v from ours (KRB_AP_ERR_SKEW)", d.Round(time.Second))
	}
	if start := etp.StartTime; !start.IsZero() && start.Sub(now) > cfg.ClockSkew {
		return nil, sspi.Errorf(SEC_E_TIME_SKEW, "kerberos: the ticket is not valid yet (KRB_AP_ERR_TKT_NYV)")
	}
	if now.Sub(etp.EndTime) > cfg.ClockSkew {
		return nil, sspi.Errorf(sspi.SEC_E_CONTEXT_EXPIRED, "kerberos: the ticket expired at %v (KRB_AP_ERR_TKT_EXPIRED)", etp.EndTime)
	}
	if etp.Flags&wire.TktFlagInvalid != 0 {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: the ticket is flagged invalid")
	}
	// A ticket that came through realms between the client's and ours
	// lists them in transited. Unless the KDC checked them against its
	// policy (TRANSITED-POLICY-CHECKED), the server must (RFC 4120 section
	// 2.7), and without capaths we have nothing to check them against.
	if len(etp.Transited.Contents) > 0 && etp.Flags&wire.TktFlagTransitedChecked == 0 {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: the ticket crossed realms %q that its KDC did not check (KRB_AP_ERR_ILL_CR_TKT)", etp.Transited.Contents)
	}
	if auth.Cksum == nil || auth.Cksum.CksumType != gssChecksumType {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: the authenticator has no GSS checksum (RFC 4121 4.1.1)")
	}
	flags, deleg, err := checkGSSChecksum(auth.Cksum.Checksum, cfg.BindingsHash)
	if err != nil {
		return nil, err
	}
	dce := flags&GSSDCEStyleFlag != 0
	if dce != raw {
		// MIT: "only DCE_STYLE clients are allowed to send raw AP-REQs",
		// and a DCE-style client never frames its token.
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: AP-REQ framing (bare %v) does not match its DCE-style flag (%v)", raw, dce)
	}
	if dce {
		flags |= GSSMutualFlag
	}
	var delegated []DelegatedCredential
	if deleg != nil {
		if delegated, err = openKRBCred(deleg, etp.Key, sessEnc); err != nil {
			return nil, err
		}
	}
	if cfg.Replay != nil && !cfg.Replay.Check(req.Authenticator.Cipher, auth.CTime, now) {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: replayed authenticator (KRB_AP_ERR_REPEAT)")
	}

	thePAC, err := ticketPAC(&etp, key)
	if err != nil {
		return nil, err
	}
	acc := &Accepted{Client: auth.CName, CRealm: auth.CRealm, Ticket: etp, Delegated: delegated, PAC: thePAC, DCE: dce}
	acc.Keys.SessionKey = etp.Key
	acc.Keys.Flags = flags
	if auth.Subkey != nil {
		if e, ok := crypto.Lookup(auth.Subkey.KeyType); !ok || len(auth.Subkey.KeyValue) != e.KeySize || (e.Weak && !cfg.AllowWeak) {
			return nil, sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: initiator subkey of type %d is unusable", auth.Subkey.KeyType)
		}
		acc.Keys.InitiatorSubkey = *auth.Subkey
	} else {
		acc.Keys.InitiatorSubkey = etp.Key
	}
	if auth.SeqNumber != nil {
		acc.Keys.InitiatorSeq = *auth.SeqNumber
	}
	if req.APOptions&wire.APOptMutualRequired == 0 && !dce {
		// No AP-REP carries a sequence number of ours: we start at the
		// initiator's, as MIT does.
		acc.Keys.AcceptorSeq = acc.Keys.InitiatorSeq
		return acc, nil
	}
	// The AP-REP: our subkey, of the initiator subkey's enctype as MIT
	// does, and our initial sequence number.
	subEnc, ok := crypto.Lookup(acc.Keys.InitiatorSubkey.KeyType)
	if !ok {
		return nil, sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: no AP-REP subkey of enctype %d", acc.Keys.InitiatorSubkey.KeyType)
	}
	sub, err := subEnc.RandomKey()
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	var n [4]byte
	if _, err := io.ReadFull(cfg.Rand, n[:]); err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	seq := binary.BigEndian.Uint32(n[:]) & 0x3fffffff
	acc.Keys.AcceptorSubkey = &wire.EncryptionKey{KeyType: subEnc.ID, KeyValue: sub}
	acc.Keys.AcceptorSeq = seq
	part := wire.EncAPRepPart{CTime: auth.CTime, CUSec: auth.CUSec, Subkey: acc.Keys.AcceptorSubkey, SeqNumber: &seq}
	partDER, err := part.Marshal()
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	c, err := sessEnc.Encrypt(etp.Key.KeyValue, crypto.UsageAPRepEncPart, partDER)
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	rep := wire.APRep{EncPart: wire.EncryptedData{EType: sessEnc.ID, Cipher: c}}
	repDER, err := rep.Marshal()
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	if dce {
		acc.Reply = repDER
		return acc, nil
	}
	out := wire.GSSToken{TokID: wire.TokAPRep, Message: repDER}
	if acc.Reply, err = out.Marshal(); err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	return acc, nil
}

// VerifyDCEReply checks the initiator's third-leg AP-REP of a DCE-style
// exchange (MS-KILE section 3.4.5.1) against the context Accept made: it
// must decrypt under the ticket's session key (usage 12), carry no subkey
// and echo the sequence number of our AP-REP, as MIT's krb5_rd_rep_dce
// checks. Its time is not checked, as MIT does not: the AP-REQ's was.
func VerifyDCEReply(keys ContextKeys, token []byte) error {
	enc, ok := crypto.Lookup(keys.SessionKey.KeyType)
	if !ok || len(keys.SessionKey.KeyValue) != enc.KeySize {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: session key of type %d is unusable", keys.SessionKey.KeyType)
	}
	var rep wire.APRep
	if err := rep.Unmarshal(token); err != nil {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: DCE-style AP-REP: %w", err)
	}
	if rep.EncPart.EType != enc.ID {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: DCE-style AP-REP encrypted with enctype %d, not the session key's %d", rep.EncPart.EType, enc.ID)
	}
	plain, err := enc.Decrypt(keys.SessionKey.KeyValue, crypto.UsageAPRepEncPart, rep.EncPart.Cipher)
	if errors.Is(err, crypto.ErrIntegrity) {
		return sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: the DCE-style AP-REP does not decrypt with the session key")
	}
	if err != nil {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: DCE-style AP-REP: %w", err)
	}
	var part wire.EncAPRepPart
	if err := part.Unmarshal(plain); err != nil {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: DCE-style EncAPRepPart: %w", err)
	}
	if part.Subkey != nil {
		return sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: the DCE-style AP-REP carries a subkey (an echo of ours?)")
	}
	if part.SeqNumber == nil || *part.SeqNumber != keys.AcceptorSeq {
		return sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: the DCE-style AP-REP does not echo our sequence number (another context's?)")
	}
	return nil
}

// checkGSSChecksum reads the RFC 4121 section 4.1.1 checksum: Lgth 16,
// the bindings hash, the flags, and with GSS_C_DELEG_FLAG the DlgOpt 1,
// Dlgth and KRB-CRED fields, whose bytes it returns.
func checkGSSChecksum(c []byte, bindings []byte) (uint32, []byte, error) {
	if len(c) < gssChecksumLen {
		return 0, nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: GSS checksum of %d bytes", len(c))
	}
	if binary.LittleEndian.Uint32(c) != 16 {
		return 0, nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: GSS checksum Lgth is %d, not 16", binary.LittleEndian.Uint32(c))
	}
	bnd := c[4:20]
	if bindings != nil && subtle.ConstantTimeCompare(bnd, make([]byte, 16)) != 1 &&
		subtle.ConstantTimeCompare(bnd, bindings) != 1 {
		return 0, nil, sspi.Errorf(SEC_E_BAD_BINDINGS, "kerberos: the initiator's channel bindings differ from ours")
	}
	flags := binary.LittleEndian.Uint32(c[20:])
	if flags&GSSDelegFlag == 0 {
		return flags, nil, nil
	}
	rest := c[gssChecksumLen:]
	if len(rest) < 4 || binary.LittleEndian.Uint16(rest) != 1 {
		return 0, nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: delegation flag without a DlgOpt 1 KRB-CRED")
	}
	n := int(binary.LittleEndian.Uint16(rest[2:]))
	if n > len(rest)-4 || n > maxDelegation {
		return 0, nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: delegation of %d bytes overruns the checksum", n)
	}
	return flags, rest[4 : 4+n], nil
}

// ticketPAC finds the PAC (AD-WIN2K-PAC inside AD-IF-RELEVANT, MS-PAC
// section 2.4) of a ticket and checks it as MS-PAC section 2.8.1 and 2.7
// ask: the server signature under the service key, and the client info
// naming the ticket's client at its authtime. A ticket may carry one PAC.
func ticketPAC(etp *wire.EncTicketPart, key []byte) (*pac.PAC, error) {
	var found []byte
	for _, ad := range etp.AuthorizationData {
		if ad.ADType != wire.ADIfRelevant {
			continue
		}
		var inner wire.AuthorizationData
		if err := inner.Unmarshal(ad.ADData); err != nil {
			return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: AD-IF-RELEVANT: %w", err)
		}
		for _, in := range inner {
			if in.ADType != wire.ADWin2KPAC {
				continue
			}
			if found != nil {
				return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: ticket has two PACs")
			}
			found = in.ADData
		}
	}
	if found == nil {
		return nil, nil
	}
	p, err := pac.Parse(found)
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: %w", err)
	}
	if err := p.VerifyServerChecksum(key); err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: PAC server signature (KRB_AP_ERR_MODIFIED): %w", err)
	}
	if ci := p.ClientInfo; ci != nil {
		name := ""
		for i, c := range etp.CName.NameString {
			if i > 0 {
				name += "/"
			}
			name += c
		}
		if ci.Name != name || !ci.ClientID.Equal(etp.AuthTime) {
			return nil, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: PAC client info (%q at %v) does not match the ticket (%q at %v)",
				ci.Name, ci.ClientID, name, etp.AuthTime)
		}
	}
	return p, nil
}

// DelegatedCredential is one ticket the initiator forwarded (RFC 4121
// section 4.1.1.1), with its session key and names from KrbCredInfo.
type DelegatedCredential struct {
	Ticket      wire.Ticket
	TicketBytes []byte
	Info        wire.KrbCredInfo
}

// openKRBCred decrypts a delegated KRB-CRED with the ticket's session key
// (usage 14, as MIT and Windows encrypt it) and pairs tickets with their
// KrbCredInfo.
func openKRBCred(b []byte, session wire.EncryptionKey, enc *crypto.Enctype) ([]DelegatedCredential, error) {
	var cred wire.KRBCred
	if err := cred.Unmarshal(b); err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: delegated KRB-CRED: %w", err)
	}
	if cred.EncPart.EType != enc.ID {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: delegated KRB-CRED encrypted with enctype %d, not the session key's", cred.EncPart.EType)
	}
	plain, err := enc.Decrypt(session.KeyValue, crypto.UsageKrbCredEncPart, cred.EncPart.Cipher)
	if errors.Is(err, crypto.ErrIntegrity) {
		return nil, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: delegated KRB-CRED does not decrypt with the session key")
	}
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: delegated KRB-CRED: %w", err)
	}
	var part wire.EncKrbCredPart
	if err := part.Unmarshal(plain); err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: delegated EncKrbCredPart: %w", err)
	}
	if len(part.TicketInfo) != len(cred.Tickets) || len(cred.Tickets) == 0 {
		return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: delegated KRB-CRED has %d tickets and %d infos", len(cred.Tickets), len(part.TicketInfo))
	}
	out := make([]DelegatedCredential, len(cred.Tickets))
	for i := range cred.Tickets {
		tb, err := cred.Tickets[i].Marshal()
		if err != nil {
			return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
		}
		k := part.TicketInfo[i].Key
		if ke, ok := crypto.Lookup(k.KeyType); !ok || len(k.KeyValue) != ke.KeySize {
			return nil, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: delegated ticket key of type %d is unusable", k.KeyType)
		}
		out[i] = DelegatedCredential{Ticket: cred.Tickets[i], TicketBytes: tb, Info: part.TicketInfo[i]}
	}
	return out, nil
}

// sealKRBCred builds the KRB-CRED that forwards cred, encrypted in the
// session key with usage 14.
func sealKRBCred(cred DelegatedCredential, session wire.EncryptionKey, enc *crypto.Enctype) ([]byte, error) {
	part := wire.EncKrbCredPart{TicketInfo: []wire.KrbCredInfo{cred.Info}}
	plain, err := part.Marshal()
	if err != nil {
		return nil, err
	}
	c, err := enc.Encrypt(session.KeyValue, crypto.UsageKrbCredEncPart, plain)
	if err != nil {
		return nil, err
	}
	kc := wire.KRBCred{Tickets: []wire.Ticket{cred.Ticket}, EncPart: wire.EncryptedData{EType: enc.ID, Cipher: c}}
	return kc.Marshal()
}

// ReplayCache remembers authenticators for twice the clock skew, so the
// same AP-REQ cannot be accepted twice (RFC 4120 section 3.2.3). An entry
// is forgotten once no clock-skew check could let its authenticator through
// again, oldest first, so a busy acceptor keeps working: memory is bounded
// by the logins of one window. More than max live entries is refused (fails
// closed) rather than forgetting a live one.
type ReplayCache struct {
	mu      sync.Mutex
	max     int
	window  time.Duration
	entries map[[32]byte]struct{}
	// order holds the entries by insertion; their expiries only grow, so
	// the expired ones are always at the front (from head on).
	order []replayEntry
	head  int
}

type replayEntry struct {
	hash   [32]byte
	expiry time.Time
}

// NewReplayCache returns a cache of at most max live entries, each kept for
// window (twice the clock skew).
func NewReplayCache(max int, window time.Duration) *ReplayCache {
	return &ReplayCache{max: max, window: window, entries: make(map[[32]byte]struct{})}
}

// Check records an authenticator and reports whether it is new. ctime is
// the authenticator's time, already within the clock skew of now.
func (r *ReplayCache) Check(cipher []byte, ctime, now time.Time) bool {
	h := sha256.Sum256(cipher)
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.head < len(r.order) && !now.Before(r.order[r.head].expiry) {
		delete(r.entries, r.order[r.head].hash)
		r.head++
	}
	if r.head > 1024 && r.head > len(r.order)/2 {
		r.order = append(r.order[:0], r.order[r.head:]...)
		r.head = 0
	}
	if _, seen := r.entries[h]; seen {
		return false
	}
	if len(r.entries) >= r.max {
		return false
	}
	r.entries[h] = struct{}{}
	// ctime is at most one skew after now, and is acceptable for one skew
	// more: a window (two skews) after now covers both.
	r.order = append(r.order, replayEntry{hash: h, expiry: now.Add(r.window)})
	return true
}
