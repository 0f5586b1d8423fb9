package wire

import (
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// APReq is RFC 4120 section 5.5.1:
//
//	AP-REQ          ::= [APPLICATION 14] SEQUENCE {
//	        pvno            [0] INTEGER (5),
//	        msg-type        [1] INTEGER (14),
//	        ap-options      [2] APOptions,
//	        ticket          [3] Ticket,
//	        authenticator   [4] EncryptedData -- Authenticator }
type APReq struct {
	APOptions     uint32
	Ticket        Ticket
	Authenticator EncryptedData
}

func (m *APReq) build(b *cryptobyte.Builder) {
	buildApp(b, TagAPReq, func(b *cryptobyte.Builder) {
		addInt(b, 0, PVNO)
		addInt(b, 1, TagAPReq)
		addFlags(b, 2, m.APOptions)
		addCodec(b, 3, &m.Ticket)
		addCodec(b, 4, &m.Authenticator)
	})
}

func (m *APReq) parse(s *cryptobyte.String) error {
	seq, err := readApp(s, TagAPReq, "AP-REQ")
	if err != nil {
		return err
	}
	if err := readVersion(&seq, 0, "AP-REQ"); err != nil {
		return err
	}
	if err := readMsgType(&seq, 1, TagAPReq, "AP-REQ"); err != nil {
		return err
	}
	if m.APOptions, err = readFlags(&seq, 2); err != nil {
		return fieldError("AP-REQ ap-options", err)
	}
	if err := readCodec(&seq, 3, &m.Ticket); err != nil {
		return fieldError("AP-REQ ticket", err)
	}
	if err := readCodec(&seq, 4, &m.Authenticator); err != nil {
		return fieldError("AP-REQ authenticator", err)
	}
	return endSequence(seq, "AP-REQ")
}

// Marshal encodes the AP-REQ as DER.
func (m *APReq) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER AP-REQ.
func (m *APReq) Unmarshal(b []byte) error { return unmarshal(b, m) }

// Authenticator is RFC 4120 section 5.5.1:
//
//	Authenticator   ::= [APPLICATION 2] SEQUENCE  {
//	        authenticator-vno       [0] INTEGER (5),
//	        crealm                  [1] Realm,
//	        cname                   [2] PrincipalName,
//	        cksum                   [3] Checksum OPTIONAL,
//	        cusec                   [4] Microseconds,
//	        ctime                   [5] KerberosTime,
//	        subkey                  [6] EncryptionKey OPTIONAL,
//	        seq-number              [7] UInt32 OPTIONAL,
//	        authorization-data      [8] AuthorizationData OPTIONAL }
type Authenticator struct {
	CRealm            string
	CName             PrincipalName
	Cksum             *Checksum
	CUSec             int32
	CTime             time.Time
	Subkey            *EncryptionKey
	SeqNumber         *uint32
	AuthorizationData AuthorizationData
}

func (m *Authenticator) build(b *cryptobyte.Builder) {
	buildApp(b, TagAuthenticator, func(b *cryptobyte.Builder) {
		addInt(b, 0, PVNO)
		addString(b, 1, m.CRealm)
		addCodec(b, 2, &m.CName)
		if m.Cksum != nil {
			addCodec(b, 3, m.Cksum)
		}
		addInt(b, 4, int64(m.CUSec))
		addTime(b, 5, m.CTime)
		if m.Subkey != nil {
			addCodec(b, 6, m.Subkey)
		}
		if m.SeqNumber != nil {
			addInt(b, 7, int64(*m.SeqNumber))
		}
		if m.AuthorizationData != nil {
			addCodec(b, 8, &m.AuthorizationData)
		}
	})
}

func (m *Authenticator) parse(s *cryptobyte.String) error {
	seq, err := readApp(s, TagAuthenticator, "Authenticator")
	if err != nil {
		return err
	}
	if err := readVersion(&seq, 0, "Authenticator"); err != nil {
		return err
	}
	if m.CRealm, err = readString(&seq, 1); err != nil {
		return fieldError("Authenticator crealm", err)
	}
	if err := readCodec(&seq, 2, &m.CName); err != nil {
		return fieldError("Authenticator cname", err)
	}
	if seq.PeekASN1Tag(ctxTag(3)) {
		m.Cksum = new(Checksum)
		if err := readCodec(&seq, 3, m.Cksum); err != nil {
			return fieldError("Authenticator cksum", err)
		}
	}
	if m.CUSec, err = readMicroseconds(&seq, 4); err != nil {
		return fieldError("Authenticator cusec", err)
	}
	if m.CTime, err = readTime(&seq, 5); err != nil {
		return fieldError("Authenticator ctime", err)
	}
	if seq.PeekASN1Tag(ctxTag(6)) {
		m.Subkey = new(EncryptionKey)
		if err := readCodec(&seq, 6, m.Subkey); err != nil {
			return fieldError("Authenticator subkey", err)
		}
	}
	if m.SeqNumber, err = readOptionalUInt32(&seq, 7); err != nil {
		return fieldError("Authenticator seq-number", err)
	}
	if seq.PeekASN1Tag(ctxTag(8)) {
		if err := readCodec(&seq, 8, &m.AuthorizationData); err != nil {
			return fieldError("Authenticator authorization-data", err)
		}
	}
	return endSequence(seq, "Authenticator")
}

// Marshal encodes the Authenticator as DER.
func (m *Authenticator) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER Authenticator.
func (m *Authenticator) Unmarshal(b []byte) error { return unmarshal(b, m) }

// APRep is RFC 4120 section 5.5.2:
//
//	AP-REP          ::= [APPLICATION 15] SEQUENCE {
//	        pvno            [0] INTEGER (5),
//	        msg-type        [1] INTEGER (15),
//	        enc-part        [2] EncryptedData -- EncAPRepPart }
type APRep struct {
	EncPart EncryptedData
}

func (m *APRep) build(b *cryptobyte.Builder) {
	buildApp(b, TagAPRep, func(b *cryptobyte.Builder) {
		addInt(b, 0, PVNO)
		addInt(b, 1, TagAPRep)
		addCodec(b, 2, &m.EncPart)
	})
}

func (m *APRep) parse(s *cryptobyte.String) error {
	seq, err := readApp(s, TagAPRep, "AP-REP")
	if err != nil {
		return err
	}
	if err := readVersion(&seq, 0, "AP-REP"); err != nil {
		return err
	}
	if err := readMsgType(&seq, 1, TagAPRep, "AP-REP"); err != nil {
		return err
	}
	if err := readCodec(&seq, 2, &m.EncPart); err != nil {
		return fieldError("AP-REP enc-part", err)
	}
	return endSequence(seq, "AP-REP")
}

// Marshal encodes the AP-REP as DER.
func (m *APRep) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER AP-REP.
func (m *APRep) Unmarshal(b []byte) error { return unmarshal(b, m) }

// EncAPRepPart is RFC 4120 section 5.5.2:
//
//	EncAPRepPart    ::= [APPLICATION 27] SEQUENCE {
//	        ctime           [0] KerberosTime,
//	        cusec           [1] Microseconds,
//	        subkey          [2] EncryptionKey OPTIONAL,
//	        seq-number      [3] UInt32 OPTIONAL }
type EncAPRepPart struct {
	CTime     time.Time
	CUSec     int32
	Subkey    *EncryptionKey
	SeqNumber *uint32
}

func (m *EncAPRepPart) build(b *cryptobyte.Builder) {
	buildApp(b, TagEncAPRepPart, func(b *cryptobyte.Builder) {
		addTime(b, 0, m.CTime)
		addInt(b, 1, int64(m.CUSec))
		if m.Subkey != nil {
			addCodec(b, 2, m.Subkey)
		}
		if m.SeqNumber != nil {
			addInt(b, 3, int64(*m.SeqNumber))
		}
	})
}

func (m *EncAPRepPart) parse(s *cryptobyte.String) error {
	seq, err := readApp(s, TagEncAPRepPart, "EncAPRepPart")
	if err != nil {
		return err
	}
	if m.CTime, err = readTime(&seq, 0); err != nil {
		return fieldError("EncAPRepPart ctime", err)
	}
	if m.CUSec, err = readMicroseconds(&seq, 1); err != nil {
		return fieldError("EncAPRepPart cusec", err)
	}
	if seq.PeekASN1Tag(ctxTag(2)) {
		m.Subkey = new(EncryptionKey)
		if err := readCodec(&seq, 2, m.Subkey); err != nil {
			return fieldError("EncAPRepPart subkey", err)
		}
	}
	if m.SeqNumber, err = readOptionalUInt32(&seq, 3); err != nil {
		return fieldError("EncAPRepPart seq-number", err)
	}
	return endSequence(seq, "EncAPRepPart")
}

// Marshal encodes the EncAPRepPart as DER.
func (m *EncAPRepPart) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER EncAPRepPart.
func (m *EncAPRepPart) Unmarshal(b []byte) error { return unmarshal(b, m) }
