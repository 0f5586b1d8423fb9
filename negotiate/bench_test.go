package negotiate

import (
	"testing"

	"github.com/gosspi/schannel/internal/negotiate/wire"
)

// BenchmarkHandshake: one Negotiate context each side (NegTokenInit with
// the AP-REQ, NegTokenResp with the AP-REP), the service ticket cached.
func BenchmarkHandshake(b *testing.B) {
	newRealm(b)
	client, server := clientCred(b), serverCred(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		// The Kerberos replay cache of one credential holds 4096
		// authenticators and then refuses new ones: a fresh acceptor
		// credential now and then (amortised in the numbers).
		if n++; n%4000 == 0 {
			server = serverCred(b)
		}
		cctx, _, tok, err := isc(client, nil, "HTTP/localhost", fullReq, nil)
		if err != nil {
			b.Fatal(err)
		}
		_, _, reply, err := asc(server, nil, tok)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, _, err := isc(client, cctx, "HTTP/localhost", fullReq, reply); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNegTokenInitUnmarshal: the acceptor's first parse of a
// typical NegTokenInit.
func BenchmarkNegTokenInitUnmarshal(b *testing.B) {
	newRealm(b)
	_, _, tok, err := isc(clientCred(b), nil, "HTTP/localhost", fullReq, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(tok)))
	for b.Loop() {
		var m wire.NegTokenInit
		if err := m.Unmarshal(tok); err != nil {
			b.Fatal(err)
		}
	}
}
