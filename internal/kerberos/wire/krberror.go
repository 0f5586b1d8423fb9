package wire

import (
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// KRBError is RFC 4120 section 5.9.1:
//
//	KRB-ERROR       ::= [APPLICATION 30] SEQUENCE {
//	        pvno            [0] INTEGER (5),
//	        msg-type        [1] INTEGER (30),
//	        ctime           [2] KerberosTime OPTIONAL,
//	        cusec           [3] Microseconds OPTIONAL,
//	        stime           [4] KerberosTime,
//	        susec           [5] Microseconds,
//	        error-code      [6] Int32,
//	        crealm          [7] Realm OPTIONAL,
//	        cname           [8] PrincipalName OPTIONAL,
//	        realm           [9] Realm -- service realm --,
//	        sname           [10] PrincipalName -- service name --,
//	        e-text          [11] KerberosString OPTIONAL,
//	        e-data          [12] OCTET STRING OPTIONAL }
type KRBError struct {
	CTime     time.Time
	CUSec     *int32
	STime     time.Time
	SUSec     int32
	ErrorCode int32
	CRealm    *string
	CName     *PrincipalName
	Realm     string
	SName     PrincipalName
	EText     *string
	EData     []byte
}

func (m *KRBError) build(b *cryptobyte.Builder) {
	buildApp(b, TagKRBError, func(b *cryptobyte.Builder) {
		addInt(b, 0, PVNO)
		addInt(b, 1, TagKRBError)
		if !m.CTime.IsZero() {
			addTime(b, 2, m.CTime)
		}
		if m.CUSec != nil {
			addInt(b, 3, int64(*m.CUSec))
		}
		addTime(b, 4, m.STime)
		addInt(b, 5, int64(m.SUSec))
		addInt(b, 6, int64(m.ErrorCode))
		if m.CRealm != nil {
			addString(b, 7, *m.CRealm)
		}
		if m.CName != nil {
			addCodec(b, 8, m.CName)
		}
		addString(b, 9, m.Realm)
		addCodec(b, 10, &m.SName)
		if m.EText != nil {
			addString(b, 11, *m.EText)
		}
		if m.EData != nil {
			addOctets(b, 12, m.EData)
		}
	})
}

func (m *KRBError) parse(s *cryptobyte.String) error {
	seq, err := readApp(s, TagKRBError, "KRB-ERROR")
	if err != nil {
		return err
	}
	if err := readVersion(&seq, 0, "KRB-ERROR"); err != nil {
		return err
	}
	if err := readMsgType(&seq, 1, TagKRBError, "KRB-ERROR"); err != nil {
		return err
	}
	if m.CTime, err = readOptionalTime(&seq, 2); err != nil {
		return fieldError("KRB-ERROR ctime", err)
	}
	if seq.PeekASN1Tag(ctxTag(3)) {
		us, err := readMicroseconds(&seq, 3)
		if err != nil {
			return fieldError("KRB-ERROR cusec", err)
		}
		m.CUSec = &us
	}
	if m.STime, err = readTime(&seq, 4); err != nil {
		return fieldError("KRB-ERROR stime", err)
	}
	if m.SUSec, err = readMicroseconds(&seq, 5); err != nil {
		return fieldError("KRB-ERROR susec", err)
	}
	if m.ErrorCode, err = readInt32(&seq, 6); err != nil {
		return fieldError("KRB-ERROR error-code", err)
	}
	if m.CRealm, err = readOptionalString(&seq, 7); err != nil {
		return fieldError("KRB-ERROR crealm", err)
	}
	if seq.PeekASN1Tag(ctxTag(8)) {
		m.CName = new(PrincipalName)
		if err := readCodec(&seq, 8, m.CName); err != nil {
			return fieldError("KRB-ERROR cname", err)
		}
	}
	if m.Realm, err = readString(&seq, 9); err != nil {
		return fieldError("KRB-ERROR realm", err)
	}
	if err := readCodec(&seq, 10, &m.SName); err != nil {
		return fieldError("KRB-ERROR sname", err)
	}
	if m.EText, err = readOptionalString(&seq, 11); err != nil {
		return fieldError("KRB-ERROR e-text", err)
	}
	if m.EData, err = readOptionalOctets(&seq, 12); err != nil {
		return fieldError("KRB-ERROR e-data", err)
	}
	return endSequence(seq, "KRB-ERROR")
}

// Marshal encodes the KRB-ERROR as DER.
func (m *KRBError) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER KRB-ERROR.
func (m *KRBError) Unmarshal(b []byte) error { return unmarshal(b, m) }

// MethodData decodes e-data as METHOD-DATA, as KDC_ERR_PREAUTH_REQUIRED
// and KDC_ERR_PREAUTH_FAILED carry it (RFC 4120 section 5.9.1). Other
// errors carry other things, or a TYPED-DATA, so a failure here is not a
// malformed KRB-ERROR.
func (m *KRBError) MethodData() (MethodData, error) {
	if m.EData == nil {
		return nil, errorf("KRB-ERROR %d has no e-data", m.ErrorCode)
	}
	var md MethodData
	if err := md.Unmarshal(m.EData); err != nil {
		return nil, err
	}
	return md, nil
}
