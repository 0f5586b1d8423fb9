package wire

import (
	encasn1 "encoding/asn1"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Caps on what a peer can make this package hold.
const (
	// MaxTokenSize bounds a whole SPNEGO token: above Windows' cbMaxToken
	// for Negotiate (48256) with room for a large Kerberos PAC.
	MaxTokenSize = 64 << 10
	// MaxMechTypes bounds the mechanism list; Windows offers four.
	MaxMechTypes = 32
)

// NegState is the negState of a NegTokenResp, RFC 4178 section 4.2.2.
type NegState int

// The negotiation states. NegStateAbsent stands for a NegTokenResp without
// the field, which RFC 4178 allows after the acceptor's first reply.
const (
	NegStateAbsent           NegState = -1
	NegStateAcceptCompleted  NegState = 0
	NegStateAcceptIncomplete NegState = 1
	NegStateReject           NegState = 2
	NegStateRequestMIC       NegState = 3
)

// String gives RFC 4178's name of the state ("accept-completed").
func (s NegState) String() string {
	switch s {
	case NegStateAbsent:
		return "absent"
	case NegStateAcceptCompleted:
		return "accept-completed"
	case NegStateAcceptIncomplete:
		return "accept-incomplete"
	case NegStateReject:
		return "reject"
	case NegStateRequestMIC:
		return "request-mic"
	}
	return "unknown"
}

// ContextFlags are the reqFlags bits of RFC 4178 section 4.2.1, as bit
// numbers of the BIT STRING.
const (
	FlagDeleg    = 0
	FlagMutual   = 1
	FlagReplay   = 2
	FlagSequence = 3
	FlagAnon     = 4
	FlagConf     = 5
	FlagInteg    = 6
)

// NegHints are the negHints of Microsoft's NegTokenInit2 (MS-SPNG section
// 2.2.1); Windows servers send hintName "not_defined_in_RFC4178@please_ignore".
type NegHints struct {
	HintName    *string // GeneralString, nil when absent
	HintAddress []byte  // nil when absent
}

// NegTokenInit is the initiator's first message, RFC 4178 section 4.2.1:
//
//	NegTokenInit ::= SEQUENCE {
//	    mechTypes       [0] MechTypeList,
//	    reqFlags        [1] ContextFlags  OPTIONAL,
//	    mechToken       [2] OCTET STRING  OPTIONAL,
//	    mechListMIC     [3] OCTET STRING  OPTIONAL,
//	    ...
//	}
//
// With NegHints set it is Microsoft's NegTokenInit2 (MS-SPNG section
// 2.2.1), where negHints takes [3] and mechListMIC moves to [4]:
//
//	NegTokenInit2 ::= SEQUENCE {
//	    mechTypes       [0] MechTypeList  OPTIONAL,
//	    reqFlags        [1] ContextFlags  OPTIONAL,
//	    mechToken       [2] OCTET STRING  OPTIONAL,
//	    negHints        [3] NegHints      OPTIONAL,
//	    mechListMIC     [4] OCTET STRING  OPTIONAL,
//	    ...
//	}
//	NegHints ::= SEQUENCE {
//	    hintName        [0] GeneralString OPTIONAL,
//	    hintAddress     [1] OCTET STRING  OPTIONAL }
//
// A nil byte field was absent; an empty non-nil one was present and empty.
type NegTokenInit struct {
	MechTypes []encasn1.ObjectIdentifier
	// ReqFlags is the reqFlags BIT STRING, nil when absent.
	ReqFlags    *encasn1.BitString
	MechToken   []byte
	NegHints    *NegHints
	MechListMIC []byte
}

// NegTokenResp is every later message of either side, RFC 4178 section
// 4.2.2:
//
//	NegTokenResp ::= SEQUENCE {
//	    negState       [0] ENUMERATED {
//	        accept-completed    (0),
//	        accept-incomplete   (1),
//	        reject              (2),
//	        request-mic         (3)
//	    }                                 OPTIONAL,
//	    supportedMech   [1] MechType      OPTIONAL,
//	    responseToken   [2] OCTET STRING  OPTIONAL,
//	    mechListMIC     [3] OCTET STRING  OPTIONAL,
//	    ...
//	}
type NegTokenResp struct {
	NegState      NegState
	SupportedMech encasn1.ObjectIdentifier // nil when absent
	ResponseToken []byte
	MechListMIC   []byte
}

// The NegotiationToken CHOICE, RFC 4178 section 4.2.
var (
	tagNegTokenInit = asn1.Tag(0).ContextSpecific().Constructed()
	tagNegTokenResp = asn1.Tag(1).ContextSpecific().Constructed()
	// tagInitialContextToken is [APPLICATION 0] IMPLICIT SEQUENCE of
	// RFC 2743 section 3.1 (the octet 0x60).
	tagInitialContextToken = asn1.Tag(0).Constructed() | 0x40
)

func explicit(n uint8) asn1.Tag { return asn1.Tag(n).ContextSpecific().Constructed() }

// MarshalMechTypes is the DER of a MechTypeList (SEQUENCE OF MechType):
// the bytes the mechListMIC covers, RFC 4178 section 5.
func MarshalMechTypes(mechs []encasn1.ObjectIdentifier) ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	addMechTypes(b, mechs)
	return finish(b)
}

