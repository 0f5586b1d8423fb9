package engine

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// The engine's parsers face the network: whatever arrives, the contract
// is a status, never a panic, and never an error that is not *sspi.Error.

func requireStatus(t *testing.T, err error) {
	if err == nil {
		return
	}
	var se *sspi.Error
	if !errors.As(err, &se) {
		t.Fatalf("got %T, want *sspi.Error: %v", err, err)
	}
}

// FuzzASReceive feeds arbitrary KDC replies to an AS exchange that has
// sent its first request, and to one that has sent PA-ENC-TIMESTAMP. The
// fake KDC asks for one PBKDF2 iteration so the fuzzer is not measuring
// string-to-key; each input gets a copy of the two waiting exchanges.
func FuzzASReceive(f *testing.F) {
	kdc := newFakeKDC(f)
	kdc.s2kParams = []byte{0, 0, 0, 1}
	plain, _ := NewAS(kdc.config())
	first, _ := plain.Start()
	preauthRequired := kdc.handle(first.Send.Message)
	f.Add(preauthRequired)
	preauth, _ := NewAS(kdc.config())
	first, _ = preauth.Start()
	second, err := preauth.Receive(kdc.handle(first.Send.Message))
	if err != nil || second.Send == nil {
		f.Fatalf("no preauth round trip: %v", err)
	}
	f.Add(kdc.handle(second.Send.Message))
	f.Add(readCapture(f, "as-rep.hex"))
	f.Add(readCapture(f, "krb-error.hex"))
	f.Fuzz(func(t *testing.T, reply []byte) {
		x, y := *plain, *preauth
		_, err := x.Receive(reply)
		requireStatus(t, err)
		_, err = y.Receive(reply)
		requireStatus(t, err)
	})
}

// FuzzAccept feeds arbitrary context tokens to an acceptor whose keytab
// has the fake KDC's service key.
func FuzzAccept(f *testing.F) {
	fx := newAPFixture(f)
	_, tok, err := NewInitiator(fx.init)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add(readCapture(f, "gss-ap-req.hex"))
	f.Fuzz(func(t *testing.T, tok []byte) {
		cfg := fx.acc
		cfg.Replay = NewReplayCache(4, time.Minute)
		_, err := Accept(cfg, tok)
		requireStatus(t, err)
	})
}

// FuzzInitiatorReceive feeds arbitrary reply tokens to an initiator
// waiting for its AP-REP.
func FuzzInitiatorReceive(f *testing.F) {
	fx := newAPFixture(f)
	_, tok, err := NewInitiator(fx.init)
	if err != nil {
		f.Fatal(err)
	}
	acc, err := Accept(fx.acc, tok)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(acc.Reply)
	f.Add(readCapture(f, "gss-ap-rep.hex"))
	waiting, _, err := NewInitiator(fx.init)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		ini := *waiting
		requireStatus(t, ini.Receive(reply))
	})
}

// FuzzUnwrap feeds arbitrary tokens to Unwrap and VerifyMIC.
func FuzzUnwrap(f *testing.F) {
	ini, _ := layers(f, crypto.AES256CTSHMACSHA196, GSSReplayFlag|GSSSequenceFlag, true)
	for _, conf := range []bool{true, false} {
		tok, _ := ini.Wrap([]byte("seed"), conf)
		f.Add(tok)
	}
	mic, _ := ini.MIC([]byte("seed"))
	f.Add(mic)
	f.Add(readCapture(f, "gss-wrap.hex"))
	f.Fuzz(func(t *testing.T, tok []byte) {
		_, acc := layers(t, crypto.AES256CTSHMACSHA196, GSSReplayFlag|GSSSequenceFlag, true)
		_, _, err := acc.Unwrap(tok)
		requireStatus(t, err)
		requireStatus(t, acc.VerifyMIC([]byte("seed"), tok))
	})
}

// FuzzUnwrapRC4 is FuzzUnwrap for an RC4-HMAC context's RFC 1964 tokens.
func FuzzUnwrapRC4(f *testing.F) {
	ini, _ := layers(f, crypto.RC4HMAC, GSSReplayFlag|GSSSequenceFlag, false)
	for _, conf := range []bool{true, false} {
		tok, _ := ini.Wrap([]byte("seed"), conf)
		f.Add(tok)
	}
	mic, _ := ini.MIC([]byte("seed"))
	f.Add(mic)
	f.Fuzz(func(t *testing.T, tok []byte) {
		_, acc := layers(t, crypto.RC4HMAC, GSSReplayFlag|GSSSequenceFlag, false)
		_, _, err := acc.Unwrap(tok)
		requireStatus(t, err)
		requireStatus(t, acc.VerifyMIC([]byte("seed"), tok))
	})
}

