package negotiate

import (
	encasn1 "encoding/asn1"
	"errors"
	"testing"

	"github.com/gosspi/schannel/internal/negotiate/wire"
	"github.com/gosspi/schannel/sspi"
)

// fuzzMechs maps fuzz bytes to mechanism lists: each byte picks an OID.
var fuzzMechs = []encasn1.ObjectIdentifier{wire.OIDKerberos, wire.OIDMSKerberos, wire.OIDNTLM, wire.OIDNegoEx, wire.OIDSPNEGO, {1, 2, 3}}

func pickMechs(sel []byte) []encasn1.ObjectIdentifier {
	mechs := []encasn1.ObjectIdentifier{}
	for i, b := range sel {
		if i == wire.MaxMechTypes {
			break
		}
		mechs = append(mechs, fuzzMechs[int(b)%len(fuzzMechs)])
	}
	return mechs
}

// checkFailure is the contract of every call on hostile input: SEC_E_OK
// or SEC_I_CONTINUE_NEEDED, or a failure status with an *sspi.Error
// behind it and no output token.
func checkFailure(t *testing.T, st sspi.Status, err error, out []byte) {
	t.Helper()
	if err == nil {
		if st != sspi.SEC_E_OK && st != sspi.SEC_I_CONTINUE_NEEDED {
			t.Fatalf("status %v without an error", st)
		}
		return
	}
	var se *sspi.Error
	if !errors.As(err, &se) || !st.Failed() || se.Status != st {
		t.Fatalf("status %v with error %T %v", st, err, err)
	}
	if st == sspi.SEC_E_INTERNAL_ERROR {
		t.Fatalf("internal error: %v", err)
	}
	if len(out) != 0 {
		t.Fatalf("failure %v with a %d-byte output token", st, len(out))
	}
}

// FuzzAcceptor drives the acceptor with NegTokenInits built from the
// fuzzer's choices (mechanism list, whether a real Kerberos AP-REQ or the
// fuzzer's bytes go in mechToken, a MIC), followed by one NegTokenResp,
// and with raw bytes when mode says so.
func FuzzAcceptor(f *testing.F) {
	newRealm(f)
	client := clientCred(f)
	f.Add([]byte{0}, byte(1), []byte(nil), []byte(nil), []byte(nil))
	f.Add([]byte{2, 0}, byte(0), []byte(nil), []byte(nil), []byte("mic"))
	f.Add([]byte{1, 0, 3, 2}, byte(1), []byte("x"), []byte(nil), []byte(nil))
	f.Add([]byte{}, byte(2), []byte{0x60, 0x03, 0x06, 0x01, 0x00}, []byte(nil), []byte(nil))
	f.Add([]byte{5}, byte(3), []byte("tok"), []byte("second"), []byte("mic"))
	f.Fuzz(func(t *testing.T, sel []byte, mode byte, tok, second, mic []byte) {
		var first []byte
		switch mode % 4 {
		case 0, 1:
			m := wire.NegTokenInit{MechTypes: pickMechs(sel), MechListMIC: mic}
			if mode%4 == 1 {
				_, _, real, err := isc(client, nil, "HTTP/localhost", sspi.ISC_REQ_MUTUAL_AUTH, nil)
				if err != nil {
					t.Fatal(err)
				}
				var init wire.NegTokenInit
				if err := init.Unmarshal(real); err != nil {
					t.Fatal(err)
				}
				m.MechToken = init.MechToken
			} else if tok != nil {
				m.MechToken = tok
			}
			var err error
			if first, err = m.Marshal(); err != nil {
				return
			}
		case 2:
			first = tok
		case 3:
			first = append([]byte{0x60, byte(len(tok) + 8), 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}, tok...)
		}
		// A fresh acceptor credential: one holds 4096 authenticators in
		// its replay cache and then refuses every new one.
		server := serverCred(t)
		ctx, st, out, err := asc(server, nil, first)
		checkFailure(t, st, err, out)
		if st != sspi.SEC_I_CONTINUE_NEEDED {
			return
		}
		next, merr := (&wire.NegTokenResp{NegState: wire.NegStateAbsent, ResponseToken: second, MechListMIC: mic}).Marshal()
		if merr != nil {
			return
		}
		_, st, out, err = asc(server, ctx, next)
		checkFailure(t, st, err, out)
	})
}

// FuzzInitiator answers a real NegTokenInit with NegTokenResps built from
// the fuzzer's choices, with the real AP-REP or the fuzzer's bytes.
func FuzzInitiator(f *testing.F) {
	newRealm(f)
	client := clientCred(f)
	f.Add(byte(0), []byte{0}, true, []byte(nil), []byte(nil))
	f.Add(byte(1), []byte{0}, true, []byte(nil), []byte("mic"))
	f.Add(byte(3), []byte{2}, false, []byte("rep"), []byte(nil))
	f.Add(byte(2), []byte{}, false, []byte(nil), []byte(nil))
	f.Fuzz(func(t *testing.T, state byte, mech []byte, realRep bool, rep, mic []byte) {
		cctx, _, init, err := isc(client, nil, "HTTP/localhost", sspi.ISC_REQ_MUTUAL_AUTH, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp := wire.NegTokenResp{NegState: wire.NegState(int(state%5) - 1), ResponseToken: rep, MechListMIC: mic}
		if len(mech) > 0 {
			resp.SupportedMech = fuzzMechs[int(mech[0])%len(fuzzMechs)]
		}
		if realRep {
			// A fresh acceptor credential each time: the Kerberos replay
			// cache of one holds 4096 authenticators and then refuses
			// every new one (reported as KRB_AP_ERR_REPEAT).
			_, _, reply, err := asc(serverCred(t), nil, init)
			if err != nil {
				t.Fatal(err)
			}
			var real wire.NegTokenResp
			if err := real.Unmarshal(reply); err != nil {
				t.Fatal(err)
			}
			resp.ResponseToken = real.ResponseToken
		}
		tok, err := resp.Marshal()
		if err != nil {
			return
		}
		_, st, out, err := isc(client, cctx, "HTTP/localhost", sspi.ISC_REQ_MUTUAL_AUTH, tok)
		checkFailure(t, st, err, out)
	})
}
