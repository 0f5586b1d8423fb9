package wire

import (
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// Ticket is RFC 4120 section 5.3:
//
//	Ticket          ::= [APPLICATION 1] SEQUENCE {
//	        tkt-vno         [0] INTEGER (5),
//	        realm           [1] Realm,
//	        sname           [2] PrincipalName,
//	        enc-part        [3] EncryptedData -- EncTicketPart }
type Ticket struct {
	Realm   string
	SName   PrincipalName
	EncPart EncryptedData
}

func (m *Ticket) build(b *cryptobyte.Builder) {
	buildApp(b, TagTicket, func(b *cryptobyte.Builder) {
		addInt(b, 0, PVNO)
		addString(b, 1, m.Realm)
		addCodec(b, 2, &m.SName)
		addCodec(b, 3, &m.EncPart)
	})
}

func (m *Ticket) parse(s *cryptobyte.String) error {
	seq, err := readApp(s, TagTicket, "Ticket")
	if err != nil {
		return err
	}
	if err := readVersion(&seq, 0, "Ticket"); err != nil {
		return err
	}
	if m.Realm, err = readString(&seq, 1); err != nil {
		return fieldError("Ticket realm", err)
	}
	if err := readCodec(&seq, 2, &m.SName); err != nil {
		return fieldError("Ticket sname", err)
	}
	if err := readCodec(&seq, 3, &m.EncPart); err != nil {
		return fieldError("Ticket enc-part", err)
	}
	return endSequence(seq, "Ticket")
}

// Marshal encodes the Ticket as DER.
func (m *Ticket) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER Ticket.
func (m *Ticket) Unmarshal(b []byte) error { return unmarshal(b, m) }

// EncTicketPart is RFC 4120 section 5.3:
//
//	EncTicketPart   ::= [APPLICATION 3] SEQUENCE {
//	        flags                   [0] TicketFlags,
//	        key                     [1] EncryptionKey,
//	        crealm                  [2] Realm,
//	        cname                   [3] PrincipalName,
//	        transited               [4] TransitedEncoding,
//	        authtime                [5] KerberosTime,
//	        starttime               [6] KerberosTime OPTIONAL,
//	        endtime                 [7] KerberosTime,
//	        renew-till              [8] KerberosTime OPTIONAL,
//	        caddr                   [9] HostAddresses OPTIONAL,
//	        authorization-data      [10] AuthorizationData OPTIONAL }
//
// Optional times are the zero time when absent; optional sequences nil.
type EncTicketPart struct {
	Flags             uint32
	Key               EncryptionKey
	CRealm            string
	CName             PrincipalName
	Transited         TransitedEncoding
	AuthTime          time.Time
	StartTime         time.Time
	EndTime           time.Time
	RenewTill         time.Time
	CAddr             HostAddresses
	AuthorizationData AuthorizationData
}

func (m *EncTicketPart) build(b *cryptobyte.Builder) {
	buildApp(b, TagEncTicketPart, func(b *cryptobyte.Builder) {
		addFlags(b, 0, m.Flags)
		addCodec(b, 1, &m.Key)
		addString(b, 2, m.CRealm)
		addCodec(b, 3, &m.CName)
		addCodec(b, 4, &m.Transited)
		addTime(b, 5, m.AuthTime)
		if !m.StartTime.IsZero() {
			addTime(b, 6, m.StartTime)
		}
		addTime(b, 7, m.EndTime)
		if !m.RenewTill.IsZero() {
			addTime(b, 8, m.RenewTill)
		}
		if m.CAddr != nil {
			addCodec(b, 9, &m.CAddr)
		}
		if m.AuthorizationData != nil {
			addCodec(b, 10, &m.AuthorizationData)
		}
	})
}

func (m *EncTicketPart) parse(s *cryptobyte.String) error {
	seq, err := readApp(s, TagEncTicketPart, "EncTicketPart")
	if err != nil {
		return err
	}
	if m.Flags, err = readFlags(&seq, 0); err != nil {
		return fieldError("EncTicketPart flags", err)
	}
	if err := readCodec(&seq, 1, &m.Key); err != nil {
		return fieldError("EncTicketPart key", err)
	}
	if m.CRealm, err = readString(&seq, 2); err != nil {
		return fieldError("EncTicketPart crealm", err)
	}
	if err := readCodec(&seq, 3, &m.CName); err != nil {
		return fieldError("EncTicketPart cname", err)
	}
	if err := readCodec(&seq, 4, &m.Transited); err != nil {
		return fieldError("EncTicketPart transited", err)
	}
	if m.AuthTime, err = readTime(&seq, 5); err != nil {
		return fieldError("EncTicketPart authtime", err)
	}
	if m.StartTime, err = readOptionalTime(&seq, 6); err != nil {
		return fieldError("EncTicketPart starttime", err)
	}
	if m.EndTime, err = readTime(&seq, 7); err != nil {
		return fieldError("EncTicketPart endtime", err)
	}
	if m.RenewTill, err = readOptionalTime(&seq, 8); err != nil {
		return fieldError("EncTicketPart renew-till", err)
	}
	if seq.PeekASN1Tag(ctxTag(9)) {
		if err := readCodec(&seq, 9, &m.CAddr); err != nil {
			return fieldError("EncTicketPart caddr", err)
		}
	}
	if seq.PeekASN1Tag(ctxTag(10)) {
		if err := readCodec(&seq, 10, &m.AuthorizationData); err != nil {
			return fieldError("EncTicketPart authorization-data", err)
		}
	}
	return endSequence(seq, "EncTicketPart")
}

// Marshal encodes the EncTicketPart as DER.
func (m *EncTicketPart) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER EncTicketPart.
func (m *EncTicketPart) Unmarshal(b []byte) error { return unmarshal(b, m) }
