package wire

import (
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// PrincipalName is RFC 4120 section 5.2.2:
//
//	PrincipalName ::= SEQUENCE {
//	        name-type       [0] Int32,
//	        name-string     [1] SEQUENCE OF KerberosString }
type PrincipalName struct {
	NameType   int32
	NameString []string
}

func (m *PrincipalName) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(m.NameType))
		addExplicit(b, 1, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
				for _, c := range m.NameString {
					buildString(b, c)
				}
			})
		})
	})
}

func (m *PrincipalName) parse(s *cryptobyte.String) error {
	seq, err := readSequence(s, "PrincipalName")
	if err != nil {
		return err
	}
	if m.NameType, err = readInt32(&seq, 0); err != nil {
		return fieldError("PrincipalName name-type", err)
	}
	inner, err := readExplicit(&seq, 1)
	if err != nil {
		return fieldError("PrincipalName name-string", err)
	}
	m.NameString = []string{}
	err = parseSequenceOf(&inner, "name-string", func(s *cryptobyte.String) error {
		if len(m.NameString) == maxNameComponents {
			return errorf("more than %d components", maxNameComponents)
		}
		c, err := parseString(s, "component")
		m.NameString = append(m.NameString, c)
		return err
	})
	if err != nil {
		return err
	}
	if err := done(inner, 1); err != nil {
		return err
	}
	return endSequence(seq, "PrincipalName")
}

// Marshal encodes the PrincipalName as DER.
func (m *PrincipalName) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER PrincipalName.
func (m *PrincipalName) Unmarshal(b []byte) error { return unmarshal(b, m) }

// Equal reports whether two names have the same type and components.
func (m PrincipalName) Equal(o PrincipalName) bool {
	if m.NameType != o.NameType || len(m.NameString) != len(o.NameString) {
		return false
	}
	for i := range m.NameString {
		if m.NameString[i] != o.NameString[i] {
			return false
		}
	}
	return true
}

// EncryptedData is RFC 4120 section 5.2.9:
//
//	EncryptedData ::= SEQUENCE {
//	        etype   [0] Int32,
//	        kvno    [1] UInt32 OPTIONAL,
//	        cipher  [2] OCTET STRING }
type EncryptedData struct {
	EType  int32
	KVNO   *uint32
	Cipher []byte
}

func (m *EncryptedData) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(m.EType))
		if m.KVNO != nil {
			addInt(b, 1, int64(*m.KVNO))
		}
		addOctets(b, 2, m.Cipher)
	})
}

func (m *EncryptedData) parse(s *cryptobyte.String) error {
	seq, err := readSequence(s, "EncryptedData")
	if err != nil {
		return err
	}
	if m.EType, err = readInt32(&seq, 0); err != nil {
		return fieldError("EncryptedData etype", err)
	}
	if m.KVNO, err = readOptionalUInt32(&seq, 1); err != nil {
		return fieldError("EncryptedData kvno", err)
	}
	if m.Cipher, err = readOctets(&seq, 2); err != nil {
		return fieldError("EncryptedData cipher", err)
	}
	return endSequence(seq, "EncryptedData")
}

// Marshal encodes the EncryptedData as DER.
func (m *EncryptedData) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER EncryptedData.
func (m *EncryptedData) Unmarshal(b []byte) error { return unmarshal(b, m) }

// EncryptionKey is RFC 4120 section 5.2.9:
//
//	EncryptionKey ::= SEQUENCE {
//	        keytype         [0] Int32,
//	        keyvalue        [1] OCTET STRING }
type EncryptionKey struct {
	KeyType  int32
	KeyValue []byte
}

func (m *EncryptionKey) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(m.KeyType))
		addOctets(b, 1, m.KeyValue)
	})
}

func (m *EncryptionKey) parse(s *cryptobyte.String) error {
	seq, err := readSequence(s, "EncryptionKey")
	if err != nil {
		return err
	}
	if m.KeyType, err = readInt32(&seq, 0); err != nil {
		return fieldError("EncryptionKey keytype", err)
	}
	if m.KeyValue, err = readOctets(&seq, 1); err != nil {
		return fieldError("EncryptionKey keyvalue", err)
	}
	return endSequence(seq, "EncryptionKey")
}

