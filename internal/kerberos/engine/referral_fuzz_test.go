package engine

import (
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/wire"
)

// clone copies an exchange waiting for a reply, so that each fuzz input
// meets the same state.
func (x *ServiceExchange) clone() *ServiceExchange {
	y := *x
	cur := *x.cur
	y.cur = &cur
	y.seen = make(map[string]bool, len(x.seen))
	for k, v := range x.seen {
		y.seen[k] = v
	}
	y.tgts = append([]TGSResult(nil), x.tgts...)
	return &y
}

// FuzzServiceReceive feeds arbitrary KDC replies to a service-ticket
// exchange waiting for the client realm's answer (a referral, the ticket
// or an error that starts the fallback) and to one waiting, after the
// referral, for the service realm's.
func FuzzServiceReceive(f *testing.F) {
	rs := newRealms(f, "A.TEST", "B.TEST")
	rs.trust("A.TEST", "B.TEST")
	rs.service("B.TEST", "host/svc.b.test")
	rs["A.TEST"].refer["host/svc.b.test"] = "B.TEST"
	a := rs["A.TEST"]
	a.s2kParams = []byte{0, 0, 0, 1}
	as, err := a.run(a.config())
	if err != nil {
		f.Fatal(err)
	}
	x, err := NewServiceExchange(ServiceConfig{TGSConfig: TGSConfig{
		Client: as.CName, CRealm: as.CRealm, TGT: as.Ticket, TGTKey: as.Part.Key,
		Service: wire.PrincipalName{NameType: wire.NTSrvHst, NameString: []string{"host", "svc.b.test"}},
		Now:     func() time.Time { return a.now },
	}, FallbackRealm: "B.TEST"})
	if err != nil {
		f.Fatal(err)
	}
	step, err := x.Start()
	if err != nil {
		f.Fatal(err)
	}
	referral := a.handle(step.Send.Message)
	f.Add(referral)
	f.Add(a.error(wire.KDCErrSPrincipalUnknown, nil))
	atA := x.clone()
	step, err = x.Receive(referral)
	if err != nil || step.Send == nil || step.Send.Realm != "B.TEST" {
		f.Fatalf("no referral to B: %v", err)
	}
	f.Add(rs["B.TEST"].handle(step.Send.Message))
	atB := x
	f.Fuzz(func(t *testing.T, reply []byte) {
		for _, w := range []*ServiceExchange{atA, atB} {
			_, err := w.clone().Receive(reply)
			requireStatus(t, err)
		}
	})
}
