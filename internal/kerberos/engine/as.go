package engine

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// KDCRequest is a message for the transport to deliver to any KDC of
// Realm; the reply goes back into the exchange's Receive.
type KDCRequest struct {
	Realm   string
	Message []byte
	// TCPOnly is set when the KDC answered KRB_ERR_RESPONSE_TOO_BIG: the
	// same request must be resent over TCP (RFC 4120 section 7.2.1).
	TCPOnly bool
}

// Step is the result of one step of an exchange: either a request to
// send, or, when Send is nil, the finished Result.
type Step[R any] struct {
	Send   *KDCRequest
	Result *R
}

// ASStep is a step of the AS exchange.
type ASStep = Step[ASResult]

// ASConfig describes an initial-ticket request.
type ASConfig struct {
	// Client is the client principal, in Realm.
	Client wire.PrincipalName
	Realm  string
	// Password derives the client's long-term key with the KDC's salt.
	Password string
	// Enctypes are the enctypes offered, most preferred first; empty means
	// every enctype of the crypto table.
	Enctypes []int32
	// AllowWeak permits RC4-HMAC (krb5.conf allow_weak_crypto/allow_rc4);
	// without it RC4 is never offered nor used, whatever Enctypes says.
	AllowWeak bool
	// Lifetime is the requested ticket lifetime; zero means 10 hours.
	Lifetime time.Duration
	// KDCOptions are the requested ticket options (forwardable ...). With
	// KDCOptCanonicalize (implied by an NT-ENTERPRISE Client) the KDC may
	// answer with the client's canonical name and realm, or refer the
	// client to its realm (KDC_ERR_WRONG_REALM, RFC 6806 section 7).
	KDCOptions uint32
	// Now and Rand default to time.Now and crypto/rand; tests set them.
	Now  func() time.Time
	Rand io.Reader
}

// ASResult is a TGT (or another initial ticket) and what comes with it.
type ASResult struct {
	CRealm string
	CName  wire.PrincipalName
	// Ticket is the ticket as the KDC sent it, and TicketBytes its DER.
	Ticket      wire.Ticket
	TicketBytes []byte
	// Part is the decrypted EncASRepPart: session key, times, flags.
	Part wire.EncKDCRepPart
	// ClientKey is the long-term key the reply was decrypted with, and
	// ClientEnctype its enctype, for later requests in the same realm.
	ClientKey     []byte
	ClientEnctype int32
	// KDCOffset is the KDC's clock minus ours, from the reply's authtime
	// (MIT stores it in the cache's DeltaTime header).
	KDCOffset time.Duration
	// RequestVerified is set when the reply carried the KDC's checksum of
	// our AS-REQ (enc-pa-rep, RFC 6806 section 11) and it matched: no one
	// changed the unauthenticated request, names included, in transit.
	RequestVerified bool
}

// asState is where the exchange stands.
type asState int

const (
	asStart asState = iota
	asSentPlain
	asSentPreauth
	asDone
)

// ASExchange is one AS exchange. It is not safe for concurrent use.
type ASExchange struct {
	cfg      ASConfig
	state    asState
	nonce    uint32
	sent     []byte
	enctypes []int32
	// key is the client key once the salt is known.
	key       []byte
	keyType   int32
	offset    time.Duration
	skewRetry bool
	// realms are the realms client referrals have led to, the first
	// one included.
	realms []string
}

// NewAS checks the configuration and returns an exchange ready to Start.
func NewAS(cfg ASConfig) (*ASExchange, error) {
	if cfg.Realm == "" || len(cfg.Client.NameString) == 0 {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: AS exchange needs a client name and realm")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = 10 * time.Hour
	}
	list := cfg.Enctypes
	if len(list) == 0 {
		list = crypto.All()
	}
	if cfg.Client.NameType == wire.NTEnterprise {
		// An enterprise name is resolved by the KDC, which answers with
		// the canonical name (RFC 6806 section 5).
		cfg.KDCOptions |= wire.KDCOptCanonicalize
	}
	x := &ASExchange{cfg: cfg, realms: []string{cfg.Realm}}
	for _, id := range list {
		e, ok := crypto.Lookup(id)
		if !ok || (e.Weak && !cfg.AllowWeak) {
			continue
		}
		x.enctypes = append(x.enctypes, id)
	}
	if len(x.enctypes) == 0 {
		return nil, sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: no usable enctype in %v (RC4 needs AllowWeak)", list)
	}
	return x, nil
}

