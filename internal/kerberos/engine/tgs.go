package engine

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// TGSConfig describes a service-ticket request made with a TGT.
type TGSConfig struct {
	// Client and CRealm name the TGT's owner.
	Client wire.PrincipalName
	CRealm string
	// TGT and TGTKey are the ticket-granting ticket and its session key.
	TGT    wire.Ticket
	TGTKey wire.EncryptionKey
	// Service is the principal a ticket is wanted for, in the realm of
	// the KDC the TGT is for (TGTRealm).
	Service wire.PrincipalName
	// Enctypes and AllowWeak are as in ASConfig.
	Enctypes  []int32
	AllowWeak bool
	// KDCOptions are the requested ticket options; Lifetime zero means
	// 10 hours.
	KDCOptions uint32
	Lifetime   time.Duration
	// KDCOffset is the KDC's clock minus ours (ASResult.KDCOffset).
	KDCOffset time.Duration
	Now       func() time.Time
	Rand      io.Reader
	// FollowReferrals accepts, instead of the ticket asked for, a TGT for
	// another realm: a referral (RFC 6806 section 8) or a TGT for a realm
	// nearer the one asked for (RFC 4120 section 3.3.1). The caller
	// (ServiceExchange) decides where it leads. Without it such a reply is
	// SEC_E_KDC_UNABLE_TO_REFER.
	FollowReferrals bool
}

// TGSResult is a service ticket.
type TGSResult struct {
	Ticket      wire.Ticket
	TicketBytes []byte
	// Part is the decrypted EncTGSRepPart: the session key for the
	// service, times and flags.
	Part wire.EncKDCRepPart
}

// TGSStep is a step of the TGS exchange.
type TGSStep = Step[TGSResult]

// TGSExchange is one TGS exchange (RFC 4120 section 3.3). It is not safe
// for concurrent use.
type TGSExchange struct {
	cfg      TGSConfig
	realm    string
	sessEnc  *crypto.Enctype
	enctypes []int32
	nonce    uint32
	subkey   []byte
	sent     []byte
	started  bool
	done     bool
}

// NewTGS checks the configuration.
func NewTGS(cfg TGSConfig) (*TGSExchange, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = 10 * time.Hour
	}
	if len(cfg.Service.NameString) == 0 || cfg.TGT.Realm == "" {
		return nil, sspi.Errorf(sspi.SEC_E_TARGET_UNKNOWN, "kerberos: TGS exchange needs a service name and a TGT")
	}
	e, ok := crypto.Lookup(cfg.TGTKey.KeyType)
	if !ok || len(cfg.TGTKey.KeyValue) != e.KeySize || (e.Weak && !cfg.AllowWeak) {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: the TGT's session key (type %d) is unusable", cfg.TGTKey.KeyType)
	}
	x := &TGSExchange{cfg: cfg, sessEnc: e, realm: TGTRealm(cfg.TGT)}
	if x.realm == "" {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: the TGT names no realm")
	}
	list := cfg.Enctypes
	if len(list) == 0 {
		list = crypto.All()
	}
	for _, id := range list {
		if t, ok := crypto.Lookup(id); ok && (!t.Weak || cfg.AllowWeak) {
			x.enctypes = append(x.enctypes, id)
		}
	}
	if len(x.enctypes) == 0 {
		return nil, sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: no usable enctype in %v", list)
	}
	return x, nil
}

