package engine

import (
	"bytes"
	"crypto/rand"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
)

// fakeKDC is a KDC for one user, written from RFC 4120 with the wire and
// crypto packages, so the AS exchange can be driven through every branch
// without a network. Hostile tests change its knobs or its reply.
type fakeKDC struct {
	t        testing.TB
	realm    string
	user     string
	password string
	salt     string
	// keys are the enctypes the KDC holds for the user, its preference
	// first.
	keys           []int32
	requirePreauth bool
	// s2kParams go out in PA-ETYPE-INFO2; nil is the enctype default.
	s2kParams []byte
	// now is the KDC's clock; skew its tolerance.
	now  time.Time
	skew time.Duration
	// answer, when set, replaces the whole reply.
	answer func(req *wire.KDCReq) []byte
	// mutate changes the AS-REP and its encrypted part before sealing.
	mutate func(rep *wire.KDCRep, part *wire.EncKDCRepPart)
	// seen counts requests; preauthOK records that a timestamp verified.
	seen      int
	preauthOK bool
	tgsKey    []byte
	// services are the service keys (aes256) by "name/instance".
	services map[string][]byte
	// mutateTGS changes the TGS-REP and its encrypted part; replyKey,
	// when set, is used instead of the client's subkey.
	mutateTGS func(rep *wire.KDCRep, part *wire.EncKDCRepPart)
	replyKey  []byte
	// lastTGS is the authenticator of the last TGS-REQ.
	lastTGS wire.Authenticator
	// inbound are the keys of cross-realm TGTs this KDC accepts, by the
	// realm that issued them (krbtgt/THIS@OTHER's key under OTHER).
	inbound map[string][]byte
	// refer sends a canonicalize request for a service it does not hold
	// to another realm: "name/instance" to REALM, answered with
	// krbtgt/REALM (whose key must be in services).
	refer map[string]string
	// aliases resolve other client names (an enterprise name) to user
	// when the request asks for canonicalisation.
	aliases map[string]string
	// referClient answers a canonicalize AS-REQ with KDC_ERR_WRONG_REALM
	// naming this realm (a client referral, RFC 6806 section 7).
	referClient string
	// noEncPARep leaves PA-REQ-ENC-PA-REP unanswered, as a KDC that does
	// not implement RFC 6806 section 11.
	noEncPARep bool
	// refuseCanonicalize answers a TGS-REQ with the canonicalize option
	// KDC_ERR_BADOPTION, as a KDC without RFC 6806 may.
	refuseCanonicalize bool
	// mutateTicket changes a service ticket's encrypted part before the
	// TGS seals it.
	mutateTicket func(*wire.EncTicketPart)
	// requests records the server names asked for, "name@REALM", with
	// "+c" when canonicalize was set.
	requests []string
}

func newFakeKDC(t testing.TB) *fakeKDC {
	return &fakeKDC{
		t: t, realm: "TEST.LOCAL", user: "user", password: "p4ssw0rd", salt: "TEST.LOCALuser",
		keys:           []int32{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196},
		requirePreauth: true,
		now:            time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
		skew:           5 * time.Minute,
		tgsKey:         make([]byte, 32),
		services:       map[string][]byte{"host/localhost": bytes.Repeat([]byte{7}, 32)},
	}
}

func (k *fakeKDC) userKey(id int32) []byte {
	e, _ := crypto.Lookup(id)
	key, err := e.StringToKey(k.password, k.salt, k.s2kParams)
	if err != nil {
		k.t.Fatal(err)
	}
	return key
}

func (k *fakeKDC) marshal(m interface{ Marshal() ([]byte, error) }) []byte {
	b, err := m.Marshal()
	if err != nil {
		k.t.Fatal(err)
	}
	return b
}

func (k *fakeKDC) error(code int32, edata []byte) []byte {
	e := wire.KRBError{
		STime: k.now, SUSec: 0, ErrorCode: code, Realm: k.realm,
		SName: wire.PrincipalName{NameType: wire.NTSrvInst, NameString: []string{"krbtgt", k.realm}},
		EData: edata,
	}
	return k.marshal(&e)
}

func (k *fakeKDC) etypeInfo2() []byte {
	var info wire.ETypeInfo2
	for _, id := range k.keys {
		salt := k.salt
		info = append(info, wire.ETypeInfo2Entry{EType: id, Salt: &salt, S2KParams: k.s2kParams})
	}
	return k.marshal(&info)
}

