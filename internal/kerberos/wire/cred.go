package wire

import (
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// KRBCred is RFC 4120 section 5.8.1, the message that forwards
// credentials (GSS delegation):
//
//	KRB-CRED        ::= [APPLICATION 22] SEQUENCE {
//	        pvno            [0] INTEGER (5),
//	        msg-type        [1] INTEGER (22),
//	        tickets         [2] SEQUENCE OF Ticket,
//	        enc-part        [3] EncryptedData -- EncKrbCredPart }
type KRBCred struct {
	Tickets []Ticket
	EncPart EncryptedData
}

func (m *KRBCred) build(b *cryptobyte.Builder) {
	buildApp(b, TagKRBCred, func(b *cryptobyte.Builder) {
		addInt(b, 0, PVNO)
		addInt(b, 1, TagKRBCred)
		addExplicit(b, 2, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
				for i := range m.Tickets {
					m.Tickets[i].build(b)
				}
			})
		})
		addCodec(b, 3, &m.EncPart)
	})
}

func (m *KRBCred) parse(s *cryptobyte.String) error {
	seq, err := readApp(s, TagKRBCred, "KRB-CRED")
	if err != nil {
		return err
	}
	if err := readVersion(&seq, 0, "KRB-CRED"); err != nil {
		return err
	}
	if err := readMsgType(&seq, 1, TagKRBCred, "KRB-CRED"); err != nil {
		return err
	}
	inner, err := readExplicit(&seq, 2)
	if err != nil {
		return fieldError("KRB-CRED tickets", err)
	}
	m.Tickets = []Ticket{}
	err = parseSequenceOf(&inner, "tickets", func(s *cryptobyte.String) error {
		var t Ticket
		err := t.parse(s)
		m.Tickets = append(m.Tickets, t)
		return err
	})
	if err != nil {
		return err
	}
	if err := done(inner, 2); err != nil {
		return err
	}
	if err := readCodec(&seq, 3, &m.EncPart); err != nil {
		return fieldError("KRB-CRED enc-part", err)
	}
	return endSequence(seq, "KRB-CRED")
}

// Marshal encodes the KRB-CRED as DER.
func (m *KRBCred) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER KRB-CRED.
func (m *KRBCred) Unmarshal(b []byte) error { return unmarshal(b, m) }

// KrbCredInfo is RFC 4120 section 5.8.1:
//
//	KrbCredInfo     ::= SEQUENCE {
//	        key             [0] EncryptionKey,
//	        prealm          [1] Realm OPTIONAL,
//	        pname           [2] PrincipalName OPTIONAL,
//	        flags           [3] TicketFlags OPTIONAL,
//	        authtime        [4] KerberosTime OPTIONAL,
//	        starttime       [5] KerberosTime OPTIONAL,
//	        endtime         [6] KerberosTime OPTIONAL,
//	        renew-till      [7] KerberosTime OPTIONAL,
//	        srealm          [8] Realm OPTIONAL,
//	        sname           [9] PrincipalName OPTIONAL,
//	        caddr           [10] HostAddresses OPTIONAL }
type KrbCredInfo struct {
	Key       EncryptionKey
	PRealm    *string
	PName     *PrincipalName
	Flags     *uint32
	AuthTime  time.Time
	StartTime time.Time
	EndTime   time.Time
	RenewTill time.Time
	SRealm    *string
	SName     *PrincipalName
	CAddr     HostAddresses
}

func (m *KrbCredInfo) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		addCodec(b, 0, &m.Key)
		if m.PRealm != nil {
			addString(b, 1, *m.PRealm)
		}
		if m.PName != nil {
			addCodec(b, 2, m.PName)
		}
		if m.Flags != nil {
			addFlags(b, 3, *m.Flags)
		}
		for i, t := range []time.Time{m.AuthTime, m.StartTime, m.EndTime, m.RenewTill} {
			if !t.IsZero() {
				addTime(b, 4+i, t)
			}
		}
		if m.SRealm != nil {
			addString(b, 8, *m.SRealm)
		}
		if m.SName != nil {
			addCodec(b, 9, m.SName)
		}
		if m.CAddr != nil {
			addCodec(b, 10, &m.CAddr)
		}
	})
}

