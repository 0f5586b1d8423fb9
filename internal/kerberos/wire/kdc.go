package wire

import (
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// KDCReqBody is RFC 4120 section 5.4.1:
//
//	KDC-REQ-BODY    ::= SEQUENCE {
//	        kdc-options             [0] KDCOptions,
//	        cname                   [1] PrincipalName OPTIONAL,
//	        realm                   [2] Realm,
//	        sname                   [3] PrincipalName OPTIONAL,
//	        from                    [4] KerberosTime OPTIONAL,
//	        till                    [5] KerberosTime,
//	        rtime                   [6] KerberosTime OPTIONAL,
//	        nonce                   [7] UInt32,
//	        etype                   [8] SEQUENCE OF Int32,
//	        addresses               [9] HostAddresses OPTIONAL,
//	        enc-authorization-data  [10] EncryptedData OPTIONAL,
//	        additional-tickets      [11] SEQUENCE OF Ticket OPTIONAL }
type KDCReqBody struct {
	KDCOptions           uint32
	CName                *PrincipalName
	Realm                string
	SName                *PrincipalName
	From                 time.Time
	Till                 time.Time
	RTime                time.Time
	Nonce                uint32
	EType                []int32
	Addresses            HostAddresses
	EncAuthorizationData *EncryptedData
	AdditionalTickets    []Ticket
}

func (m *KDCReqBody) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		addFlags(b, 0, m.KDCOptions)
		if m.CName != nil {
			addCodec(b, 1, m.CName)
		}
		addString(b, 2, m.Realm)
		if m.SName != nil {
			addCodec(b, 3, m.SName)
		}
		if !m.From.IsZero() {
			addTime(b, 4, m.From)
		}
		addTime(b, 5, m.Till)
		if !m.RTime.IsZero() {
			addTime(b, 6, m.RTime)
		}
		addInt(b, 7, int64(m.Nonce))
		addExplicit(b, 8, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
				for _, e := range m.EType {
					b.AddASN1Int64(int64(e))
				}
			})
		})
		if m.Addresses != nil {
			addCodec(b, 9, &m.Addresses)
		}
		if m.EncAuthorizationData != nil {
			addCodec(b, 10, m.EncAuthorizationData)
		}
		if m.AdditionalTickets != nil {
			addExplicit(b, 11, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
					for i := range m.AdditionalTickets {
						m.AdditionalTickets[i].build(b)
					}
				})
			})
		}
	})
}

func (m *KDCReqBody) parse(s *cryptobyte.String) error {
	seq, err := readSequence(s, "KDC-REQ-BODY")
	if err != nil {
		return err
	}
	if m.KDCOptions, err = readFlags(&seq, 0); err != nil {
		return fieldError("KDC-REQ-BODY kdc-options", err)
	}
	if seq.PeekASN1Tag(ctxTag(1)) {
		m.CName = new(PrincipalName)
		if err := readCodec(&seq, 1, m.CName); err != nil {
			return fieldError("KDC-REQ-BODY cname", err)
		}
	}
	if m.Realm, err = readString(&seq, 2); err != nil {
		return fieldError("KDC-REQ-BODY realm", err)
	}
	if seq.PeekASN1Tag(ctxTag(3)) {
		m.SName = new(PrincipalName)
		if err := readCodec(&seq, 3, m.SName); err != nil {
			return fieldError("KDC-REQ-BODY sname", err)
		}
	}
	if m.From, err = readOptionalTime(&seq, 4); err != nil {
		return fieldError("KDC-REQ-BODY from", err)
	}
	if m.Till, err = readTime(&seq, 5); err != nil {
		return fieldError("KDC-REQ-BODY till", err)
	}
	if m.RTime, err = readOptionalTime(&seq, 6); err != nil {
		return fieldError("KDC-REQ-BODY rtime", err)
	}
	if m.Nonce, err = readUInt32(&seq, 7); err != nil {
		return fieldError("KDC-REQ-BODY nonce", err)
	}
	inner, err := readExplicit(&seq, 8)
	if err != nil {
		return fieldError("KDC-REQ-BODY etype", err)
	}
	m.EType = []int32{}
	err = parseSequenceOf(&inner, "etype", func(s *cryptobyte.String) error {
		var v int64
		if !s.ReadASN1Int64WithTag(&v, asn1.INTEGER) || v < -1<<31 || v > 1<<31-1 {
			return errorf("not an Int32")
		}
		m.EType = append(m.EType, int32(v))
		return nil
	})
	if err != nil {
		return err
	}
	if err := done(inner, 8); err != nil {
		return err
	}
	if seq.PeekASN1Tag(ctxTag(9)) {
		if err := readCodec(&seq, 9, &m.Addresses); err != nil {
			return fieldError("KDC-REQ-BODY addresses", err)
		}
	}
	if seq.PeekASN1Tag(ctxTag(10)) {
		m.EncAuthorizationData = new(EncryptedData)
		if err := readCodec(&seq, 10, m.EncAuthorizationData); err != nil {
			return fieldError("KDC-REQ-BODY enc-authorization-data", err)
		}
	}
	if seq.PeekASN1Tag(ctxTag(11)) {
		inner, err := readExplicit(&seq, 11)
		if err != nil {
			return err
		}
		m.AdditionalTickets = []Ticket{}
		err = parseSequenceOf(&inner, "additional-tickets", func(s *cryptobyte.String) error {
			var t Ticket
			err := t.parse(s)
			m.AdditionalTickets = append(m.AdditionalTickets, t)
			return err
		})
		if err != nil {
			return err
		}
		if err := done(inner, 11); err != nil {
			return err
		}
	}
	return endSequence(seq, "KDC-REQ-BODY")
}