func (k *fakeKDC) handle(msg []byte) []byte {
	k.seen++
	var req wire.KDCReq
	if err := req.Unmarshal(msg); err != nil {
		k.t.Fatalf("the client sent a malformed AS-REQ: %v", err)
	}
	if k.answer != nil {
		return k.answer(&req)
	}
	if req.MsgType == wire.TagTGSReq {
		return k.handleTGS(&req)
	}
	canon := req.ReqBody.KDCOptions&wire.KDCOptCanonicalize != 0
	if canon && k.referClient != "" {
		e := wire.KRBError{STime: k.now, ErrorCode: wire.KDCErrWrongRealm, CRealm: &k.referClient, Realm: k.realm,
			SName: wire.PrincipalName{NameType: wire.NTSrvInst, NameString: []string{"krbtgt", k.realm}}}
		return k.marshal(&e)
	}
	cname := req.ReqBody.CName
	if cname != nil && len(cname.NameString) == 1 && canon && k.aliases[cname.NameString[0]] == k.user {
		cname = &wire.PrincipalName{NameType: wire.NTPrincipal, NameString: []string{k.user}}
	}
	if cname == nil || len(cname.NameString) != 1 || cname.NameString[0] != k.user {
		return k.error(wire.KDCErrCPrincipalUnknown, nil)
	}
	// The enctype: the client's first that the KDC has a key for.
	var etype int32
	for _, want := range req.ReqBody.EType {
		for _, have := range k.keys {
			if want == have && etype == 0 {
				etype = want
			}
		}
	}
	if etype == 0 {
		return k.error(wire.KDCErrETypeNoSupp, nil)
	}
	pa, havePA := req.PAData.Find(wire.PAEncTimestamp)
	if havePA {
		var ed wire.EncryptedData
		if err := ed.Unmarshal(pa.Value); err != nil {
			return k.error(wire.KDCErrPreauthFailed, nil)
		}
		e, ok := crypto.Lookup(ed.EType)
		if !ok {
			return k.error(wire.KDCErrETypeNoSupp, nil)
		}
		plain, err := e.Decrypt(k.userKey(ed.EType), crypto.UsageASReqPAEncTimestamp, ed.Cipher)
		if err != nil {
			return k.error(wire.KDCErrPreauthFailed, nil)
		}
		var ts wire.PAEncTSEnc
		if err := ts.Unmarshal(plain); err != nil {
			return k.error(wire.KDCErrPreauthFailed, nil)
		}
		if d := ts.PATimestamp.Sub(k.now); d > k.skew || d < -k.skew {
			return k.error(wire.KRBAPErrSkew, nil)
		}
		k.preauthOK = true
		etype = ed.EType
	} else if k.requirePreauth {
		md := wire.MethodData{
			{Type: wire.PAEncTimestamp, Value: []byte{}},
			{Type: wire.PAETypeInfo2, Value: k.etypeInfo2()},
		}
		return k.error(wire.KDCErrPreauthRequired, k.marshal(&md))
	}

	session := make([]byte, 32)
	_, _ = rand.Read(session)
	tgs := wire.PrincipalName{NameType: wire.NTSrvInst, NameString: []string{"krbtgt", k.realm}}
	etp := wire.EncTicketPart{
		Flags:  wire.TktFlagInitial | wire.TktFlagPreAuthent,
		Key:    wire.EncryptionKey{KeyType: crypto.AES256CTSHMACSHA196, KeyValue: session},
		CRealm: k.realm, CName: *cname,
		Transited: wire.TransitedEncoding{TRType: 1, Contents: []byte{}},
		AuthTime:  k.now, EndTime: k.now.Add(10 * time.Hour),
	}
	aes256, _ := crypto.Lookup(crypto.AES256CTSHMACSHA196)
	tc, err := aes256.Encrypt(k.tgsKey, crypto.UsageKDCRepTicket, k.marshal(&etp))
	if err != nil {
		k.t.Fatal(err)
	}
	part := wire.EncKDCRepPart{
		Tag: wire.TagEncASRepPart, Key: etp.Key, LastReq: wire.LastReq{},
		Nonce: req.ReqBody.Nonce, Flags: etp.Flags, AuthTime: k.now, EndTime: etp.EndTime,
		SRealm: k.realm, SName: tgs,
	}
	rep := wire.KDCRep{
		MsgType: wire.TagASRep, CRealm: k.realm, CName: *cname,
		Ticket: wire.Ticket{Realm: k.realm, SName: tgs, EncPart: wire.EncryptedData{EType: crypto.AES256CTSHMACSHA196, Cipher: tc}},
	}
	if !havePA {
		rep.PAData = wire.MethodData{{Type: wire.PAETypeInfo2, Value: k.etypeInfo2()}}
	}
	if _, asked := req.PAData.Find(wire.PAEncPAReqRep); asked && !k.noEncPARep {
		// RFC 6806 section 11: the request's checksum, in the reply key.
		e, _ := crypto.Lookup(etype)
		ct, _ := crypto.LookupChecksum(e.ChecksumType)
		sum, err := ct.Checksum(k.userKey(etype), crypto.UsageASReq, msg)
		if err != nil {
			k.t.Fatal(err)
		}
		ck := wire.Checksum{CksumType: e.ChecksumType, Checksum: sum}
		part.Flags |= wire.TktFlagEncPARep
		part.EncPAData = wire.MethodData{{Type: wire.PAEncPAReqRep, Value: k.marshal(&ck)}}
	}
	if k.mutate != nil {
		k.mutate(&rep, &part)
	}
	e, _ := crypto.Lookup(etype)
	c, err := e.Encrypt(k.userKey(etype), crypto.UsageASRepEncPart, k.marshal(&part))
	if err != nil {
		k.t.Fatal(err)
	}
	if rep.EncPart.Cipher == nil {
		rep.EncPart = wire.EncryptedData{EType: etype, Cipher: c}
	}
	return k.marshal(&rep)
}

