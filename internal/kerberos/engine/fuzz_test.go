package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
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
