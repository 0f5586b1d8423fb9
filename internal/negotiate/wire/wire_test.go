package wire

import (
	"bytes"
	encasn1 "encoding/asn1"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func str(s string) *string { return &s }

func sampleInits() []NegTokenInit {
	return []NegTokenInit{
		{MechTypes: []encasn1.ObjectIdentifier{OIDKerberos}, MechToken: []byte{0x60, 0x01, 0x00}},
		{MechTypes: []encasn1.ObjectIdentifier{OIDMSKerberos, OIDKerberos, OIDNegoEx, OIDNTLM},
			ReqFlags: &encasn1.BitString{Bytes: []byte{0x76}, BitLength: 7}, MechToken: []byte("ap-req"), MechListMIC: []byte("mic")},
		// What a Windows server sends first (NegTokenInit2, MS-SPNG
		// section 2.2.1): no token, the hint name Windows uses.
		{MechTypes: []encasn1.ObjectIdentifier{OIDMSKerberos, OIDKerberos}, NegHints: &NegHints{HintName: str("not_defined_in_RFC4178@please_ignore")}},
		{MechTypes: []encasn1.ObjectIdentifier{}},
	}
}

func sampleResps() []NegTokenResp {
	return []NegTokenResp{
		{NegState: NegStateAcceptCompleted, SupportedMech: OIDKerberos, ResponseToken: []byte("ap-rep")},
		{NegState: NegStateAcceptIncomplete, SupportedMech: OIDKerberos, ResponseToken: []byte("ap-rep"), MechListMIC: []byte("mic")},
		{NegState: NegStateAbsent, MechListMIC: []byte("mic")},
		{NegState: NegStateReject},
		{NegState: NegStateRequestMIC, ResponseToken: []byte{}},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range sampleInits() {
		enc, err := m.Marshal()
		require.NoError(t, err)
		var got NegTokenInit
		require.NoError(t, got.Unmarshal(enc))
		assert.Equal(t, m, got)
	}
	for _, m := range sampleResps() {
		enc, err := m.Marshal()
		require.NoError(t, err)
		var got NegTokenResp
		require.NoError(t, got.Unmarshal(enc))
		assert.Equal(t, m, got)
	}
}

// TestRFC4178Layout checks the bytes of a NegTokenInit against a hand
// decoding of RFC 4178 section 4.2 and RFC 2743 section 3.1.
func TestRFC4178Layout(t *testing.T) {
	m := NegTokenInit{MechTypes: []encasn1.ObjectIdentifier{OIDKerberos}, MechToken: []byte{0xAA}}
	enc, err := m.Marshal()
	require.NoError(t, err)
	want := "6020" + // [APPLICATION 0]
		"06062b0601050502" + // 1.3.6.1.5.5.2
		"a016" + "3014" + // [0] NegTokenInit SEQUENCE
		"a00d" + "300b" + "06092a864886f712010202" + // mechTypes {krb5}
		"a203" + "0401aa" // mechToken
	assert.Equal(t, want, hex.EncodeToString(enc))
	mt, err := MarshalMechTypes(m.MechTypes)
	require.NoError(t, err)
	assert.Equal(t, "300b06092a864886f712010202", hex.EncodeToString(mt))
	mech, err := InitialTokenMech(enc)
	require.NoError(t, err)
	assert.True(t, mech.Equal(OIDSPNEGO))
}

func TestMalformed(t *testing.T) {
	good, err := sampleInits()[0].Marshal()
	require.NoError(t, err)
	resp, err := sampleResps()[0].Marshal()
	require.NoError(t, err)
	h := func(s string) []byte { b, err := hex.DecodeString(s); require.NoError(t, err); return b }
	inits := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"trailing byte", append(append([]byte{}, good...), 0)},
		{"truncated", good[:len(good)-1]},
		{"wrong framing OID (Kerberos)", h("6011" + "06092a864886f712010202" + "a0043002a000")},
		{"NegTokenResp in the initial token", h("600e" + "06062b0601050502" + "a1043002a000")},
		{"mechTypes not a SEQUENCE", h("6010" + "06062b0601050502" + "a0063004a0023100")},
		{"indefinite length", h("6080" + "06062b0601050502" + "a0043002a00000")},
		{"mechType not an OID", h("6012" + "06062b0601050502" + "a0083006a0043002" + "0500")},
		{"non-minimal OID arc", h("6013" + "06062b0601050502" + "a0093007a0053003" + "060180")},
		{"unknown field [5]", h("6014" + "06062b0601050502" + "a00a3008a0023000" + "a5020500")},
		{"MIC at [4] without hints", h("6016" + "06062b0601050502" + "a00c300aa0023000" + "a4040402aabb")},
		{"fields out of order", h("601b" + "06062b0601050502" + "a011300f" + "a0023000" + "a2030401aa" + "a104030201" + "80")},
		{"constructed OCTET STRING", h("6015" + "06062b0601050502" + "a00b3009a0023000" + "a2032401aa")},
		{"bad BIT STRING padding", h("6015" + "06062b0601050502" + "a00b3009a0023000" + "a103030101")},
		{"no mechTypes", h("600c" + "06062b0601050502" + "a0023000")},
	}
	for _, c := range inits {
		t.Run(c.name, func(t *testing.T) {
			var m NegTokenInit
			err := m.Unmarshal(c.data)
			var we *Error
			require.Error(t, err)
			assert.True(t, errors.As(err, &we), "%T", err)
		})
	}
	resps := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"trailing byte", append(append([]byte{}, resp...), 0)},
		{"truncated", resp[:len(resp)-2]},
		{"NegTokenInit tag", append([]byte{0xa0}, resp[1:]...)},
		{"negState undefined", h("a1073005a0030a0104")},
		{"negState negative", h("a1073005a0030a01ff")},
		{"negState not ENUMERATED", h("a1073005a003020100")},
		{"supportedMech not an OID", h("a1073005a1030401aa")},
		{"two SEQUENCEs", h("a104" + "3000" + "3000")},
		{"oversized", append(h("a1"), make([]byte, MaxTokenSize)...)},
	}
	for _, c := range resps {
		t.Run("resp "+c.name, func(t *testing.T) {
			var m NegTokenResp
			err := m.Unmarshal(c.data)
			var we *Error
			require.Error(t, err)
			assert.True(t, errors.As(err, &we), "%T", err)
		})
	}
}

