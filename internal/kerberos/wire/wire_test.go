package wire

import (
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	require.NoError(t, err)
	return b
}

// newLike returns a fresh zero value of m's type.
func newLike(m message) message {
	return reflect.New(reflect.TypeOf(m).Elem()).Interface().(message)
}

func TestRoundTrip(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			enc, err := s.msg.Marshal()
			require.NoError(t, err)
			got := newLike(s.msg)
			require.NoError(t, got.Unmarshal(enc))
			assert.Equal(t, s.msg, got)
			again, err := got.Marshal()
			require.NoError(t, err)
			assert.Equal(t, enc, again)
		})
	}
}

// TestStrictDER changes one thing in valid encodings and expects *Error.
func TestStrictDER(t *testing.T) {
	valid := func(m message) []byte {
		b, err := m.Marshal()
		require.NoError(t, err)
		return b
	}
	ticket := sampleTicket()
	tkt := valid(&ticket)
	aprep := valid(&APRep{EncPart: EncryptedData{EType: 18, Cipher: []byte{1}}})
	ed := valid(&EncryptedData{EType: 18, Cipher: []byte{1}})
	tests := []struct {
		name string
		into message
		in   []byte
	}{
		{"empty", &Ticket{}, nil},
		{"trailing byte", &Ticket{}, append(append([]byte{}, tkt...), 0)},
		{"truncated", &Ticket{}, tkt[:len(tkt)-1]},
		{"wrong application tag", &APReq{}, tkt},
		{"AP-REP as KRB-ERROR", &KRBError{}, aprep},
		// 30 81 0a ...: a long-form length that fits in short form.
		{"over-long length", &EncryptedData{}, append([]byte{0x30, 0x81, byte(len(ed) - 2)}, ed[2:]...)},
		{"indefinite length", &EncryptedData{}, append([]byte{0x30, 0x80}, append(ed[2:], 0, 0)...)},
		// etype 18 as 02 02 00 12: a non-minimal INTEGER.
		{"non-minimal integer", &EncryptedData{}, unhex(t, "300c a004 02020012 a204 0402 0101")},
		{"etype out of Int32 range", &EncryptedData{}, unhex(t, "300f a007 0205 0080000000 a204 0402 0101")},
		{"unknown member", &EncryptedData{}, unhex(t, "300e a003 020112 a204 0402 0101 a300")},
		{"members out of order", &EncryptedData{}, unhex(t, "300b a204 0402 0101 a003 020112")},
		{"pvno 4", &APRep{}, unhex(t, "6f15 3013 a003020104 a10302010f a207 3005 a003020112")},
		{"msg-type of AP-REQ in AP-REP", &APRep{}, unhex(t, "6f15 3013 a003020105 a10302010e a207 3005 a003020112")},
		{"time with offset", &PAEncTSEnc{}, unhex(t, "3017 a015 1813 32303236313133303134303030302b30313030")},
		{"time with fraction", &PAEncTSEnc{}, unhex(t, "3017 a015 1813 32303236313133303134303030302e31325a")},
		{"time not UTC", &PAEncTSEnc{}, unhex(t, "3012 a010 180e 3230323631313330313430303030")},
		{"usec above 999999", &PAEncTSEnc{}, unhex(t, "301a a011 180f 32303236313133303134303030305a a105 0203 0f4240")},
		{"empty ETYPE-INFO2", &ETypeInfo2{}, unhex(t, "3000")},
		{"string as OCTET STRING", &PrincipalName{}, unhex(t, "300d a003020101 a106 3004 0402 6162")},
		{"GSS token for SPNEGO", &GSSToken{}, unhex(t, "6008 0606 2b0601050502")},
		{"GSS token without TOK_ID", &GSSToken{}, unhex(t, "600b 0609 2a864886f712010202")},
		{"GSS token length short", &GSSToken{}, unhex(t, "600b 0609 2a864886f712010202 0100 00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.into.Unmarshal(tt.in)
			require.Error(t, err)
			var wireErr *Error
			assert.True(t, errors.As(err, &wireErr), "%T: %v", err, err)
			assert.True(t, strings.HasPrefix(err.Error(), "kerberos: "), err.Error())
		})
	}
}

// TestUnmarshalKeepsValueOnError checks that a failed Unmarshal leaves the
// destination untouched.
func TestUnmarshalKeepsValueOnError(t *testing.T) {
	m := sampleTicket()
	before := sampleTicket()
	require.Error(t, m.Unmarshal([]byte{0x61, 0x01}))
	assert.Equal(t, before, m)
}

// TestUnmarshalDoesNotAlias checks that decoded values do not share the
// input buffer.
func TestUnmarshalDoesNotAlias(t *testing.T) {
	ticket := sampleTicket()
	enc, err := ticket.Marshal()
	require.NoError(t, err)
	var got Ticket
	require.NoError(t, got.Unmarshal(enc))
	for i := range enc {
		enc[i] = 0
	}
	assert.Equal(t, sampleTicket(), got)
}