// Marshal encodes the KDC-REQ-BODY as DER; the TGS-REQ authenticator's
// checksum is computed over exactly these bytes.
func (m *KDCReqBody) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER KDC-REQ-BODY.
func (m *KDCReqBody) Unmarshal(b []byte) error { return unmarshal(b, m) }

// KDCReq is AS-REQ ([APPLICATION 10]) or TGS-REQ ([APPLICATION 12]),
// RFC 4120 section 5.4.1:
//
//	KDC-REQ         ::= SEQUENCE {
//	        -- NOTE: first tag is [1], not [0]
//	        pvno            [1] INTEGER (5) ,
//	        msg-type        [2] INTEGER (10 -- AS -- | 12 -- TGS --),
//	        padata          [3] SEQUENCE OF PA-DATA OPTIONAL,
//	        req-body        [4] KDC-REQ-BODY }
//
// MsgType, TagASReq or TagTGSReq, chooses the application tag.
type KDCReq struct {
	MsgType int
	PAData  MethodData
	ReqBody KDCReqBody
}

func (m *KDCReq) build(b *cryptobyte.Builder) {
	if m.MsgType != TagASReq && m.MsgType != TagTGSReq {
		b.SetError(errorf("KDC-REQ msg-type %d is neither AS-REQ nor TGS-REQ", m.MsgType))
		return
	}
	buildApp(b, m.MsgType, func(b *cryptobyte.Builder) {
		addInt(b, 1, PVNO)
		addInt(b, 2, int64(m.MsgType))
		if m.PAData != nil {
			addCodec(b, 3, &m.PAData)
		}
		addCodec(b, 4, &m.ReqBody)
	})
}

func (m *KDCReq) parse(s *cryptobyte.String) error {
	m.MsgType = TagASReq
	if s.PeekASN1Tag(appTag(TagTGSReq)) {
		m.MsgType = TagTGSReq
	}
	seq, err := readApp(s, m.MsgType, "KDC-REQ")
	if err != nil {
		return err
	}
	if err := readVersion(&seq, 1, "KDC-REQ"); err != nil {
		return err
	}
	if err := readMsgType(&seq, 2, m.MsgType, "KDC-REQ"); err != nil {
		return err
	}
	if seq.PeekASN1Tag(ctxTag(3)) {
		if err := readCodec(&seq, 3, &m.PAData); err != nil {
			return fieldError("KDC-REQ padata", err)
		}
	}
	if err := readCodec(&seq, 4, &m.ReqBody); err != nil {
		return fieldError("KDC-REQ req-body", err)
	}
	return endSequence(seq, "KDC-REQ")
}

// Marshal encodes the AS-REQ or TGS-REQ as DER.
func (m *KDCReq) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER AS-REQ or TGS-REQ.
func (m *KDCReq) Unmarshal(b []byte) error { return unmarshal(b, m) }