func TestMechTypesCap(t *testing.T) {
	mechs := make([]encasn1.ObjectIdentifier, MaxMechTypes+1)
	for i := range mechs {
		mechs[i] = OIDKerberos
	}
	enc, err := (&NegTokenInit{MechTypes: mechs}).Marshal()
	require.NoError(t, err)
	var m NegTokenInit
	assert.ErrorContains(t, m.Unmarshal(enc), "more than 32 mechanisms")
	enc, err = (&NegTokenInit{MechTypes: mechs[:MaxMechTypes]}).Marshal()
	require.NoError(t, err)
	assert.NoError(t, m.Unmarshal(enc))
}

type codec interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// fuzzCodec: Unmarshal never panics and fails only with *Error; what it
// accepts is DER, so Marshal gives back exactly the input, and decoding
// that again gives the same value.
func fuzzCodec[T any, PT interface {
	*T
	codec
}](f *testing.F, seeds ...PT) {
	for _, s := range seeds {
		enc, err := s.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := PT(new(T))
		if err := m.Unmarshal(data); err != nil {
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("Unmarshal returned %T: %v", err, err)
			}
			return
		}
		enc, err := m.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a decoded value: %v", err)
		}
		if !bytes.Equal(enc, data) {
			t.Fatalf("accepted input is not DER:\nin  %x\nout %x", data, enc)
		}
		m2 := PT(new(T))
		if err := m2.Unmarshal(enc); err != nil {
			t.Fatalf("re-decoding %x: %v", enc, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("value changed across a round trip:\n%#v\n%#v", m, m2)
		}
	})
}

func FuzzNegTokenInit(f *testing.F) {
	var seeds []*NegTokenInit
	for _, m := range sampleInits() {
		seeds = append(seeds, &m)
	}
	fuzzCodec(f, seeds...)
}

func FuzzNegTokenResp(f *testing.F) {
	var seeds []*NegTokenResp
	for _, m := range sampleResps() {
		seeds = append(seeds, &m)
	}
	fuzzCodec(f, seeds...)
}

// TestMITCaptures decodes what MIT krb5 1.20 sends (captured by
// negotiate's MIT tests with NEGOTIATE_CAPTURE_DIR): gss-client -spnego's
// NegTokenInit, offering Kerberos alone with its AP-REQ, and gss-server's
// accept-completed NegTokenResp with the AP-REP; both re-encode byte for
// byte.
func TestMITCaptures(t *testing.T) {
	b, err := os.ReadFile("testdata/mit-gss-client-negtokeninit.der")
	require.NoError(t, err)
	var init NegTokenInit
	require.NoError(t, init.Unmarshal(b))
	assert.Equal(t, []encasn1.ObjectIdentifier{OIDKerberos}, init.MechTypes)
	assert.Nil(t, init.ReqFlags)
	assert.Nil(t, init.MechListMIC)
	require.NotEmpty(t, init.MechToken)
	assert.Equal(t, byte(0x60), init.MechToken[0], "the Kerberos token keeps its RFC 2743 framing")
	enc, err := init.Marshal()
	require.NoError(t, err)
	assert.Equal(t, b, enc)

	b, err = os.ReadFile("testdata/mit-gss-server-negtokenresp.der")
	require.NoError(t, err)
	var resp NegTokenResp
	require.NoError(t, resp.Unmarshal(b))
	assert.Equal(t, NegStateAcceptCompleted, resp.NegState)
	assert.True(t, resp.SupportedMech.Equal(OIDKerberos))
	assert.NotEmpty(t, resp.ResponseToken)
	assert.Nil(t, resp.MechListMIC, "Kerberos was the first choice: no MIC")
	enc, err = resp.Marshal()
	require.NoError(t, err)
	assert.Equal(t, b, enc)
}
