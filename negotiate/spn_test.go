package negotiate

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/dns/dnsmessage"
)

// fakeDNS answers every A or AAAA query for alias with a CNAME to canon
// and, for A, canon's address 192.0.2.7; other names get NXDOMAIN. It
// records whether a PTR (reverse) query ever came.
type fakeDNS struct {
	alias, canon dnsmessage.Name
	sawPTR       bool
}

func (d *fakeDNS) answer(q []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		return nil
	}
	question, err := p.Question()
	if err != nil {
		return nil
	}
	if question.Type == dnsmessage.TypePTR {
		d.sawPTR = true
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	known := question.Name.String() == d.alias.String() && (question.Type == dnsmessage.TypeA || question.Type == dnsmessage.TypeAAAA)
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	_ = b.StartQuestions()
	_ = b.Question(question)
	_ = b.StartAnswers()
	if known {
		_ = b.CNAMEResource(dnsmessage.ResourceHeader{Name: d.alias, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.CNAMEResource{CNAME: d.canon})
		if question.Type == dnsmessage.TypeA {
			_ = b.AResource(dnsmessage.ResourceHeader{Name: d.canon, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: [4]byte{192, 0, 2, 7}})
		}
	}
	out, _ := b.Finish()
	return out
}

// resolver is a pure-Go resolver that asks d over an in-memory stream:
// a connection that is not a net.PacketConn gets DNS's TCP framing (a
// 2-byte length before each message) from the resolver.
func (d *fakeDNS) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		client, server := net.Pipe()
		go func() {
			defer server.Close()
			for {
				var n [2]byte
				if _, err := io.ReadFull(server, n[:]); err != nil {
					return
				}
				q := make([]byte, int(n[0])<<8|int(n[1]))
				if _, err := io.ReadFull(server, q); err != nil {
					return
				}
				a := d.answer(q)
				if _, err := server.Write(append([]byte{byte(len(a) >> 8), byte(len(a))}, a...)); err != nil {
					return
				}
			}
		}()
		return client, nil
	}}
}

// TestSPNCanonicalName: the SPN follows the host's CNAME, as browsers do,
// never reverse DNS; NoCanonicalize and IP literals keep the name given.
func TestSPNCanonicalName(t *testing.T) {
	d := &fakeDNS{alias: dnsmessage.MustNewName("www.example.test."), canon: dnsmessage.MustNewName("web1.example.test.")}
	ctx := context.Background()
	tr := &Transport{Resolver: d.resolver()}
	spn, err := tr.spn(ctx, "www.example.test")
	require.NoError(t, err)
	assert.Equal(t, "HTTP/web1.example.test", spn)

	tr.NoCanonicalize = true
	spn, err = tr.spn(ctx, "www.example.test")
	require.NoError(t, err)
	assert.Equal(t, "HTTP/www.example.test", spn)

	tr.NoCanonicalize = false
	spn, err = tr.spn(ctx, "192.0.2.7")
	require.NoError(t, err)
	assert.Equal(t, "HTTP/192.0.2.7", spn, "an address is not looked up, in either direction")
	spn, err = tr.spn(ctx, "unknown.example.test")
	require.NoError(t, err)
	assert.Equal(t, "HTTP/unknown.example.test", spn, "a failed lookup keeps the name")
	assert.False(t, d.sawPTR, "no reverse DNS")
}