func (m *KrbCredInfo) parse(s *cryptobyte.String) error {
	seq, err := readSequence(s, "KrbCredInfo")
	if err != nil {
		return err
	}
	if err := readCodec(&seq, 0, &m.Key); err != nil {
		return fieldError("KrbCredInfo key", err)
	}
	if m.PRealm, err = readOptionalString(&seq, 1); err != nil {
		return fieldError("KrbCredInfo prealm", err)
	}
	if seq.PeekASN1Tag(ctxTag(2)) {
		m.PName = new(PrincipalName)
		if err := readCodec(&seq, 2, m.PName); err != nil {
			return fieldError("KrbCredInfo pname", err)
		}
	}
	if seq.PeekASN1Tag(ctxTag(3)) {
		f, err := readFlags(&seq, 3)
		if err != nil {
			return fieldError("KrbCredInfo flags", err)
		}
		m.Flags = &f
	}
	for i, t := range []*time.Time{&m.AuthTime, &m.StartTime, &m.EndTime, &m.RenewTill} {
		if *t, err = readOptionalTime(&seq, 4+i); err != nil {
			return fieldError("KrbCredInfo time", err)
		}
	}
	if m.SRealm, err = readOptionalString(&seq, 8); err != nil {
		return fieldError("KrbCredInfo srealm", err)
	}
	if seq.PeekASN1Tag(ctxTag(9)) {
		m.SName = new(PrincipalName)
		if err := readCodec(&seq, 9, m.SName); err != nil {
			return fieldError("KrbCredInfo sname", err)
		}
	}
	if seq.PeekASN1Tag(ctxTag(10)) {
		if err := readCodec(&seq, 10, &m.CAddr); err != nil {
			return fieldError("KrbCredInfo caddr", err)
		}
	}
	return endSequence(seq, "KrbCredInfo")
}

// EncKrbCredPart is RFC 4120 section 5.8.1:
//
//	EncKrbCredPart  ::= [APPLICATION 29] SEQUENCE {
//	        ticket-info     [0] SEQUENCE OF KrbCredInfo,
//	        nonce           [1] UInt32 OPTIONAL,
//	        timestamp       [2] KerberosTime OPTIONAL,
//	        usec            [3] Microseconds OPTIONAL,
//	        s-address       [4] HostAddress OPTIONAL,
//	        r-address       [5] HostAddress OPTIONAL }
type EncKrbCredPart struct {
	TicketInfo []KrbCredInfo
	Nonce      *uint32
	Timestamp  time.Time
	USec       *int32
	SAddress   *HostAddress
	RAddress   *HostAddress
}

func (m *EncKrbCredPart) build(b *cryptobyte.Builder) {
	buildApp(b, TagEncKrbCredPart, func(b *cryptobyte.Builder) {
		addExplicit(b, 0, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
				for i := range m.TicketInfo {
					m.TicketInfo[i].build(b)
				}
			})
		})
		if m.Nonce != nil {
			addInt(b, 1, int64(*m.Nonce))
		}
		if !m.Timestamp.IsZero() {
			addTime(b, 2, m.Timestamp)
		}
		if m.USec != nil {
			addInt(b, 3, int64(*m.USec))
		}
		if m.SAddress != nil {
			addCodec(b, 4, m.SAddress)
		}
		if m.RAddress != nil {
			addCodec(b, 5, m.RAddress)
		}
	})
}

func (m *EncKrbCredPart) parse(s *cryptobyte.String) error {
	seq, err := readApp(s, TagEncKrbCredPart, "EncKrbCredPart")
	if err != nil {
		return err
	}
	inner, err := readExplicit(&seq, 0)
	if err != nil {
		return fieldError("EncKrbCredPart ticket-info", err)
	}
	m.TicketInfo = []KrbCredInfo{}
	err = parseSequenceOf(&inner, "ticket-info", func(s *cryptobyte.String) error {
		var ci KrbCredInfo
		err := ci.parse(s)
		m.TicketInfo = append(m.TicketInfo, ci)
		return err
	})
	if err != nil {
		return err
	}
	if err := done(inner, 0); err != nil {
		return err
	}
	if m.Nonce, err = readOptionalUInt32(&seq, 1); err != nil {
		return fieldError("EncKrbCredPart nonce", err)
	}
	if m.Timestamp, err = readOptionalTime(&seq, 2); err != nil {
		return fieldError("EncKrbCredPart timestamp", err)
	}
	if seq.PeekASN1Tag(ctxTag(3)) {
		us, err := readMicroseconds(&seq, 3)
		if err != nil {
			return fieldError("EncKrbCredPart usec", err)
		}
		m.USec = &us
	}
	for i, a := range []**HostAddress{&m.SAddress, &m.RAddress} {
		if seq.PeekASN1Tag(ctxTag(4 + i)) {
			*a = new(HostAddress)
			if err := readCodec(&seq, 4+i, *a); err != nil {
				return fieldError("EncKrbCredPart address", err)
			}
		}
	}
	return endSequence(seq, "EncKrbCredPart")
}

// Marshal encodes the EncKrbCredPart as DER.
func (m *EncKrbCredPart) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER EncKrbCredPart.
func (m *EncKrbCredPart) Unmarshal(b []byte) error { return unmarshal(b, m) }