// Start builds the TGS-REQ: the request body, and in PA-TGS-REQ an AP-REQ
// with the TGT whose authenticator checksums the body (usage 6) and
// carries a fresh subkey, which the KDC must encrypt its reply in
// (RFC 4120 sections 5.4.1 and 5.5.1).
func (x *TGSExchange) Start() (TGSStep, error) {
	if x.started {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: TGS exchange already started")
	}
	x.started = true
	var n [4]byte
	if _, err := io.ReadFull(x.cfg.Rand, n[:]); err != nil {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: nonce: %w", err)
	}
	x.nonce = binary.BigEndian.Uint32(n[:]) & 0x7fffffff
	now := x.cfg.Now().Add(x.cfg.KDCOffset)
	sname := x.cfg.Service
	body := wire.KDCReqBody{
		KDCOptions: x.cfg.KDCOptions,
		Realm:      x.realm,
		SName:      &sname,
		Till:       now.Add(x.cfg.Lifetime).Truncate(time.Second),
		Nonce:      x.nonce,
		EType:      x.enctypes,
	}
	bodyDER, err := body.Marshal()
	if err != nil {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	key := x.cfg.TGTKey.KeyValue
	sum, err := x.sessEnc.Checksum(key, crypto.UsageTGSReqPAAuthCksum, bodyDER)
	if err != nil {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	if x.subkey, err = x.sessEnc.RandomKey(); err != nil {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	auth := wire.Authenticator{
		CRealm: x.cfg.CRealm,
		CName:  x.cfg.Client,
		Cksum:  &wire.Checksum{CksumType: x.sessEnc.ChecksumType, Checksum: sum},
		CUSec:  int32(now.Nanosecond() / 1000),
		CTime:  now.Truncate(time.Second),
		Subkey: &wire.EncryptionKey{KeyType: x.sessEnc.ID, KeyValue: x.subkey},
	}
	authDER, err := auth.Marshal()
	if err != nil {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	authCipher, err := x.sessEnc.Encrypt(key, crypto.UsageTGSReqPAAuthenticator, authDER)
	if err != nil {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	apReq := wire.APReq{Ticket: x.cfg.TGT, Authenticator: wire.EncryptedData{EType: x.sessEnc.ID, Cipher: authCipher}}
	apDER, err := apReq.Marshal()
	if err != nil {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	req := wire.KDCReq{
		MsgType: wire.TagTGSReq,
		PAData:  wire.MethodData{{Type: wire.PATGSReq, Value: apDER}},
		ReqBody: body,
	}
	msg, err := req.Marshal()
	if err != nil {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	x.sent = msg
	return TGSStep{Send: &KDCRequest{Realm: x.realm, Message: msg}}, nil
}

// Receive consumes the KDC's reply.
func (x *TGSExchange) Receive(reply []byte) (TGSStep, error) {
	if !x.started || x.done {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: TGS exchange is not waiting for a reply")
	}
	if len(reply) > 0 && reply[0] == 0x7e {
		var kerr wire.KRBError
		if err := kerr.Unmarshal(reply); err != nil {
			return TGSStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: malformed KRB-ERROR from the KDC: %w", err)
		}
		if kerr.ErrorCode == wire.KRBErrResponseTooBig {
			return TGSStep{Send: &KDCRequest{Realm: x.realm, Message: x.sent, TCPOnly: true}}, nil
		}
		return TGSStep{}, krbError(&kerr)
	}
	var rep wire.KDCRep
	if err := rep.Unmarshal(reply); err != nil {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: the KDC's reply is neither TGS-REP nor KRB-ERROR: %w", err)
	}
	if rep.MsgType != wire.TagTGSRep {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: got message type %d, expected TGS-REP", rep.MsgType)
	}
	if rep.EncPart.EType != x.sessEnc.ID {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: TGS-REP encrypted with enctype %d, not our subkey's %d", rep.EncPart.EType, x.sessEnc.ID)
	}
	plain, err := x.sessEnc.Decrypt(x.subkey, crypto.UsageTGSRepEncPartSubkey, rep.EncPart.Cipher)
	if errors.Is(err, crypto.ErrIntegrity) {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: the TGS-REP does not decrypt with our subkey")
	}
	if err != nil {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: TGS-REP enc-part: %w", err)
	}
	var part wire.EncKDCRepPart
	if err := part.Unmarshal(plain); err != nil {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: TGS-REP enc-part: %w", err)
	}
	if part.Nonce != x.nonce {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: TGS-REP nonce %d does not answer our %d", part.Nonce, x.nonce)
	}
	if rep.CRealm != x.cfg.CRealm || !sameComponents(rep.CName, x.cfg.Client) {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: TGS-REP is for %v@%s, not our client", rep.CName.NameString, rep.CRealm)
	}
	if err := x.checkServer(&rep, &part); err != nil {
		return TGSStep{}, err
	}
	if ke, ok := crypto.Lookup(part.Key.KeyType); !ok || len(part.Key.KeyValue) != ke.KeySize || (ke.Weak && !x.cfg.AllowWeak) {
		return TGSStep{}, sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: TGS-REP session key of type %d is unusable", part.Key.KeyType)
	}
	if !part.EndTime.After(part.AuthTime) {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: TGS-REP ticket ends before it begins")
	}
	tb, err := rep.Ticket.Marshal()
	if err != nil {
		return TGSStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	x.done = true
	return TGSStep{Result: &TGSResult{Ticket: rep.Ticket, TicketBytes: tb, Part: part}}, nil
}

// checkServer checks the reply's server name as RFC 4120 section 3.3.4
// and RFC 6806 ask. The KDC of x.realm issues tickets in its own realm
// only, and the encrypted part names the same server as the ticket. The
// server is the one asked for, or else: a TGT for another realm when the
// request follows referrals, or another name for the service when the
// request asked for canonicalisation (RFC 6806 section 3).
func (x *TGSExchange) checkServer(rep *wire.KDCRep, part *wire.EncKDCRepPart) error {
	if rep.Ticket.Realm != x.realm || part.SRealm != x.realm {
		return sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: the KDC of %s returned a ticket of realm %q (enc-part says %q)", x.realm, rep.Ticket.Realm, part.SRealm)
	}
	if !sameComponents(part.SName, rep.Ticket.SName) {
		return sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: TGS-REP enc-part names %v, its ticket %v", part.SName.NameString, rep.Ticket.SName.NameString)
	}
	if sameComponents(part.SName, x.cfg.Service) {
		return nil
	}
	if other, ok := tgsRealm(part.SName); ok {
		if !x.cfg.FollowReferrals {
			return sspi.Errorf(SEC_E_KDC_UNABLE_TO_REFER, "kerberos: the KDC of %s referred us to %s, and this request follows no referrals", x.realm, other)
		}
		if other == "" {
			return sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: the KDC of %s referred us to a TGT with an empty realm", x.realm)
		}
		return nil
	}
	if _, askedTGS := tgsRealm(x.cfg.Service); x.cfg.KDCOptions&wire.KDCOptCanonicalize != 0 && !askedTGS {
		return nil
	}
	return sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: TGS-REP ticket is for %v@%s, not the service we asked for", part.SName.NameString, part.SRealm)
}

// tgsRealm reports whether name is a ticket-granting service,
// krbtgt/REALM, and which realm's.
func tgsRealm(name wire.PrincipalName) (string, bool) {
	if len(name.NameString) != 2 || name.NameString[0] != "krbtgt" {
		return "", false
	}
	return name.NameString[1], true
}

// TGTRealm is the realm whose KDC accepts a ticket-granting ticket: REALM
// of its server krbtgt/REALM, which differs from the ticket's own realm
// for a cross-realm TGT (krbtgt/B@A is issued by A and used at B's KDC,
// RFC 4120 section 1.2). For any other ticket it is the ticket's realm.
func TGTRealm(t wire.Ticket) string {
	if r, ok := tgsRealm(t.SName); ok {
		return r
	}
	return t.Realm
}