// FuzzDCE covers the DCE-style legs (MS-KILE section 3.4.5.1): each input
// goes to the acceptor as a first token (a bare AP-REQ is DCE style), to a
// DCE-style initiator waiting for the acceptor's bare AP-REP, and to an
// acceptor waiting for the initiator's third-leg AP-REP. Only the valid
// third leg may pass VerifyDCEReply.
func FuzzDCE(f *testing.F) {
	fx := dceFixture(f)
	ini, tok, err := NewInitiator(fx.init)
	if err != nil {
		f.Fatal(err)
	}
	acc, err := Accept(fx.acc, tok)
	if err != nil {
		f.Fatal(err)
	}
	if err := ini.Receive(acc.Reply); err != nil {
		f.Fatal(err)
	}
	final := ini.FinalToken()
	f.Add(tok)
	f.Add(acc.Reply)
	f.Add(final)
	waiting, _, err := NewInitiator(fx.init)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg := fx.acc
		cfg.Replay = NewReplayCache(4, time.Minute)
		_, err := Accept(cfg, in)
		requireStatus(t, err)
		w := *waiting
		err = w.Receive(in)
		requireStatus(t, err)
		if err != nil && w.FinalToken() != nil {
			t.Fatal("a third leg after a refused reply")
		}
		err = VerifyDCEReply(acc.Keys, in)
		requireStatus(t, err)
		if err == nil && !bytes.Equal(in, final) {
			// Only the encrypted part is protected; a re-encoding of the
			// same AP-REP (DER allows none) is the one way to differ.
			var a, b wire.APRep
			if a.Unmarshal(in) != nil || b.Unmarshal(final) != nil || !bytes.Equal(a.EncPart.Cipher, b.EncPart.Cipher) {
				t.Fatalf("a changed third leg passed: %x", in)
			}
		}
	})
}

// Fields of a Wrap token FuzzHostileUnwrapIn changes, one at a time.
const (
	wrapFieldNone = iota
	wrapFieldFlags
	wrapFieldFiller
	wrapFieldEC
	wrapFieldRRC
	wrapFieldSeq
	wrapFieldBody
	wrapFieldCount
)

// FuzzHostileUnwrapIn builds a valid Wrap token in EncryptMessage's
// in-place layout (MessageLayer.WrapTo: TOKEN then DATA), for an AES
// enctype in a plain or DCE-style context, changes one field (flags,
// filler, EC, RRC, SND_SEQ or a body byte) to a fuzzed value, and hands
// it to UnwrapIn cut at a fuzzed point between TOKEN and DATA, so that
// rotations and CTS blocks straddle the two buffers (a cut inside the
// header must be refused with a status). The contract: a
// status, never a panic; a token whose change touches anything but RRC
// is refused; and whatever is accepted is the message sent, with its
// confidentiality as sent (a changed RRC may still name the rotation
// used, and DCE style tries RRC and RRC+EC).
func FuzzHostileUnwrapIn(f *testing.F) {
	for field := range wrapFieldCount {
		f.Add(uint8(field), uint8(field), false, true, []byte("a message in place"), uint16(24), uint16(1), uint16(40))
	}
	f.Add(uint8(wrapFieldNone), uint8(3), true, true, make([]byte, 33), uint16(7), uint16(0), uint16(60))
	f.Add(uint8(wrapFieldRRC), uint8(0), true, true, []byte("dce"), uint16(16), uint16(44), uint16(100))
	f.Add(uint8(wrapFieldNone), uint8(3), false, false, []byte{}, uint16(3), uint16(0), uint16(0))
	var ids []int32
	for _, id := range crypto.All() {
		if e, _ := crypto.Lookup(id); !e.Weak {
			ids = append(ids, id)
		}
	}
	keys := make(map[int32][2][]byte, len(ids))
	for _, id := range ids {
		e, _ := crypto.Lookup(id)
		k1, err := e.RandomKey()
		if err != nil {
			f.Fatal(err)
		}
		k2, err := e.RandomKey()
		if err != nil {
			f.Fatal(err)
		}
		keys[id] = [2][]byte{k1, k2}
	}
	// The enctype has its own input: drawn from value, it would tie the
	// low bits of a changed flags or filler byte to the enctype.
	f.Fuzz(func(t *testing.T, field, enctype uint8, dce, conf bool, msg []byte, value, at, cut uint16) {
		id := ids[int(enctype)%len(ids)]
		var flags uint32
		if dce {
			flags = GSSDCEStyleFlag
		}
		ini, acc := pairAt(t, id, keys[id][0], keys[id][1], 9, flags)
		data := append([]byte(nil), msg...)
		tok := make([]byte, ini.Overhead(conf))
		n, err := ini.WrapTo(tok, data, conf)
		if err != nil {
			t.Fatalf("WrapTo of a %d-byte message: %v", len(msg), err)
		}
		whole := append(tok[:n], data...)
		sent := append([]byte(nil), whole...)
		switch field % wrapFieldCount {
		case wrapFieldFlags:
			whole[2] = byte(value)
		case wrapFieldFiller:
			whole[3] = byte(value)
		case wrapFieldEC:
			whole[4], whole[5] = byte(value>>8), byte(value)
		case wrapFieldRRC:
			whole[6], whole[7] = byte(value>>8), byte(value)
		case wrapFieldSeq:
			whole[8+int(at)%8] ^= byte(value) | 1
		case wrapFieldBody:
			i := wire.TokenHeaderSize + int(at)%(len(whole)-wire.TokenHeaderSize)
			whole[i] ^= byte(value) | 1
		}
		changed := !bytes.Equal(whole, sent)
		k := int(cut) % (len(whole) + 1)
		got, gotConf, err := acc.UnwrapIn(append([]byte(nil), whole[:k]...), append([]byte(nil), whole[k:]...))
		requireStatus(t, err)
		if err != nil {
			// The header must be in tok (the TOKEN buffer); a cut
			// inside it is refused, as in DecryptMessage.
			if !changed && k >= wire.TokenHeaderSize {
				t.Fatalf("the token as sent, cut at %d, is refused: %v", k, err)
			}
			return
		}
		if changed && field%wrapFieldCount != wrapFieldRRC {
			t.Fatalf("a token with field %d changed is accepted", field%wrapFieldCount)
		}
		if !bytes.Equal(got, msg) || gotConf != conf {
			t.Fatalf("accepted %q (conf %v), sent %q (conf %v)", got, gotConf, msg, conf)
		}
	})
}