// Start builds the first AS-REQ. Like MIT's kinit it carries no
// pre-authentication: the KDC's PREAUTH_REQUIRED tells the salt and the
// enctype to use, which a guess could get wrong.
func (x *ASExchange) Start() (ASStep, error) {
	if x.state != asStart {
		return ASStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: AS exchange already started")
	}
	msg, err := x.request(nil)
	if err != nil {
		return ASStep{}, err
	}
	x.state = asSentPlain
	return ASStep{Send: &KDCRequest{Realm: x.cfg.Realm, Message: msg}}, nil
}

// Receive consumes the KDC's reply to the last request.
func (x *ASExchange) Receive(reply []byte) (ASStep, error) {
	if x.state != asSentPlain && x.state != asSentPreauth {
		return ASStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: AS exchange is not waiting for a reply")
	}
	if len(reply) > 0 && reply[0] == 0x7e { // [APPLICATION 30]: KRB-ERROR
		var kerr wire.KRBError
		if err := kerr.Unmarshal(reply); err != nil {
			return ASStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: malformed KRB-ERROR from the KDC: %w", err)
		}
		return x.onError(&kerr)
	}
	var rep wire.KDCRep
	if err := rep.Unmarshal(reply); err != nil {
		return ASStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: the KDC's reply is neither AS-REP nor KRB-ERROR: %w", err)
	}
	if rep.MsgType != wire.TagASRep {
		return ASStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: got message type %d, expected AS-REP", rep.MsgType)
	}
	return x.onReply(&rep)
}

func (x *ASExchange) onError(kerr *wire.KRBError) (ASStep, error) {
	switch kerr.ErrorCode {
	case wire.KDCErrPreauthRequired:
		if x.state == asSentPreauth {
			// Our PA-ENC-TIMESTAMP was not accepted; MIT's KDC says
			// PREAUTH_FAILED for that, others repeat this error.
			return ASStep{}, withStatus(krbError(kerr), SEC_E_LOGON_DENIED)
		}
		md, err := kerr.MethodData()
		if err != nil {
			return ASStep{}, sspi.Errorf(SEC_E_UNSUPPORTED_PREAUTH, "kerberos: PREAUTH_REQUIRED without METHOD-DATA: %w", err)
		}
		_, haveTS := md.Find(wire.PAEncTimestamp)
		_, haveInfo := md.Find(wire.PAETypeInfo2)
		switch {
		case !haveTS && !haveInfo:
			// MIT's KDC answers this way when the client has no key of
			// any enctype we offered: nothing password-based is possible.
			return ASStep{}, sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: the KDC offers neither PA-ENC-TIMESTAMP nor PA-ETYPE-INFO2: no key of an enctype in %v", x.enctypes)
		case !haveTS:
			return ASStep{}, sspi.Errorf(SEC_E_UNSUPPORTED_PREAUTH, "kerberos: the KDC does not offer PA-ENC-TIMESTAMP")
		}
		if err := x.chooseKey(md); err != nil {
			return ASStep{}, err
		}
		return x.sendPreauth()
	case wire.KRBAPErrSkew:
		// MIT retries once with the KDC's clock when pre-authentication
		// failed for skew (krb5_get_init_creds, "kdc_timesync").
		if x.state != asSentPreauth || x.skewRetry || kerr.STime.IsZero() {
			return ASStep{}, krbError(kerr)
		}
		x.skewRetry = true
		x.offset = kerr.STime.Add(time.Duration(kerr.SUSec) * time.Microsecond).Sub(x.cfg.Now())
		return x.sendPreauth()
	case wire.KRBErrResponseTooBig:
		if x.sent == nil {
			return ASStep{}, krbError(kerr)
		}
		return ASStep{Send: &KDCRequest{Realm: x.cfg.Realm, Message: x.sent, TCPOnly: true}}, nil
	case wire.KDCErrWrongRealm:
		if x.canonicalize() && kerr.CRealm != nil && *kerr.CRealm != "" && *kerr.CRealm != x.cfg.Realm {
			return x.referClient(*kerr.CRealm)
		}
	}
	return ASStep{}, krbError(kerr)
}

// canonicalize says whether the request lets the KDC change the client's
// name or realm.
func (x *ASExchange) canonicalize() bool {
	return x.cfg.KDCOptions&wire.KDCOptCanonicalize != 0
}