// Marshal encodes the EncryptionKey as DER.
func (m *EncryptionKey) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER EncryptionKey.
func (m *EncryptionKey) Unmarshal(b []byte) error { return unmarshal(b, m) }

// Checksum is RFC 4120 section 5.2.9:
//
//	Checksum ::= SEQUENCE {
//	        cksumtype       [0] Int32,
//	        checksum        [1] OCTET STRING }
type Checksum struct {
	CksumType int32
	Checksum  []byte
}

func (m *Checksum) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(m.CksumType))
		addOctets(b, 1, m.Checksum)
	})
}

func (m *Checksum) parse(s *cryptobyte.String) error {
	seq, err := readSequence(s, "Checksum")
	if err != nil {
		return err
	}
	if m.CksumType, err = readInt32(&seq, 0); err != nil {
		return fieldError("Checksum cksumtype", err)
	}
	if m.Checksum, err = readOctets(&seq, 1); err != nil {
		return fieldError("Checksum checksum", err)
	}
	return endSequence(seq, "Checksum")
}

// Marshal encodes the Checksum as DER.
func (m *Checksum) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER Checksum.
func (m *Checksum) Unmarshal(b []byte) error { return unmarshal(b, m) }

// HostAddress is RFC 4120 section 5.2.5:
//
//	HostAddress ::= SEQUENCE  {
//	        addr-type       [0] Int32,
//	        address         [1] OCTET STRING }
type HostAddress struct {
	AddrType int32
	Address  []byte
}

func (m *HostAddress) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(m.AddrType))
		addOctets(b, 1, m.Address)
	})
}

func (m *HostAddress) parse(s *cryptobyte.String) error {
	seq, err := readSequence(s, "HostAddress")
	if err != nil {
		return err
	}
	if m.AddrType, err = readInt32(&seq, 0); err != nil {
		return fieldError("HostAddress addr-type", err)
	}
	if m.Address, err = readOctets(&seq, 1); err != nil {
		return fieldError("HostAddress address", err)
	}
	return endSequence(seq, "HostAddress")
}

// HostAddresses is RFC 4120 section 5.2.5, SEQUENCE OF HostAddress.
type HostAddresses []HostAddress

func (m *HostAddresses) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		for i := range *m {
			(*m)[i].build(b)
		}
	})
}

func (m *HostAddresses) parse(s *cryptobyte.String) error {
	out := HostAddresses{}
	err := parseSequenceOf(s, "HostAddresses", func(s *cryptobyte.String) error {
		var a HostAddress
		err := a.parse(s)
		out = append(out, a)
		return err
	})
	*m = out
	return err
}

// Marshal encodes the HostAddresses as DER.
func (m *HostAddresses) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes DER HostAddresses.
func (m *HostAddresses) Unmarshal(b []byte) error { return unmarshal(b, m) }

// PAData is RFC 4120 section 5.2.7:
//
//	PA-DATA ::= SEQUENCE {
//	        padata-type     [1] Int32,
//	        padata-value    [2] OCTET STRING }
//
// (tag [0] is unused, as the RFC notes).
type PAData struct {
	Type  int32
	Value []byte
}

func (m *PAData) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		addInt(b, 1, int64(m.Type))
		addOctets(b, 2, m.Value)
	})
}

func (m *PAData) parse(s *cryptobyte.String) error {
	seq, err := readSequence(s, "PA-DATA")
	if err != nil {
		return err
	}
	if m.Type, err = readInt32(&seq, 1); err != nil {
		return fieldError("PA-DATA padata-type", err)
	}
	if m.Value, err = readOctets(&seq, 2); err != nil {
		return fieldError("PA-DATA padata-value", err)
	}
	return endSequence(seq, "PA-DATA")
}

// MethodData is RFC 4120 section 5.9.1, SEQUENCE OF PA-DATA: the padata
// fields of KDC messages and the e-data of KDC_ERR_PREAUTH_REQUIRED.
type MethodData []PAData

