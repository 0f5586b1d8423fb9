package schannel_test

import (
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"
)

// hostileServer12 plays a TLS 1.2 server against our client, like
// hostileServer13: every message built field by field, its own transcript,
// master secret and record keys, so it can finish any handshake the client
// lets through.
type hostileServer12 struct {
	t      testing.TB
	client *sspiPeer
	hello  *wire.ClientHello
	cert   tls.Certificate

	msgs         [][]byte
	suite        *keys.Suite
	serverRandom []byte
	share        *keys.PrivateShare
	ticketAcked  bool
}

func newHostileServer12(t testing.TB, ccfg *tls.Config) *hostileServer12 {
	t.Helper()
	cred, err := schannel.AcquireCredentialsHandle(schannel.SECPKG_CRED_OUTBOUND, ccfg)
	require.NoError(t, err)
	h := &hostileServer12{t: t, client: &sspiPeer{name: "client", cred: cred, target: ccfg.ServerName}, cert: pki(t).server}
	status, out, err := h.client.call(t)
	require.NoError(t, err)
	require.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, status)
	var body []byte
	for _, r := range hostileRecords(t, out) {
		body = append(body, r.payload...)
	}
	h.hello = new(wire.ClientHello)
	require.NoError(t, h.hello.Unmarshal(body))
	h.msgs = [][]byte{body}
	h.serverRandom = make([]byte, 32)
	_, _ = rand.Read(h.serverRandom)
	return h
}

// serverHello12 are the fields of a TLS 1.2 ServerHello.
type serverHello12 struct {
	vers        uint16
	random      []byte
	sessionID   []byte
	suite       uint16
	compression uint8
	exts        []ext
	lenDelta    int
}

func (m *serverHello12) marshal(t testing.TB) []byte {
	return (&serverHello13{vers: m.vers, random: m.random, sessionID: m.sessionID, suite: m.suite,
		compression: m.compression, exts: m.exts, lenDelta: m.lenDelta}).marshal(t)
}

// legalServerHello12 is what an honest server answers: ECDHE-ECDSA with
// AES-128-GCM (the test certificate is ECDSA), extended master secret and
// secure renegotiation as our client requires, a fresh session ID.
func (h *hostileServer12) legalServerHello() *serverHello12 {
	sid := make([]byte, 32)
	_, _ = rand.Read(sid)
	return &serverHello12{
		vers: wire.VersionTLS12, random: h.serverRandom, sessionID: sid, suite: tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		exts: []ext{{wire.ExtRenegotiationInfo, []byte{0}}, {wire.ExtExtendedMasterSecret, nil}},
	}
}

func (h *hostileServer12) add(msg []byte) []byte {
	h.msgs = append(h.msgs, msg)
	return msg
}

// useSuite sets the suite the server's keys follow (AES-128-GCM when the
// fuzzed one is not a TLS 1.2 suite).
func (h *hostileServer12) useSuite(id uint16) {
	h.suite = keys.Suite12(id)
	if h.suite == nil {
		h.suite = keys.Suite12(tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	}
}

func (h *hostileServer12) legalCertificate() []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, c := range h.cert.Certificate {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c) })
		}
	})
	return handshakeMsg(wire.TypeCertificate, mustBytes(h.t, b), 0)
}

// ecdheParams is ServerECDHParams (RFC 8422 5.4).
func ecdheParams(curveType uint8, group uint16, public []byte) []byte {
	out := []byte{curveType, byte(group >> 8), byte(group), byte(len(public))}
	return append(out, public...)
}

// sign12 signs client_random + server_random + params with the certificate's
// ECDSA key and the hash scheme names (SHA-256 for any scheme it does not know).
func (h *hostileServer12) sign12(scheme uint16, params []byte) []byte {
	hash := crypto.SHA256
	switch scheme {
	case wire.ECDSAWithP384AndSHA384:
		hash = crypto.SHA384
	case wire.ECDSAWithP521AndSHA512:
		hash = crypto.SHA512
	}
	d := hash.New()
	d.Write(h.hello.Random)
	d.Write(h.serverRandom)
	d.Write(params)
	sig, err := h.cert.PrivateKey.(crypto.Signer).Sign(rand.Reader, d.Sum(nil), hash)
	require.NoError(h.t, err)
	return sig
}

func serverKeyExchange(params []byte, scheme uint16, sig []byte, lenDelta int) []byte {
	body := append(append([]byte{}, params...), u16(scheme)...)
	body = append(body, u16(uint16(len(sig)))...)
	return handshakeMsg(wire.TypeServerKeyExchange, append(body, sig...), lenDelta)
}