// run drives an exchange against the fake KDC until it finishes, at most
// five round trips.
func (k *fakeKDC) run(cfg ASConfig) (*ASResult, error) {
	x, err := NewAS(cfg)
	if err != nil {
		return nil, err
	}
	step, err := x.Start()
	for i := 0; err == nil && step.Send != nil; i++ {
		if i == 5 {
			k.t.Fatal("the exchange did not finish in five round trips")
		}
		if step.Send.Realm != k.realm {
			k.t.Fatalf("request for realm %q", step.Send.Realm)
		}
		step, err = x.Receive(k.handle(bytes.Clone(step.Send.Message)))
	}
	if err != nil {
		return nil, err
	}
	return step.Result, nil
}

func (k *fakeKDC) config() ASConfig {
	return ASConfig{
		Client:   wire.PrincipalName{NameType: wire.NTPrincipal, NameString: []string{k.user}},
		Realm:    k.realm,
		Password: k.password,
		Now:      func() time.Time { return k.now },
	}
}

// handleTGS checks a TGS-REQ as a KDC must (RFC 4120 section 3.3.2): the
// TGT decrypts with the TGS key, the authenticator with its session key,
// and the authenticator's checksum covers the request body.
func (k *fakeKDC) handleTGS(req *wire.KDCReq) []byte {
	pa, ok := req.PAData.Find(wire.PATGSReq)
	if !ok {
		k.t.Fatal("TGS-REQ without PA-TGS-REQ")
	}
	var ap wire.APReq
	if err := ap.Unmarshal(pa.Value); err != nil {
		k.t.Fatalf("PA-TGS-REQ: %v", err)
	}
	aes256, _ := crypto.Lookup(crypto.AES256CTSHMACSHA196)
	tgtKey := k.tgsKey
	if ap.Ticket.Realm != k.realm {
		if tgtKey = k.inbound[ap.Ticket.Realm]; tgtKey == nil {
			return k.error(wire.KRBAPErrBadIntegrity, nil)
		}
	}
	plain, err := aes256.Decrypt(tgtKey, crypto.UsageKDCRepTicket, ap.Ticket.EncPart.Cipher)
	if err != nil {
		return k.error(wire.KRBAPErrBadIntegrity, nil)
	}
	var tgt wire.EncTicketPart
	if err := tgt.Unmarshal(plain); err != nil {
		k.t.Fatal(err)
	}
	se, _ := crypto.Lookup(tgt.Key.KeyType)
	plain, err = se.Decrypt(tgt.Key.KeyValue, crypto.UsageTGSReqPAAuthenticator, ap.Authenticator.Cipher)
	if err != nil {
		return k.error(wire.KRBAPErrBadIntegrity, nil)
	}
	var auth wire.Authenticator
	if err := auth.Unmarshal(plain); err != nil {
		k.t.Fatal(err)
	}
	k.lastTGS = auth
	body, err := req.ReqBody.Marshal()
	if err != nil {
		k.t.Fatal(err)
	}
	ck, ok := crypto.LookupChecksum(auth.Cksum.CksumType)
	if !ok || ck.Verify(tgt.Key.KeyValue, crypto.UsageTGSReqPAAuthCksum, body, auth.Cksum.Checksum) != nil {
		return k.error(wire.KRBAPErrModified, nil)
	}
	if !auth.CName.Equal(tgt.CName) {
		return k.error(wire.KRBAPErrBadMatch, nil)
	}
	name := ""
	for i, c := range req.ReqBody.SName.NameString {
		if i > 0 {
			name += "/"
		}
		name += c
	}
	sname := *req.ReqBody.SName
	canon := req.ReqBody.KDCOptions&wire.KDCOptCanonicalize != 0
	if canon {
		k.requests = append(k.requests, name+"@"+req.ReqBody.Realm+"+c")
	} else {
		k.requests = append(k.requests, name+"@"+req.ReqBody.Realm)
	}
	// A TGT for a realm on the way may come back without canonicalize
	// (RFC 4120 section 3.3.1); a service referral only with it.
	if canon && k.refuseCanonicalize {
		k.requests[len(k.requests)-1] = "refused"
		return k.error(wire.KDCErrBadOption, nil)
	}
	if ref, ok := k.refer[name]; ok && (canon || len(sname.NameString) == 2 && sname.NameString[0] == "krbtgt") {
		name = "krbtgt/" + ref
		sname = wire.PrincipalName{NameType: wire.NTSrvInst, NameString: []string{"krbtgt", ref}}
	}
	svcKey, ok := k.services[name]
	if !ok {
		return k.error(wire.KDCErrSPrincipalUnknown, nil)
	}
	session := make([]byte, 32)
	_, _ = rand.Read(session)
	etp := wire.EncTicketPart{
		Key:    wire.EncryptionKey{KeyType: crypto.AES256CTSHMACSHA196, KeyValue: session},
		CRealm: tgt.CRealm, CName: tgt.CName,
		Transited: wire.TransitedEncoding{TRType: 1, Contents: []byte{}},
		AuthTime:  tgt.AuthTime, EndTime: tgt.EndTime,
	}
	if k.mutateTicket != nil {
		k.mutateTicket(&etp)
	}
	tc, err := aes256.Encrypt(svcKey, crypto.UsageKDCRepTicket, k.marshal(&etp))
	if err != nil {
		k.t.Fatal(err)
	}
	part := wire.EncKDCRepPart{
		Tag: wire.TagEncTGSRepPart, Key: etp.Key, LastReq: wire.LastReq{}, Nonce: req.ReqBody.Nonce,
		AuthTime: etp.AuthTime, EndTime: etp.EndTime, SRealm: k.realm, SName: sname,
	}
	rep := wire.KDCRep{
		MsgType: wire.TagTGSRep, CRealm: tgt.CRealm, CName: tgt.CName,
		Ticket: wire.Ticket{Realm: k.realm, SName: sname, EncPart: wire.EncryptedData{EType: crypto.AES256CTSHMACSHA196, Cipher: tc}},
	}
	if k.mutateTGS != nil {
		k.mutateTGS(&rep, &part)
	}
	key := auth.Subkey.KeyValue
	if k.replyKey != nil {
		key = k.replyKey
	}
	c, err := se.Encrypt(key, crypto.UsageTGSRepEncPartSubkey, k.marshal(&part))
	if err != nil {
		k.t.Fatal(err)
	}
	rep.EncPart = wire.EncryptedData{EType: se.ID, Cipher: c}
	return k.marshal(&rep)
}

// runTGS gets a TGT from the fake KDC, then a ticket for service.
func (k *fakeKDC) runTGS(service []string, edit func(*TGSConfig)) (*TGSResult, error) {
	as, err := k.run(k.config())
	if err != nil {
		k.t.Fatal(err)
	}
	cfg := TGSConfig{
		Client: as.CName, CRealm: as.CRealm, TGT: as.Ticket, TGTKey: as.Part.Key,
		Service: wire.PrincipalName{NameType: wire.NTSrvHst, NameString: service},
		Now:     func() time.Time { return k.now },
	}
	if edit != nil {
		edit(&cfg)
	}
	x, err := NewTGS(cfg)
	if err != nil {
		return nil, err
	}
	step, err := x.Start()
	if err != nil {
		return nil, err
	}
	step, err = x.Receive(k.handle(step.Send.Message))
	if err != nil {
		return nil, err
	}
	if step.Send != nil {
		k.t.Fatal("TGS exchange wants another round trip")
	}
	return step.Result, nil
}