// referClient starts again at the realm a client referral names (RFC 6806
// section 7): KDC_ERR_WRONG_REALM whose crealm is the client's realm. The
// error is not authenticated, but the reply of the new realm must still
// decrypt with the client's key. Loops and long chains are refused as
// for service referrals.
func (x *ASExchange) referClient(realm string) (ASStep, error) {
	for _, r := range x.realms {
		if r == realm {
			return ASStep{}, sspi.Errorf(SEC_E_KDC_UNABLE_TO_REFER, "kerberos: client referral loop: back to realm %s", realm)
		}
	}
	if len(x.realms) > DefaultMaxReferrals {
		return ASStep{}, sspi.Errorf(SEC_E_MAX_REFERRALS_EXCEEDED, "kerberos: more than %d client referrals", DefaultMaxReferrals)
	}
	x.realms = append(x.realms, realm)
	x.cfg.Realm = realm
	// The salt names the realm: a key derived for the old one is wrong.
	x.key, x.keyType, x.offset, x.skewRetry = nil, 0, 0, false
	msg, err := x.request(nil)
	if err != nil {
		return ASStep{}, err
	}
	x.state = asSentPlain
	return ASStep{Send: &KDCRequest{Realm: realm, Message: msg}}, nil
}

// chooseKey picks the first PA-ETYPE-INFO2 entry we can use (the KDC lists
// its preference first) and derives the client key with its salt.
func (x *ASExchange) chooseKey(md wire.MethodData) error {
	p, ok := md.Find(wire.PAETypeInfo2)
	if !ok {
		// Without ETYPE-INFO2 RFC 4120 section 5.2.7.5 says to use the
		// default salt with our first enctype.
		return x.deriveKey(x.enctypes[0], nil, nil)
	}
	var info wire.ETypeInfo2
	if err := info.Unmarshal(p.Value); err != nil {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: malformed PA-ETYPE-INFO2: %w", err)
	}
	for _, entry := range info {
		if x.offered(entry.EType) {
			return x.deriveKey(entry.EType, entry.Salt, entry.S2KParams)
		}
	}
	return sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: the KDC offers no enctype we allow in PA-ETYPE-INFO2")
}

// keyEnctype is the enctype of the client key. Every path that sets
// x.keyType has looked it up already, but a miss must stay a status, never
// a nil dereference, if that ever changes.
func (x *ASExchange) keyEnctype() (*crypto.Enctype, error) {
	e, ok := crypto.Lookup(x.keyType)
	if !ok {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: client key of unknown enctype %d", x.keyType)
	}
	return e, nil
}

func (x *ASExchange) offered(id int32) bool {
	for _, e := range x.enctypes {
		if e == id {
			return true
		}
	}
	return false
}

// deriveKey runs string-to-key; a nil salt is the default salt of
// RFC 4120 section 4: the realm followed by the name components.
func (x *ASExchange) deriveKey(id int32, salt *string, params []byte) error {
	e, ok := crypto.Lookup(id)
	if !ok {
		return sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: enctype %d is not implemented", id)
	}
	s := x.cfg.Realm
	for _, c := range x.cfg.Client.NameString {
		s += c
	}
	if salt != nil {
		s = *salt
	}
	key, err := e.StringToKey(x.cfg.Password, s, params)
	if err != nil {
		return sspi.Errorf(SEC_E_KDC_INVALID_REQUEST, "kerberos: string-to-key: %w", err)
	}
	x.key, x.keyType = key, id
	return nil
}