// KDCRep is AS-REP ([APPLICATION 11]) or TGS-REP ([APPLICATION 13]),
// RFC 4120 section 5.4.2:
//
//	KDC-REP         ::= SEQUENCE {
//	        pvno            [0] INTEGER (5),
//	        msg-type        [1] INTEGER (11 -- AS -- | 13 -- TGS --),
//	        padata          [2] SEQUENCE OF PA-DATA OPTIONAL,
//	        crealm          [3] Realm,
//	        cname           [4] PrincipalName,
//	        ticket          [5] Ticket,
//	        enc-part        [6] EncryptedData }
type KDCRep struct {
	MsgType int
	PAData  MethodData
	CRealm  string
	CName   PrincipalName
	Ticket  Ticket
	EncPart EncryptedData
}

func (m *KDCRep) build(b *cryptobyte.Builder) {
	if m.MsgType != TagASRep && m.MsgType != TagTGSRep {
		b.SetError(errorf("KDC-REP msg-type %d is neither AS-REP nor TGS-REP", m.MsgType))
		return
	}
	buildApp(b, m.MsgType, func(b *cryptobyte.Builder) {
		addInt(b, 0, PVNO)
		addInt(b, 1, int64(m.MsgType))
		if m.PAData != nil {
			addCodec(b, 2, &m.PAData)
		}
		addString(b, 3, m.CRealm)
		addCodec(b, 4, &m.CName)
		addCodec(b, 5, &m.Ticket)
		addCodec(b, 6, &m.EncPart)
	})
}

func (m *KDCRep) parse(s *cryptobyte.String) error {
	m.MsgType = TagASRep
	if s.PeekASN1Tag(appTag(TagTGSRep)) {
		m.MsgType = TagTGSRep
	}
	seq, err := readApp(s, m.MsgType, "KDC-REP")
	if err != nil {
		return err
	}
	if err := readVersion(&seq, 0, "KDC-REP"); err != nil {
		return err
	}
	if err := readMsgType(&seq, 1, m.MsgType, "KDC-REP"); err != nil {
		return err
	}
	if seq.PeekASN1Tag(ctxTag(2)) {
		if err := readCodec(&seq, 2, &m.PAData); err != nil {
			return fieldError("KDC-REP padata", err)
		}
	}
	if m.CRealm, err = readString(&seq, 3); err != nil {
		return fieldError("KDC-REP crealm", err)
	}
	if err := readCodec(&seq, 4, &m.CName); err != nil {
		return fieldError("KDC-REP cname", err)
	}
	if err := readCodec(&seq, 5, &m.Ticket); err != nil {
		return fieldError("KDC-REP ticket", err)
	}
	if err := readCodec(&seq, 6, &m.EncPart); err != nil {
		return fieldError("KDC-REP enc-part", err)
	}
	return endSequence(seq, "KDC-REP")
}

// Marshal encodes the AS-REP or TGS-REP as DER.
func (m *KDCRep) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER AS-REP or TGS-REP.
func (m *KDCRep) Unmarshal(b []byte) error { return unmarshal(b, m) }

// EncKDCRepPart is EncASRepPart ([APPLICATION 25]) or EncTGSRepPart
// ([APPLICATION 26]), RFC 4120 section 5.4.2, with RFC 6806's
// encrypted-pa-data:
//
//	EncKDCRepPart   ::= SEQUENCE {
//	        key             [0] EncryptionKey,
//	        last-req        [1] LastReq,
//	        nonce           [2] UInt32,
//	        key-expiration  [3] KerberosTime OPTIONAL,
//	        flags           [4] TicketFlags,
//	        authtime        [5] KerberosTime,
//	        starttime       [6] KerberosTime OPTIONAL,
//	        endtime         [7] KerberosTime,
//	        renew-till      [8] KerberosTime OPTIONAL,
//	        srealm          [9] Realm,
//	        sname           [10] PrincipalName,
//	        caddr           [11] HostAddresses OPTIONAL,
//	        encrypted-pa-data [12] METHOD-DATA OPTIONAL }
//
// Tag records which application tag was used: RFC 4120 section 5.4.2 notes
// that some implementations send EncTGSRepPart in AS replies, and that
// receivers should accept either.
type EncKDCRepPart struct {
	Tag           int
	Key           EncryptionKey
	LastReq       LastReq
	Nonce         uint32
	KeyExpiration time.Time
	Flags         uint32
	AuthTime      time.Time
	StartTime     time.Time
	EndTime       time.Time
	RenewTill     time.Time
	SRealm        string
	SName         PrincipalName
	CAddr         HostAddresses
	EncPAData     MethodData
}