func TestSequenceCaps(t *testing.T) {
	// 1025 empty-ish HostAddress elements.
	var b []byte
	one := unhex(t, "300b a003020102 a1040402 0000")
	for i := 0; i <= MaxSequence; i++ {
		b = append(b, one...)
	}
	seq := append([]byte{0x30, 0x82, byte(len(b) >> 8), byte(len(b))}, b...)
	var addrs HostAddresses
	err := addrs.Unmarshal(seq)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than")

	var names []string
	for i := 0; i <= maxNameComponents; i++ {
		names = append(names, "x")
	}
	enc, err := (&PrincipalName{NameType: 1, NameString: names}).Marshal()
	require.NoError(t, err)
	var pn PrincipalName
	assert.Error(t, pn.Unmarshal(enc))

	big := make([]byte, MaxMessageSize+1)
	assert.Error(t, (&KRBError{}).Unmarshal(big))
	_, err = (&EncryptedData{Cipher: big}).Marshal()
	assert.Error(t, err)
}

func TestFlagsEncoding(t *testing.T) {
	m := APReq{APOptions: APOptMutualRequired, Ticket: sampleTicket()}
	enc, err := m.Marshal()
	require.NoError(t, err)
	// ap-options [2] BIT STRING, 0 unused bits, bit 2 set: 20 00 00 00.
	assert.Contains(t, hex.EncodeToString(enc), "a20703050020000000")

	// A longer bit string keeps its first 32 bits: 40 bits, the last
	// octet set, replace the 32-bit kdc-options of a valid body.
	body := KDCReqBody{KDCOptions: KDCOptForwardable, Realm: "R", Till: t1, Nonce: 7, EType: []int32{}}
	enc, err = body.Marshal()
	require.NoError(t, err)
	short := "a00703050040000000"
	h := hex.EncodeToString(enc)
	require.Contains(t, h, short)
	require.Less(t, len(enc), 0x7f)
	h = h[:2] + hex.EncodeToString([]byte{enc[1] + 1}) + strings.Replace(h[4:], short, "a008030600400000008a", 1)
	var k KDCReqBody
	require.NoError(t, k.Unmarshal(unhex(t, h)))
	assert.Equal(t, body, k)

	// Padding bits that are set are not DER.
	h = hex.EncodeToString(enc)
	h = strings.Replace(h, short, "a00703050140000001", 1)
	assert.Error(t, k.Unmarshal(unhex(t, h)))
}

func TestMICAndWrapHeaders(t *testing.T) {
	w := WrapHeader{Flags: FlagSealed | FlagAcceptorSubkey, EC: 16, RRC: 28, SeqNum: 0x0102030405060708}
	enc := w.Marshal()
	assert.Equal(t, "050406ff0010001c0102030405060708", hex.EncodeToString(enc))
	h, rest, err := SplitWrapToken(append(enc, 0xaa))
	require.NoError(t, err)
	assert.Equal(t, w, h)
	assert.Equal(t, []byte{0xaa}, rest)

	m := MICHeader{Flags: FlagSentByAcceptor, SeqNum: 1}
	enc = m.Marshal()
	assert.Equal(t, "040401ffffffffff0000000000000001", hex.EncodeToString(enc))
	mh, sum, err := SplitMICToken(append(enc, 1, 2))
	require.NoError(t, err)
	assert.Equal(t, m, mh)
	assert.Equal(t, []byte{1, 2}, sum)

	bad := []struct {
		name string
		tok  string
		mic  bool
	}{
		{"short wrap", "050406ff0010001c01020304050607", false},
		{"MIC id in wrap", "040406ff0010001c0102030405060708", false},
		{"wrap filler", "050406fe0010001c0102030405060708", false},
		{"short MIC", "040401ffffffffff00000000000000", true},
		{"wrap id in MIC", "050401ffffffffff0000000000000001", true},
		{"MIC filler", "040401ffffff00ff0000000000000001", true},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.mic {
				_, _, err = SplitMICToken(unhex(t, tt.tok))
			} else {
				_, _, err = SplitWrapToken(unhex(t, tt.tok))
			}
			var wireErr *Error
			assert.True(t, errors.As(err, &wireErr), "%v", err)
		})
	}
}

func TestGSSTokenFraming(t *testing.T) {
	tok := GSSToken{TokID: TokAPReq, Message: []byte{0x6e, 0x00}}
	enc, err := tok.Marshal()
	require.NoError(t, err)
	// RFC 2743 3.1: 60 len 06 09 <krb5 OID> TOK_ID message.
	assert.Equal(t, "600f06092a864886f71201020201006e00", hex.EncodeToString(enc))
}