func (m *MethodData) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		for i := range *m {
			(*m)[i].build(b)
		}
	})
}

func (m *MethodData) parse(s *cryptobyte.String) error {
	out := MethodData{}
	err := parseSequenceOf(s, "METHOD-DATA", func(s *cryptobyte.String) error {
		var p PAData
		err := p.parse(s)
		out = append(out, p)
		return err
	})
	*m = out
	return err
}

// Marshal encodes the METHOD-DATA as DER.
func (m *MethodData) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER METHOD-DATA.
func (m *MethodData) Unmarshal(b []byte) error { return unmarshal(b, m) }

// Find returns the first PA-DATA of a type.
func (m MethodData) Find(typ int32) (PAData, bool) {
	for _, p := range m {
		if p.Type == typ {
			return p, true
		}
	}
	return PAData{}, false
}

// AuthorizationDataEntry is one element of AuthorizationData, RFC 4120
// section 5.2.6:
//
//	AuthorizationData ::= SEQUENCE OF SEQUENCE {
//	        ad-type         [0] Int32,
//	        ad-data         [1] OCTET STRING }
type AuthorizationDataEntry struct {
	ADType int32
	ADData []byte
}

// AuthorizationData is RFC 4120 section 5.2.6.
type AuthorizationData []AuthorizationDataEntry

func (m *AuthorizationData) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		for _, e := range *m {
			b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
				addInt(b, 0, int64(e.ADType))
				addOctets(b, 1, e.ADData)
			})
		}
	})
}

func (m *AuthorizationData) parse(s *cryptobyte.String) error {
	out := AuthorizationData{}
	err := parseSequenceOf(s, "AuthorizationData", func(s *cryptobyte.String) error {
		seq, err := readSequence(s, "AuthorizationData element")
		if err != nil {
			return err
		}
		var e AuthorizationDataEntry
		if e.ADType, err = readInt32(&seq, 0); err != nil {
			return err
		}
		if e.ADData, err = readOctets(&seq, 1); err != nil {
			return err
		}
		out = append(out, e)
		return endSequence(seq, "AuthorizationData element")
	})
	*m = out
	return err
}

// Marshal encodes the AuthorizationData as DER.
func (m *AuthorizationData) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes DER AuthorizationData.
func (m *AuthorizationData) Unmarshal(b []byte) error { return unmarshal(b, m) }

// TransitedEncoding is RFC 4120 section 5.3:
//
//	TransitedEncoding ::= SEQUENCE {
//	        tr-type         [0] Int32,
//	        contents        [1] OCTET STRING }
type TransitedEncoding struct {
	TRType   int32
	Contents []byte
}

func (m *TransitedEncoding) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(m.TRType))
		addOctets(b, 1, m.Contents)
	})
}

func (m *TransitedEncoding) parse(s *cryptobyte.String) error {
	seq, err := readSequence(s, "TransitedEncoding")
	if err != nil {
		return err
	}
	if m.TRType, err = readInt32(&seq, 0); err != nil {
		return err
	}
	if m.Contents, err = readOctets(&seq, 1); err != nil {
		return err
	}
	return endSequence(seq, "TransitedEncoding")
}

// LastReqEntry is one element of LastReq, RFC 4120 section 5.4.2:
//
//	LastReq ::= SEQUENCE OF SEQUENCE {
//	        lr-type         [0] Int32,
//	        lr-value        [1] KerberosTime }
type LastReqEntry struct {
	LRType  int32
	LRValue time.Time
}

// LastReq is RFC 4120 section 5.4.2.
type LastReq []LastReqEntry

func (m *LastReq) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		for _, e := range *m {
			b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
				addInt(b, 0, int64(e.LRType))
				addTime(b, 1, e.LRValue)
			})
		}
	})
}

func (m *LastReq) parse(s *cryptobyte.String) error {
	out := LastReq{}
	err := parseSequenceOf(s, "LastReq", func(s *cryptobyte.String) error {
		seq, err := readSequence(s, "LastReq element")
		if err != nil {
			return err
		}
		var e LastReqEntry
		if e.LRType, err = readInt32(&seq, 0); err != nil {
			return err
		}
		if e.LRValue, err = readTime(&seq, 1); err != nil {
			return err
		}
		out = append(out, e)
		return endSequence(seq, "LastReq element")
	})
	*m = out
	return err
}