// legalServerKeyExchange offers X25519, signed with ECDSA P-256 SHA-256.
func (h *hostileServer12) legalServerKeyExchange() []byte {
	share, err := keys.NewPrivateShare(wire.GroupX25519, rand.Reader)
	require.NoError(h.t, err)
	h.share = share
	params := ecdheParams(3, wire.GroupX25519, share.Public())
	return serverKeyExchange(params, wire.ECDSAWithP256AndSHA256, h.sign12(wire.ECDSAWithP256AndSHA256, params), 0)
}

func serverHelloDone(body []byte, lenDelta int) []byte {
	return handshakeMsg(wire.TypeServerHelloDone, body, lenDelta)
}

// finish reads the client's second flight out of o and, when it is whole,
// answers with [NewSessionTicket,] ChangeCipherSpec and Finished; the
// returned outcome is the client's last. nst, when non-nil, is sent as the
// NewSessionTicket.
func (h *hostileServer12) finish(o outcome, nst []byte) outcome {
	t := h.t
	if o.status != schannel.SEC_I_CONTINUE_NEEDED || len(o.output) == 0 || h.share == nil {
		return o
	}
	var encrypted []byte
	var cke []byte
	for _, r := range hostileRecords(t, o.output) {
		switch {
		case r.typ == wire.ContentHandshake && encrypted == nil:
			for _, m := range splitMessages(t, r.payload) {
				h.add(m)
				if wire.HandshakeType(m[0]) == wire.TypeClientKeyExchange {
					cke = m
				}
			}
		case r.typ == wire.ContentChangeCipherSpec:
			encrypted = []byte{}
		case r.typ == wire.ContentHandshake:
			encrypted = append(wire.AppendRecordHeader(nil, r.typ, wire.VersionTLS12, len(r.payload)), r.payload...)
		}
	}
	require.NotNil(t, cke, "the client sent a ClientKeyExchange")
	var kx wire.ClientKeyExchangeECDHE
	require.NoError(t, kx.Unmarshal(cke))
	preMaster, err := h.share.SharedSecret(kx.Public)
	require.NoError(t, err)
	// The extended master secret hashes the transcript through the
	// ClientKeyExchange (and any client certificate before it); RFC 7627 4.
	hsh := h.suite.Hash
	var upToCKE [][]byte
	for _, m := range h.msgs {
		upToCKE = append(upToCKE, m)
		if wire.HandshakeType(m[0]) == wire.TypeClientKeyExchange {
			break
		}
	}
	master := keys.ExtendedMasterSecret(hsh, preMaster, transcriptHash(hsh, upToCKE))
	clientKey, serverKey, clientIV, serverIV := keys.KeyBlock12(h.suite, master, h.hello.Random, h.serverRandom)
	open, err := keys.NewRecordProtection12(h.suite, clientKey, clientIV)
	require.NoError(t, err)
	_, fin, err := open.Open(encrypted)
	if err != nil {
		// The client parsed our flight differently from how we built it
		// (a lying length, say), so our transcripts differ and we cannot
		// go on honestly: the client is left waiting, which is no success.
		return o
	}
	h.add(fin)
	var out []byte
	if nst != nil {
		out = plaintextRecord(wire.ContentHandshake, h.add(nst))
	}
	out = append(out, plaintextRecord(wire.ContentChangeCipherSpec, []byte{1})...)
	seal, err := keys.NewRecordProtection12(h.suite, serverKey, serverIV)
	require.NoError(t, err)
	verify := keys.VerifyData12(hsh, master, "server finished", transcriptHash(hsh, h.msgs))
	out = append(out, sealWith(t, seal, wire.ContentHandshake, handshakeMsg(wire.TypeFinished, verify, 0))...)
	return driveHandshake(t, h.client, out)
}

// run sends the server's first flight (one record) and, if the client
// answers, finishes the handshake.
func (h *hostileServer12) run(flight [][]byte, nst []byte) outcome {
	var body []byte
	for _, m := range flight {
		body = append(body, h.add(m)...)
	}
	o := driveHandshake(h.t, h.client, plaintextRecord(wire.ContentHandshake, body))
	return h.finish(o, nst)
}

// newSessionTicket12 is RFC 5077 3.3's message.
func newSessionTicket12(lifetime uint32, ticket []byte, lenDelta int) []byte {
	body := []byte{byte(lifetime >> 24), byte(lifetime >> 16), byte(lifetime >> 8), byte(lifetime)}
	body = append(body, u16(uint16(len(ticket)))...)
	return handshakeMsg(wire.TypeNewSessionTicket, append(body, ticket...), lenDelta)
}
