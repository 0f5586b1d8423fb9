package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// fuzzCodec checks the codec contract on arbitrary input: Unmarshal never
// panics and fails only with *Error, and whatever decodes marshals to an
// encoding that decodes to the same value and is a fixed point of Marshal.
func fuzzCodec[T any, PT interface {
	*T
	message
}](f *testing.F, extra ...[]byte) {
	for _, s := range samples() {
		if reflect.TypeOf(s.msg) == reflect.TypeFor[PT]() {
			enc, err := s.msg.Marshal()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(enc)
		}
	}
	for _, e := range extra {
		f.Add(e)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := PT(new(T))
		if err := m.Unmarshal(data); err != nil {
			var wireErr *Error
			if !errors.As(err, &wireErr) {
				t.Fatalf("Unmarshal returned %T, want *Error: %v", err, err)
			}
			return
		}
		encoded, err := m.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a decoded value failed: %v", err)
		}
		m2 := PT(new(T))
		if err := m2.Unmarshal(encoded); err != nil {
			t.Fatalf("Unmarshal of %x (re-marshalled from %x) failed: %v", encoded, data, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("value changed across a round trip:\n%#v\n%#v", m, m2)
		}
		again, err := m2.Marshal()
		if err != nil {
			t.Fatalf("second Marshal failed: %v", err)
		}
		if !bytes.Equal(encoded, again) {
			t.Fatalf("Marshal is not idempotent:\n%x\n%x", encoded, again)
		}
	})
}

func FuzzPrincipalName(f *testing.F)     { fuzzCodec[PrincipalName](f) }
func FuzzEncryptedData(f *testing.F)     { fuzzCodec[EncryptedData](f) }
func FuzzEncryptionKey(f *testing.F)     { fuzzCodec[EncryptionKey](f) }
func FuzzChecksum(f *testing.F)          { fuzzCodec[Checksum](f) }
func FuzzHostAddresses(f *testing.F)     { fuzzCodec[HostAddresses](f) }
func FuzzMethodData(f *testing.F)        { fuzzCodec[MethodData](f, mitEData(f)...) }
func FuzzAuthorizationData(f *testing.F) { fuzzCodec[AuthorizationData](f) }
func FuzzPAEncTSEnc(f *testing.F)        { fuzzCodec[PAEncTSEnc](f) }
func FuzzETypeInfo2(f *testing.F)        { fuzzCodec[ETypeInfo2](f, mitETypeInfo2(f)...) }
func FuzzTicket(f *testing.F)            { fuzzCodec[Ticket](f) }
func FuzzEncTicketPart(f *testing.F)     { fuzzCodec[EncTicketPart](f) }
func FuzzKDCReqBody(f *testing.F)        { fuzzCodec[KDCReqBody](f) }
func FuzzKDCReq(f *testing.F) {
	fuzzCodec[KDCReq](f, mitSeeds(f, "as-req", "as-req-preauth", "tgs-req")...)
}
func FuzzKDCRep(f *testing.F)         { fuzzCodec[KDCRep](f, mitSeeds(f, "as-rep", "tgs-rep")...) }
func FuzzEncKDCRepPart(f *testing.F)  { fuzzCodec[EncKDCRepPart](f) }
func FuzzAPReq(f *testing.F)          { fuzzCodec[APReq](f, mitInner(f, "gss-ap-req")...) }
func FuzzAuthenticator(f *testing.F)  { fuzzCodec[Authenticator](f) }
func FuzzAPRep(f *testing.F)          { fuzzCodec[APRep](f, mitInner(f, "gss-ap-rep")...) }
func FuzzEncAPRepPart(f *testing.F)   { fuzzCodec[EncAPRepPart](f) }
func FuzzKRBError(f *testing.F)       { fuzzCodec[KRBError](f, mitSeeds(f, "krb-error")...) }
func FuzzKRBCred(f *testing.F)        { fuzzCodec[KRBCred](f) }
func FuzzEncKrbCredPart(f *testing.F) { fuzzCodec[EncKrbCredPart](f) }
func FuzzGSSToken(f *testing.F)       { fuzzCodec[GSSToken](f, mitSeeds(f, "gss-ap-req", "gss-ap-rep")...) }

// FuzzWrapToken and FuzzMICToken hold the header parsers to the same
// contract: no panic, *Error only, and a header that re-encodes to the
// bytes it came from.
func FuzzWrapToken(f *testing.F) {
	f.Add((&WrapHeader{Flags: FlagSealed, EC: 16, RRC: 28, SeqNum: 1}).Marshal())
	for _, s := range mitSeeds(f, "gss-wrap") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, rest, err := SplitWrapToken(data)
		if err != nil {
			var wireErr *Error
			if !errors.As(err, &wireErr) {
				t.Fatalf("SplitWrapToken returned %T: %v", err, err)
			}
			return
		}
		if !bytes.Equal(append(h.Marshal(), rest...), data) {
			t.Fatalf("header %+v does not re-encode to %x", h, data)
		}
	})
}

func FuzzMICToken(f *testing.F) {
	f.Add((&MICHeader{Flags: FlagSentByAcceptor, SeqNum: 1}).Marshal())
	for _, s := range mitSeeds(f, "gss-mic") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, rest, err := SplitMICToken(data)
		if err != nil {
			var wireErr *Error
			if !errors.As(err, &wireErr) {
				t.Fatalf("SplitMICToken returned %T: %v", err, err)
			}
			return
		}
		if !bytes.Equal(append(h.Marshal(), rest...), data) {
			t.Fatalf("header %+v does not re-encode to %x", h, data)
		}
	})
}