func addMechTypes(b *cryptobyte.Builder, mechs []encasn1.ObjectIdentifier) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, m := range mechs {
			b.AddASN1ObjectIdentifier(m)
		}
	})
}

func readMechTypes(s *cryptobyte.String) ([]encasn1.ObjectIdentifier, error) {
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, asn1.SEQUENCE) {
		return nil, errorf("mechTypes is not a SEQUENCE OF MechType")
	}
	mechs := []encasn1.ObjectIdentifier{}
	for !seq.Empty() {
		if len(mechs) == MaxMechTypes {
			return nil, errorf("more than %d mechanisms in mechTypes", MaxMechTypes)
		}
		var oid encasn1.ObjectIdentifier
		if !seq.ReadASN1ObjectIdentifier(&oid) {
			return nil, errorf("mechTypes holds something other than an OBJECT IDENTIFIER")
		}
		mechs = append(mechs, oid)
	}
	return mechs, nil
}

func finish(b *cryptobyte.Builder) ([]byte, error) {
	out, err := b.Bytes()
	if err != nil {
		return nil, errorf("cannot encode: %v", err)
	}
	if len(out) > MaxTokenSize {
		return nil, errorf("token of %d bytes is larger than %d", len(out), MaxTokenSize)
	}
	return out, nil
}

func addOctets(b *cryptobyte.Builder, tag uint8, v []byte) {
	if v == nil {
		return
	}
	b.AddASN1(explicit(tag), func(b *cryptobyte.Builder) {
		b.AddASN1OctetString(v)
	})
}

// readOctets reads an optional [tag] OCTET STRING; nil when absent, a
// non-nil copy when present.
func readOctets(s *cryptobyte.String, tag uint8, name string) ([]byte, error) {
	var inner cryptobyte.String
	var present bool
	if !s.ReadOptionalASN1(&inner, &present, explicit(tag)) {
		return nil, errorf("%s is malformed", name)
	}
	if !present {
		return nil, nil
	}
	var v cryptobyte.String
	if !inner.ReadASN1(&v, asn1.OCTET_STRING) || !inner.Empty() {
		return nil, errorf("%s is not one OCTET STRING", name)
	}
	return append([]byte{}, v...), nil
}

func addBitString(b *cryptobyte.Builder, bs *encasn1.BitString) {
	b.AddASN1(asn1.BIT_STRING, func(b *cryptobyte.Builder) {
		b.AddUint8(uint8(len(bs.Bytes)*8 - bs.BitLength))
		b.AddBytes(bs.Bytes)
	})
}

func (m *NegTokenInit) build(b *cryptobyte.Builder) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(explicit(0), func(b *cryptobyte.Builder) { addMechTypes(b, m.MechTypes) })
		if m.ReqFlags != nil {
			b.AddASN1(explicit(1), func(b *cryptobyte.Builder) { addBitString(b, m.ReqFlags) })
		}
		addOctets(b, 2, m.MechToken)
		if m.NegHints != nil {
			b.AddASN1(explicit(3), func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					if h := m.NegHints.HintName; h != nil {
						b.AddASN1(explicit(0), func(b *cryptobyte.Builder) {
							b.AddASN1(asn1.Tag(27), func(b *cryptobyte.Builder) { b.AddBytes([]byte(*h)) })
						})
					}
					addOctets(b, 1, m.NegHints.HintAddress)
				})
			})
			addOctets(b, 4, m.MechListMIC)
		} else {
			addOctets(b, 3, m.MechListMIC)
		}
	})
}