func (m *EncKDCRepPart) build(b *cryptobyte.Builder) {
	if m.Tag != TagEncASRepPart && m.Tag != TagEncTGSRepPart {
		b.SetError(errorf("EncKDCRepPart tag %d is neither 25 nor 26", m.Tag))
		return
	}
	buildApp(b, m.Tag, func(b *cryptobyte.Builder) {
		addCodec(b, 0, &m.Key)
		addCodec(b, 1, &m.LastReq)
		addInt(b, 2, int64(m.Nonce))
		if !m.KeyExpiration.IsZero() {
			addTime(b, 3, m.KeyExpiration)
		}
		addFlags(b, 4, m.Flags)
		addTime(b, 5, m.AuthTime)
		if !m.StartTime.IsZero() {
			addTime(b, 6, m.StartTime)
		}
		addTime(b, 7, m.EndTime)
		if !m.RenewTill.IsZero() {
			addTime(b, 8, m.RenewTill)
		}
		addString(b, 9, m.SRealm)
		addCodec(b, 10, &m.SName)
		if m.CAddr != nil {
			addCodec(b, 11, &m.CAddr)
		}
		if m.EncPAData != nil {
			addCodec(b, 12, &m.EncPAData)
		}
	})
}

func (m *EncKDCRepPart) parse(s *cryptobyte.String) error {
	m.Tag = TagEncASRepPart
	if s.PeekASN1Tag(appTag(TagEncTGSRepPart)) {
		m.Tag = TagEncTGSRepPart
	}
	seq, err := readApp(s, m.Tag, "EncKDCRepPart")
	if err != nil {
		return err
	}
	if err := readCodec(&seq, 0, &m.Key); err != nil {
		return fieldError("EncKDCRepPart key", err)
	}
	if err := readCodec(&seq, 1, &m.LastReq); err != nil {
		return fieldError("EncKDCRepPart last-req", err)
	}
	if m.Nonce, err = readUInt32(&seq, 2); err != nil {
		return fieldError("EncKDCRepPart nonce", err)
	}
	if m.KeyExpiration, err = readOptionalTime(&seq, 3); err != nil {
		return fieldError("EncKDCRepPart key-expiration", err)
	}
	if m.Flags, err = readFlags(&seq, 4); err != nil {
		return fieldError("EncKDCRepPart flags", err)
	}
	if m.AuthTime, err = readTime(&seq, 5); err != nil {
		return fieldError("EncKDCRepPart authtime", err)
	}
	if m.StartTime, err = readOptionalTime(&seq, 6); err != nil {
		return fieldError("EncKDCRepPart starttime", err)
	}
	if m.EndTime, err = readTime(&seq, 7); err != nil {
		return fieldError("EncKDCRepPart endtime", err)
	}
	if m.RenewTill, err = readOptionalTime(&seq, 8); err != nil {
		return fieldError("EncKDCRepPart renew-till", err)
	}
	if m.SRealm, err = readString(&seq, 9); err != nil {
		return fieldError("EncKDCRepPart srealm", err)
	}
	if err := readCodec(&seq, 10, &m.SName); err != nil {
		return fieldError("EncKDCRepPart sname", err)
	}
	if seq.PeekASN1Tag(ctxTag(11)) {
		if err := readCodec(&seq, 11, &m.CAddr); err != nil {
			return fieldError("EncKDCRepPart caddr", err)
		}
	}
	if seq.PeekASN1Tag(ctxTag(12)) {
		if err := readCodec(&seq, 12, &m.EncPAData); err != nil {
			return fieldError("EncKDCRepPart encrypted-pa-data", err)
		}
	}
	return endSequence(seq, "EncKDCRepPart")
}

// Marshal encodes the EncASRepPart or EncTGSRepPart as DER.
func (m *EncKDCRepPart) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER EncASRepPart or EncTGSRepPart.
func (m *EncKDCRepPart) Unmarshal(b []byte) error { return unmarshal(b, m) }
