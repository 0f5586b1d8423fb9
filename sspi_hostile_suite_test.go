package schannel_test

import (
	"crypto/tls"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"
)

// tls12SuiteWeOffer is a TLS 1.2 suite our default client offers beside the
// TLS 1.3 ones: it passes a plain "was it offered" check.
const tls12SuiteWeOffer = tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256

// newSessionTicket13 is a TLS 1.3 NewSessionTicket (RFC 8446 4.6.1).
func newSessionTicket13(t testing.TB, lifetime, ageAdd uint32, nonce, ticket []byte, exts []ext, lenDelta int) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint32(lifetime)
	b.AddUint32(ageAdd)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(nonce) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ticket) })
	addExts(b, exts)
	return handshakeMsg(wire.TypeNewSessionTicket, mustBytes(t, b), lenDelta)
}

// TestTLS13ServerHelloNamesATLS12Suite is the regression test for a crash:
// a TLS 1.3 ServerHello, HelloRetryRequest, or ServerHello that accepts our
// PSK, naming a TLS 1.2 suite our hello offered, passed the "offered" check
// and the client dereferenced the missing TLS 1.3 suite. RFC 8446 4.1.3: the
// suite must be a TLS 1.3 one we offered, else illegal_parameter.
func TestTLS13ServerHelloNamesATLS12Suite(t *testing.T) {
	p := pki(t)
	cases := []struct {
		name string
		run  func(t *testing.T) outcome
	}{
		{"ServerHello", func(t *testing.T) outcome {
			h := newHostileServer13(t, p.clientConfig())
			require.Contains(t, h.hello.CipherSuites, uint16(tls12SuiteWeOffer))
			sh, secret := h.legalServerHello()
			sh.suite = tls12SuiteWeOffer
			msg := sh.marshal(t)
			h.keysFor(msg, sh.suite, secret)
			return h.deliver(h.flight(msg))
		}},
		{"HelloRetryRequest", func(t *testing.T) outcome {
			h := newHostileServer13(t, p.clientConfig())
			hrr := h.legalHRR()
			hrr.suite = tls12SuiteWeOffer
			o, ok := h.sendHRR(hrr.marshal(t), hrr.suite)
			require.False(t, ok, "the client must not answer")
			return o
		}},
		{"ServerHello after HelloRetryRequest", func(t *testing.T) outcome {
			h := newHostileServer13(t, p.clientConfig())
			hrr := h.legalHRR()
			_, ok := h.sendHRR(hrr.marshal(t), hrr.suite)
			require.True(t, ok)
			sh, secret := h.legalServerHelloAfterHRR()
			sh.suite = tls12SuiteWeOffer
			msg := sh.marshal(t)
			h.keysFor(msg, sh.suite, secret)
			return h.deliver(h.flight(msg))
		}},
		{"ServerHello accepting the offered session", func(t *testing.T) outcome {
			ccfg := p.clientConfig()
			ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(2)
			first := newHostileServer13(t, ccfg)
			app := first.connect()
			nst := newSessionTicket13(t, 3600, 7, []byte{0}, []byte("a ticket"), nil, 0)
			o := postHandshake(t, first.client, sealWith(t, app, wire.ContentHandshake, nst))
			require.Equal(t, schannel.SEC_E_OK, o.status, "%v", o.err)

			h := newHostileServer13(t, ccfg)
			require.Len(t, h.hello.PSKIdentities, 1, "the client offers the session")
			sh, secret := h.legalServerHello()
			sh.suite = tls12SuiteWeOffer
			sh.exts = append(sh.exts, ext{wire.ExtPreSharedKey, u16(0)})
			msg := sh.marshal(t)
			h.keysFor(msg, sh.suite, secret)
			return h.deliver(h.flight(msg))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.run(t)
			assert.Equal(t, schannel.SEC_E_ILLEGAL_MESSAGE, o.status, "%v", o.err)
			assert.True(t, isAlert(o.err, wire.AlertIllegalParameter), "illegal_parameter: %v", o.err)
			checkFailure(t, o, true)
		})
	}
}

// TestHostileServer13Honest checks the hostile server itself: played
// straight, it completes a handshake with our client, before and after a
// HelloRetryRequest, so the failures the other tests see are the client's
// checks at work.
func TestHostileServer13Honest(t *testing.T) {
	p := pki(t)
	t.Run("full", func(t *testing.T) {
		h := newHostileServer13(t, p.clientConfig())
		app := h.connect()
		o := postHandshake(t, h.client, sealWith(t, app, wire.ContentApplicationData, []byte("hello")))
		assert.Equal(t, schannel.SEC_E_OK, o.status, "%v", o.err)
	})
	t.Run("after HelloRetryRequest", func(t *testing.T) {
		h := newHostileServer13(t, p.clientConfig())
		hrr := h.legalHRR()
		_, ok := h.sendHRR(hrr.marshal(t), hrr.suite)
		require.True(t, ok)
		sh, secret := h.legalServerHelloAfterHRR()
		msg := sh.marshal(t)
		h.keysFor(msg, sh.suite, secret)
		ee := h.add(h.legalEncryptedExtensions())
		cert := h.add(h.legalCertificate())
		cv := h.add(h.legalCertificateVerify())
		fin := h.add(h.legalFinished())
		o := h.deliver(h.flight(msg, ee, cert, cv, fin))
		assert.Equal(t, schannel.SEC_E_OK, o.status, "%v", o.err)
	})
}

// TestHostileServer12Honest checks the TLS 1.2 hostile server the same way:
// played straight, with and without a ticket, it completes a handshake.
func TestHostileServer12Honest(t *testing.T) {
	p := pki(t)
	t.Run("full", func(t *testing.T) {
		h := newHostileServer12(t, p.clientConfig())
		sh := h.legalServerHello()
		h.useSuite(sh.suite)
		o := h.run([][]byte{sh.marshal(t), h.legalCertificate(), h.legalServerKeyExchange(), serverHelloDone(nil, 0)}, nil)
		assert.Equal(t, schannel.SEC_E_OK, o.status, "%v", o.err)
	})
	t.Run("ticket", func(t *testing.T) {
		ccfg := p.clientConfig()
		ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
		h := newHostileServer12(t, ccfg)
		sh := h.legalServerHello()
		sh.exts = append(sh.exts, ext{wire.ExtSessionTicket, nil})
		h.useSuite(sh.suite)
		o := h.run([][]byte{sh.marshal(t), h.legalCertificate(), h.legalServerKeyExchange(), serverHelloDone(nil, 0)},
			newSessionTicket12(3600, []byte("ticket"), 0))
		assert.Equal(t, schannel.SEC_E_OK, o.status, "%v", o.err)
	})
}