func (m *NegTokenInit) parse(s *cryptobyte.String) error {
	var seq, inner cryptobyte.String
	if !s.ReadASN1(&seq, asn1.SEQUENCE) {
		return errorf("NegTokenInit is not a SEQUENCE")
	}
	var t NegTokenInit
	if !seq.ReadASN1(&inner, explicit(0)) {
		return errorf("NegTokenInit has no mechTypes")
	}
	mechs, err := readMechTypes(&inner)
	if err != nil {
		return err
	}
	if !inner.Empty() {
		return errorf("trailing bytes after mechTypes")
	}
	t.MechTypes = mechs
	var present bool
	if !seq.ReadOptionalASN1(&inner, &present, explicit(1)) {
		return errorf("reqFlags is malformed")
	}
	if present {
		var bs encasn1.BitString
		if !inner.ReadASN1BitString(&bs) || !inner.Empty() {
			return errorf("reqFlags is not one BIT STRING")
		}
		bs.Bytes = append([]byte{}, bs.Bytes...)
		t.ReqFlags = &bs
	}
	if t.MechToken, err = readOctets(&seq, 2, "mechToken"); err != nil {
		return err
	}
	// [3] is mechListMIC in RFC 4178 and negHints in NegTokenInit2: the
	// tag inside tells them apart.
	if seq.PeekASN1Tag(explicit(3)) {
		var body cryptobyte.String
		if !seq.ReadASN1(&body, explicit(3)) {
			return errorf("[3] is malformed")
		}
		switch {
		case body.PeekASN1Tag(asn1.OCTET_STRING):
			var v cryptobyte.String
			if !body.ReadASN1(&v, asn1.OCTET_STRING) || !body.Empty() {
				return errorf("mechListMIC is not one OCTET STRING")
			}
			t.MechListMIC = append([]byte{}, v...)
		case body.PeekASN1Tag(asn1.SEQUENCE):
			h, err := readNegHints(&body)
			if err != nil {
				return err
			}
			t.NegHints = h
		default:
			return errorf("[3] is neither mechListMIC nor negHints")
		}
	}
	if seq.PeekASN1Tag(explicit(4)) {
		if t.NegHints == nil {
			return errorf("[4] mechListMIC without negHints")
		}
		if t.MechListMIC, err = readOctets(&seq, 4, "mechListMIC"); err != nil {
			return err
		}
	}
	if !seq.Empty() {
		return errorf("trailing or unknown fields in NegTokenInit")
	}
	*m = t
	return nil
}

func readNegHints(s *cryptobyte.String) (*NegHints, error) {
	var seq, inner cryptobyte.String
	if !s.ReadASN1(&seq, asn1.SEQUENCE) || !s.Empty() {
		return nil, errorf("negHints is not one SEQUENCE")
	}
	h := &NegHints{}
	var present bool
	if !seq.ReadOptionalASN1(&inner, &present, explicit(0)) {
		return nil, errorf("hintName is malformed")
	}
	if present {
		var name cryptobyte.String
		if !inner.ReadASN1(&name, asn1.Tag(27)) || !inner.Empty() {
			return nil, errorf("hintName is not one GeneralString")
		}
		n := string(name)
		h.HintName = &n
	}
	var err error
	if h.HintAddress, err = readOctets(&seq, 1, "hintAddress"); err != nil {
		return nil, err
	}
	if !seq.Empty() {
		return nil, errorf("trailing bytes in negHints")
	}
	return h, nil
}

func (m *NegTokenResp) build(b *cryptobyte.Builder) {
	b.AddASN1(tagNegTokenResp, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			if m.NegState != NegStateAbsent {
				b.AddASN1(explicit(0), func(b *cryptobyte.Builder) {
					b.AddASN1Enum(int64(m.NegState))
				})
			}
			if m.SupportedMech != nil {
				b.AddASN1(explicit(1), func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(m.SupportedMech) })
			}
			addOctets(b, 2, m.ResponseToken)
			addOctets(b, 3, m.MechListMIC)
		})
	})
}