// sendPreauth builds the AS-REQ with PA-ENC-TIMESTAMP (RFC 4120 section
// 5.2.7.2): our time, encrypted in the client key with usage 1.
func (x *ASExchange) sendPreauth() (ASStep, error) {
	now := x.cfg.Now().Add(x.offset)
	usec := int32(now.Nanosecond() / 1000)
	ts := wire.PAEncTSEnc{PATimestamp: now.Truncate(time.Second), PAUSec: &usec}
	plain, err := ts.Marshal()
	if err != nil {
		return ASStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	e, err := x.keyEnctype()
	if err != nil {
		return ASStep{}, err
	}
	cipher, err := e.Encrypt(x.key, crypto.UsageASReqPAEncTimestamp, plain)
	if err != nil {
		return ASStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	ed := wire.EncryptedData{EType: x.keyType, Cipher: cipher}
	value, err := ed.Marshal()
	if err != nil {
		return ASStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	msg, err := x.request(wire.MethodData{{Type: wire.PAEncTimestamp, Value: value}})
	if err != nil {
		return ASStep{}, err
	}
	x.state = asSentPreauth
	return ASStep{Send: &KDCRequest{Realm: x.cfg.Realm, Message: msg}}, nil
}

// request builds an AS-REQ with a fresh nonce.
func (x *ASExchange) request(padata wire.MethodData) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(x.cfg.Rand, n[:]); err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: nonce: %w", err)
	}
	// 31 bits, as MIT does, so no peer can misread it as negative.
	x.nonce = binary.BigEndian.Uint32(n[:]) & 0x7fffffff
	cname := x.cfg.Client
	// An empty PA-REQ-ENC-PA-REP asks the KDC to checksum this request
	// into its encrypted reply (RFC 6806 section 11), as MIT's client asks.
	padata = append(append(wire.MethodData(nil), padata...), wire.PAData{Type: wire.PAEncPAReqRep, Value: []byte{}})
	req := wire.KDCReq{
		MsgType: wire.TagASReq,
		PAData:  padata,
		ReqBody: wire.KDCReqBody{
			KDCOptions: x.cfg.KDCOptions,
			CName:      &cname,
			Realm:      x.cfg.Realm,
			SName:      &wire.PrincipalName{NameType: wire.NTSrvInst, NameString: []string{"krbtgt", x.cfg.Realm}},
			Till:       x.cfg.Now().Add(x.offset).Add(x.cfg.Lifetime).Truncate(time.Second),
			Nonce:      x.nonce,
			EType:      x.enctypes,
		},
	}
	msg, err := req.Marshal()
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	x.sent = msg
	return msg, nil
}

// onReply checks an AS-REP as RFC 4120 section 3.1.5 asks: it decrypts
// with the client key, answers our nonce, names our client and the
// service we asked for, and its times make sense.
func (x *ASExchange) onReply(rep *wire.KDCRep) (ASStep, error) {
	if !x.offered(rep.EncPart.EType) {
		return ASStep{}, sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: AS-REP encrypted with enctype %d, which we did not offer", rep.EncPart.EType)
	}
	if x.key == nil || x.keyType != rep.EncPart.EType {
		// No pre-authentication happened (or the KDC chose another
		// enctype): the salt comes with the reply, or is the default.
		var md wire.MethodData
		if rep.PAData != nil {
			md = rep.PAData
		}
		var salt *string
		var params []byte
		if p, ok := md.Find(wire.PAETypeInfo2); ok {
			var info wire.ETypeInfo2
			if err := info.Unmarshal(p.Value); err != nil {
				return ASStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: malformed PA-ETYPE-INFO2 in AS-REP: %w", err)
			}
			for _, e := range info {
				if e.EType == rep.EncPart.EType {
					salt, params = e.Salt, e.S2KParams
				}
			}
		}
		if err := x.deriveKey(rep.EncPart.EType, salt, params); err != nil {
			return ASStep{}, err
		}
	}
	e, err := x.keyEnctype()
	if err != nil {
		return ASStep{}, err
	}
	plain, err := e.Decrypt(x.key, crypto.UsageASRepEncPart, rep.EncPart.Cipher)
	if errors.Is(err, crypto.ErrIntegrity) {
		// Not our key: the password is wrong (RFC 4120 3.1.5).
		return ASStep{}, sspi.Errorf(SEC_E_LOGON_DENIED, "kerberos: the AS-REP does not decrypt with the password's key")
	}
	if err != nil {
		return ASStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: AS-REP enc-part: %w", err)
	}
	var part wire.EncKDCRepPart
	if err := part.Unmarshal(plain); err != nil {
		return ASStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: AS-REP enc-part: %w", err)
	}
	if part.Nonce != x.nonce {
		return ASStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: AS-REP nonce %d does not answer our %d (a replayed reply?)", part.Nonce, x.nonce)
	}
	if err := x.checkNames(rep, &part); err != nil {
		return ASStep{}, err
	}
	verified := false
	if part.Flags&wire.TktFlagEncPARep != 0 {
		if err := x.verifyEncPARep(&part); err != nil {
			return ASStep{}, err
		}
		verified = true
	}
	if ke, ok := crypto.Lookup(part.Key.KeyType); !ok || len(part.Key.KeyValue) != ke.KeySize {
		return ASStep{}, sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: AS-REP session key of type %d is unusable", part.Key.KeyType)
	}
	if !part.EndTime.After(part.AuthTime) {
		return ASStep{}, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: AS-REP ticket ends (%v) before it begins (%v)", part.EndTime, part.AuthTime)
	}
	// The nonce, not the clock, is what shows the reply is fresh; the
	// KDC's authtime only gives its clock, kept for later requests as
	// MIT's kdc_timesync does.
	offset := part.AuthTime.Sub(x.cfg.Now().Truncate(time.Second))
	tb, err := rep.Ticket.Marshal()
	if err != nil {
		return ASStep{}, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	x.state = asDone
	return ASStep{Result: &ASResult{
		CRealm: rep.CRealm, CName: rep.CName, Ticket: rep.Ticket, TicketBytes: tb, Part: part,
		ClientKey: x.key, ClientEnctype: x.keyType, KDCOffset: offset, RequestVerified: verified,
	}}, nil
}

// checkNames checks the reply's names as RFC 4120 section 3.1.5 and
// RFC 6806 section 5 ask, and as MIT's verify_as_reply does. Without
// canonicalize the client and the server are those of the request; with
// it the KDC may give the client's canonical name and realm and a TGT of
// its realm, krbtgt/R@R. Either way the encrypted part names the same
// server, in the same realm, as the ticket.
func (x *ASExchange) checkNames(rep *wire.KDCRep, part *wire.EncKDCRepPart) error {
	if part.SRealm != rep.Ticket.Realm || !sameComponents(part.SName, rep.Ticket.SName) {
		return sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: AS-REP enc-part names %v@%s, its ticket %v@%s", part.SName.NameString, part.SRealm, rep.Ticket.SName.NameString, rep.Ticket.Realm)
	}
	if !x.canonicalize() {
		if rep.CRealm != x.cfg.Realm || !rep.CName.Equal(x.cfg.Client) {
			return sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: AS-REP is for %v@%s, not the client we asked for", rep.CName.NameString, rep.CRealm)
		}
		want := wire.PrincipalName{NameType: wire.NTSrvInst, NameString: []string{"krbtgt", x.cfg.Realm}}
		if part.SRealm != x.cfg.Realm || !sameComponents(part.SName, want) {
			return sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: AS-REP ticket is for %v@%s, not krbtgt/%s", part.SName.NameString, part.SRealm, x.cfg.Realm)
		}
		return nil
	}
	if rep.CRealm == "" || len(rep.CName.NameString) == 0 {
		return sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: AS-REP names no client")
	}
	if r, ok := tgsRealm(part.SName); !ok || r != part.SRealm || r == "" {
		return sspi.Errorf(sspi.SEC_E_WRONG_PRINCIPAL, "kerberos: AS-REP ticket is for %v@%s, which is no TGT of its realm", part.SName.NameString, part.SRealm)
	}
	return nil
}

// verifyEncPARep checks the KDC's PA-REQ-ENC-PA-REP (RFC 6806 section
// 11): a checksum, keyed with the reply key and the enctype's own
// checksum type, of the AS-REQ this reply answers, with key usage 56.
// The reply's encryption already proves the KDC; this proves the request
// it answered is the one we sent.
func (x *ASExchange) verifyEncPARep(part *wire.EncKDCRepPart) error {
	p, ok := part.EncPAData.Find(wire.PAEncPAReqRep)
	if !ok {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: the AS-REP has the enc-pa-rep flag but no PA-REQ-ENC-PA-REP")
	}
	var ck wire.Checksum
	if err := ck.Unmarshal(p.Value); err != nil {
		return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: malformed PA-REQ-ENC-PA-REP: %w", err)
	}
	e, err := x.keyEnctype()
	if err != nil {
		return err
	}
	if ck.CksumType != e.ChecksumType {
		return sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: PA-REQ-ENC-PA-REP checksum type %d, not the reply key's %d", ck.CksumType, e.ChecksumType)
	}
	ct, ok := crypto.LookupChecksum(ck.CksumType)
	if !ok {
		return sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: PA-REQ-ENC-PA-REP checksum type %d is unknown", ck.CksumType)
	}
	if err := ct.Verify(x.key, crypto.UsageASReq, x.sent, ck.Checksum); err != nil {
		return sspi.Errorf(sspi.SEC_E_MESSAGE_ALTERED, "kerberos: the KDC's checksum of our AS-REQ does not match: the request was changed in transit")
	}
	return nil
}

func sameComponents(a, b wire.PrincipalName) bool {
	if len(a.NameString) != len(b.NameString) {
		return false
	}
	for i := range a.NameString {
		if a.NameString[i] != b.NameString[i] {
			return false
		}
	}
	return true
}

// String names the step for logs.
func (s Step[R]) String() string {
	if s.Send != nil {
		return fmt.Sprintf("send %d bytes to a KDC of %s", len(s.Send.Message), s.Send.Realm)
	}
	return "done"
}