// PAEncTSEnc is the plaintext of PA-ENC-TIMESTAMP, RFC 4120 section 5.2.7.2:
//
//	PA-ENC-TS-ENC           ::= SEQUENCE {
//	        patimestamp     [0] KerberosTime -- client's time --,
//	        pausec          [1] Microseconds OPTIONAL }
type PAEncTSEnc struct {
	PATimestamp time.Time
	PAUSec      *int32
}

func (m *PAEncTSEnc) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		addTime(b, 0, m.PATimestamp)
		if m.PAUSec != nil {
			addInt(b, 1, int64(*m.PAUSec))
		}
	})
}

func (m *PAEncTSEnc) parse(s *cryptobyte.String) error {
	seq, err := readSequence(s, "PA-ENC-TS-ENC")
	if err != nil {
		return err
	}
	if m.PATimestamp, err = readTime(&seq, 0); err != nil {
		return fieldError("PA-ENC-TS-ENC patimestamp", err)
	}
	if seq.PeekASN1Tag(ctxTag(1)) {
		us, err := readMicroseconds(&seq, 1)
		if err != nil {
			return fieldError("PA-ENC-TS-ENC pausec", err)
		}
		m.PAUSec = &us
	}
	return endSequence(seq, "PA-ENC-TS-ENC")
}

// Marshal encodes the PA-ENC-TS-ENC as DER.
func (m *PAEncTSEnc) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER PA-ENC-TS-ENC.
func (m *PAEncTSEnc) Unmarshal(b []byte) error { return unmarshal(b, m) }

// ETypeInfo2Entry is RFC 4120 section 5.2.7.5:
//
//	ETYPE-INFO2-ENTRY       ::= SEQUENCE {
//	        etype           [0] Int32,
//	        salt            [1] KerberosString OPTIONAL,
//	        s2kparams       [2] OCTET STRING OPTIONAL }
type ETypeInfo2Entry struct {
	EType     int32
	Salt      *string
	S2KParams []byte
}

// ETypeInfo2 is the value of PA-ETYPE-INFO2, SEQUENCE SIZE (1..MAX) OF
// ETYPE-INFO2-ENTRY.
type ETypeInfo2 []ETypeInfo2Entry

func (m *ETypeInfo2) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
		for _, e := range *m {
			b.AddASN1(asn1SEQUENCE, func(b *cryptobyte.Builder) {
				addInt(b, 0, int64(e.EType))
				if e.Salt != nil {
					addString(b, 1, *e.Salt)
				}
				if e.S2KParams != nil {
					addOctets(b, 2, e.S2KParams)
				}
			})
		}
	})
}

func (m *ETypeInfo2) parse(s *cryptobyte.String) error {
	out := ETypeInfo2{}
	err := parseSequenceOf(s, "ETYPE-INFO2", func(s *cryptobyte.String) error {
		seq, err := readSequence(s, "ETYPE-INFO2-ENTRY")
		if err != nil {
			return err
		}
		var e ETypeInfo2Entry
		if e.EType, err = readInt32(&seq, 0); err != nil {
			return err
		}
		if e.Salt, err = readOptionalString(&seq, 1); err != nil {
			return err
		}
		if e.S2KParams, err = readOptionalOctets(&seq, 2); err != nil {
			return err
		}
		out = append(out, e)
		return endSequence(seq, "ETYPE-INFO2-ENTRY")
	})
	if err == nil && len(out) == 0 {
		err = errorf("ETYPE-INFO2 is empty (SIZE (1..MAX))")
	}
	*m = out
	return err
}

// Marshal encodes the ETYPE-INFO2 as DER.
func (m *ETypeInfo2) Marshal() ([]byte, error) { return marshal(m) }

// Unmarshal decodes a DER ETYPE-INFO2.
func (m *ETypeInfo2) Unmarshal(b []byte) error { return unmarshal(b, m) }