func (m *NegTokenResp) parse(s *cryptobyte.String) error {
	var outer, seq, inner cryptobyte.String
	if !s.ReadASN1(&outer, tagNegTokenResp) {
		return errorf("not a NegTokenResp ([1])")
	}
	if !outer.ReadASN1(&seq, asn1.SEQUENCE) || !outer.Empty() {
		return errorf("NegTokenResp is not one SEQUENCE")
	}
	t := NegTokenResp{NegState: NegStateAbsent}
	var present bool
	if !seq.ReadOptionalASN1(&inner, &present, explicit(0)) {
		return errorf("negState is malformed")
	}
	if present {
		var v int
		if !inner.ReadASN1Enum(&v) || !inner.Empty() {
			return errorf("negState is not one ENUMERATED")
		}
		if v < int(NegStateAcceptCompleted) || v > int(NegStateRequestMIC) {
			return errorf("negState %d is not defined", v)
		}
		t.NegState = NegState(v)
	}
	if !seq.ReadOptionalASN1(&inner, &present, explicit(1)) {
		return errorf("supportedMech is malformed")
	}
	if present {
		var oid encasn1.ObjectIdentifier
		if !inner.ReadASN1ObjectIdentifier(&oid) || !inner.Empty() {
			return errorf("supportedMech is not one OBJECT IDENTIFIER")
		}
		t.SupportedMech = oid
	}
	var err error
	if t.ResponseToken, err = readOctets(&seq, 2, "responseToken"); err != nil {
		return err
	}
	if t.MechListMIC, err = readOctets(&seq, 3, "mechListMIC"); err != nil {
		return err
	}
	if !seq.Empty() {
		return errorf("trailing or unknown fields in NegTokenResp")
	}
	*m = t
	return nil
}

// Marshal encodes the NegTokenResp as a NegotiationToken ([1]), the form
// it travels in: only the initial token carries the RFC 2743 framing.
func (m *NegTokenResp) Marshal() ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	m.build(b)
	return finish(b)
}

// Unmarshal reads exactly one NegotiationToken holding a NegTokenResp.
func (m *NegTokenResp) Unmarshal(data []byte) error {
	if len(data) > MaxTokenSize {
		return errorf("token of %d bytes is larger than %d", len(data), MaxTokenSize)
	}
	s := cryptobyte.String(data)
	if err := m.parse(&s); err != nil {
		return err
	}
	if !s.Empty() {
		return errorf("%d trailing bytes after NegTokenResp", len(s))
	}
	return nil
}

// Marshal encodes the NegTokenInit as the initial context token of
// RFC 2743 section 3.1 and RFC 4178 section 4.2:
//
//	[APPLICATION 0] IMPLICIT SEQUENCE {
//	    thisMech   MechType,               -- 1.3.6.1.5.5.2
//	    innerToken NegotiationToken }      -- here [0] NegTokenInit
func (m *NegTokenInit) Marshal() ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(tagInitialContextToken, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(OIDSPNEGO)
		b.AddASN1(tagNegTokenInit, func(b *cryptobyte.Builder) { m.build(b) })
	})
	return finish(b)
}

// Unmarshal reads exactly one initial context token holding a
// NegTokenInit (or NegTokenInit2).
func (m *NegTokenInit) Unmarshal(data []byte) error {
	if len(data) > MaxTokenSize {
		return errorf("token of %d bytes is larger than %d", len(data), MaxTokenSize)
	}
	mech, inner, err := readInitialToken(data)
	if err != nil {
		return err
	}
	if !mech.Equal(OIDSPNEGO) {
		return errorf("the initial token is for mechanism %v, not SPNEGO", mech)
	}
	var body cryptobyte.String
	if !inner.ReadASN1(&body, tagNegTokenInit) {
		return errorf("the initial token does not hold a NegTokenInit ([0])")
	}
	if !inner.Empty() {
		return errorf("trailing bytes after the NegTokenInit")
	}
	var t NegTokenInit
	if err := t.parse(&body); err != nil {
		return err
	}
	if !body.Empty() {
		return errorf("trailing bytes inside [0] NegTokenInit")
	}
	*m = t
	return nil
}

func readInitialToken(data []byte) (encasn1.ObjectIdentifier, cryptobyte.String, error) {
	s := cryptobyte.String(data)
	var inner cryptobyte.String
	if !s.ReadASN1(&inner, tagInitialContextToken) {
		return nil, nil, errorf("not an RFC 2743 initial context token (0x60 and a DER length)")
	}
	if !s.Empty() {
		return nil, nil, errorf("%d trailing bytes after the initial context token", len(s))
	}
	var mech encasn1.ObjectIdentifier
	if !inner.ReadASN1ObjectIdentifier(&mech) {
		return nil, nil, errorf("the initial context token has no mechanism OID")
	}
	return mech, inner, nil
}

// InitialTokenMech returns the mechanism an RFC 2743 initial context token
// names (thisMech), so that an acceptor can tell SPNEGO from a bare
// mechanism token (a Kerberos AP-REQ sent with "Negotiate", as some HTTP
// clients do).
func InitialTokenMech(data []byte) (encasn1.ObjectIdentifier, error) {
	if len(data) > MaxTokenSize {
		return nil, errorf("token of %d bytes is larger than %d", len(data), MaxTokenSize)
	}
	mech, _, err := readInitialToken(data)
	return mech, err
}
