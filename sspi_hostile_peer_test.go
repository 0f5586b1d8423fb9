package schannel_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"slices"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"
)

// This file is a hostile peer written for tests: a TLS server (1.3 and 1.2)
// that answers our client's real ClientHello with messages built field by
// field, and keeps its own transcript and key schedule. It can therefore
// sign and MAC whatever it sends: a test or fuzz target swaps one message
// for a hostile one, and everything after it still verifies, so only the
// client's checks of that one message decide the outcome.

// ext is one extension as a hostile peer writes it: any type, any body.
type ext struct {
	typ  uint16
	data []byte
}

// fuzzExtensions reads extensions out of fuzz bytes: each is a type (2
// bytes), a length (1 byte) and that many bytes of body (fewer at the end).
func fuzzExtensions(b []byte) []ext {
	var out []ext
	for len(b) >= 3 && len(out) < 16 {
		typ, n := uint16(b[0])<<8|uint16(b[1]), int(b[2])
		b = b[3:]
		n = min(n, len(b))
		out = append(out, ext{typ, b[:n]})
		b = b[n:]
	}
	return out
}

// judgeExtras classifies the extensions a target appended from fuzzed
// bytes (the last n of exts): one the client never offered, or one whose
// type is already in the message, breaks the RFC (RFC 8446 section 4.2,
// RFC 5246 section 7.4.1.4: unsupported_extension, or a duplicate). One of
// a type the client did offer may be legal (the fuzzers built an
// acknowledging server_name and a key_share that way) or not, depending on
// contents the target does not model, so the outcome is unknown.
func judgeExtras(offered []uint16, exts []ext, n int) (broken, unknown bool) {
	seen := map[uint16]bool{}
	for i, e := range exts {
		extra := i >= len(exts)-n
		switch {
		case seen[e.typ]:
			if extra {
				broken = true
			}
		case extra && !slices.Contains(offered, e.typ):
			broken = true
		case extra:
			unknown = true
		}
		seen[e.typ] = true
	}
	return broken, unknown
}

func addExts(b *cryptobyte.Builder, exts []ext) {
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, e := range exts {
			b.AddUint16(e.typ)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.data) })
		}
	})
}

func u16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

func u16list(vs ...uint16) []byte {
	out := u16(uint16(2 * len(vs)))
	for _, v := range vs {
		out = append(out, u16(v)...)
	}
	return out
}

// handshakeMsg frames a body as a handshake message. lenDelta is added to
// the 24-bit length, so a target can lie about it.
func handshakeMsg(typ wire.HandshakeType, body []byte, lenDelta int) []byte {
	n := max(0, min(len(body)+lenDelta, 1<<24-1))
	return append([]byte{byte(typ), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

// effectiveDelta is the length lie handshakeMsg really tells for a body of
// bodyLen bytes: a length cannot go below zero.
func effectiveDelta(bodyLen int, lenDelta int8) int8 {
	return int8(max(0, bodyLen+int(lenDelta)) - bodyLen)
}

func mustBytes(t testing.TB, b *cryptobyte.Builder) []byte {
	t.Helper()
	out, err := b.Bytes()
	require.NoError(t, err)
	return out
}

// transcriptHash hashes handshake messages with h.
func transcriptHash(h crypto.Hash, msgs [][]byte) []byte {
	d := h.New()
	for _, m := range msgs {
		d.Write(m)
	}
	return d.Sum(nil)
}

// hostileRecords splits a byte stream into records: type and payload.
func hostileRecords(t testing.TB, b []byte) []record {
	t.Helper()
	var out []record
	for len(b) > 0 {
		typ, _, n, ok := wire.ParseRecordHeader(b)
		require.True(t, ok, "a whole record header")
		require.GreaterOrEqual(t, len(b), 5+n)
		out = append(out, record{typ, b[5 : 5+n]})
		b = b[5+n:]
	}
	return out
}

// splitMessages splits handshake bytes into whole messages, headers included.
func splitMessages(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		_, n, ok := wire.ParseHandshakeHeader(b)
		require.True(t, ok)
		require.GreaterOrEqual(t, len(b), 4+n)
		out = append(out, b[:4+n])
		b = b[4+n:]
	}
	return out
}

// sealWith protects one record with prot.
func sealWith(t testing.TB, prot *keys.RecordProtection, typ wire.ContentType, payload []byte) []byte {
	t.Helper()
	header, trailer := prot.Overhead()
	buf := make([]byte, header+len(payload)+trailer)
	copy(buf[header:], payload)
	n, err := prot.Seal(buf, uint8(typ), len(payload))
	require.NoError(t, err)
	return buf[:n]
}

func plaintextRecord(typ wire.ContentType, payload []byte) []byte {
	return append(wire.AppendRecordHeader(nil, typ, wire.VersionTLS12, len(payload)), payload...)
}

// outcome is what one step of a hostile exchange led to at the client.
type outcome struct {
	status schannel.Status
	err    error
	alert  []byte // the ALERT output buffer
	output []byte // the TOKEN output buffer
}

// checkFailure holds a failed handshake call to the contract: a failure
// status, an *schannel.Error, and an alert to send unless the peer's own
// alert ended the exchange.
func checkFailure(t testing.TB, o outcome, wantAlertRecord bool) {
	t.Helper()
	if !o.status.Failed() {
		return
	}
	var se *schannel.Error
	require.ErrorAs(t, o.err, &se, "a failure comes as *schannel.Error")
	require.Equal(t, o.status, se.Status)
	if se.Remote || se.Alert < 0 {
		return
	}
	require.Positive(t, se.Alert, "a local failure names the alert it sends: %v", o.err)
	if wantAlertRecord {
		require.NotEmpty(t, o.alert, "a local failure puts its alert in SECBUFFER_ALERT: %v", o.err)
		if o.alert[0] == byte(wire.ContentAlert) && len(o.alert) == 7 {
			// A plaintext alert; a protected one (TLS 1.2 after our CCS,
			// TLS 1.3 after the ServerHello) is longer.
			// The record version is 3.x: 3.3, or 3.1 before the hellos are done.
			require.Equal(t, []byte{21, 3}, o.alert[:2])
			require.Equal(t, []byte{0, 2, 2, byte(se.Alert)}, o.alert[3:])
		}
	}
}

// hostileServer13 plays a TLS 1.3 server against our client.
type hostileServer13 struct {
	t      testing.TB
	client *sspiPeer
	hello  *wire.ClientHello
	cert   tls.Certificate

	msgs      [][]byte // transcript: handshake messages so far
	suite     *keys.Suite
	sched     *keys.Schedule13
	shs, chs  []byte // handshake traffic secrets
	prot      *keys.RecordProtection
	appSecret []byte // server application traffic secret, once connected
	sentHRR   bool
}

// newHostileServer13 starts our client with ccfg and reads its ClientHello.
func newHostileServer13(t testing.TB, ccfg *tls.Config) *hostileServer13 {
	t.Helper()
	cred, err := schannel.AcquireCredentialsHandle(schannel.SECPKG_CRED_OUTBOUND, ccfg)
	require.NoError(t, err)
	h := &hostileServer13{t: t, client: &sspiPeer{name: "client", cred: cred, target: ccfg.ServerName}, cert: pki(t).server}
	status, out, err := h.client.call(t)
	require.NoError(t, err)
	require.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, status)
	h.readHello(out)
	return h
}

// readHello takes a ClientHello out of the client's output (after an HRR,
// a compatibility CCS comes first).
func (h *hostileServer13) readHello(out []byte) {
	var body []byte
	for _, r := range hostileRecords(h.t, out) {
		if r.typ == wire.ContentHandshake {
			body = append(body, r.payload...)
		}
	}
	h.hello = new(wire.ClientHello)
	require.NoError(h.t, h.hello.Unmarshal(body))
	h.msgs = append(h.msgs, body)
}

// share returns the client's key share for group, if it sent one.
func (h *hostileServer13) share(group uint16) []byte {
	for _, s := range h.hello.KeyShares {
		if s.Group == group {
			return s.Data
		}
	}
	return nil
}

// serverHello13 are the fields of a TLS 1.3 ServerHello or HRR as a hostile
// server sets them; extensions are written in the order given.
type serverHello13 struct {
	vers        uint16
	random      []byte
	sessionID   []byte
	suite       uint16
	compression uint8
	exts        []ext
	lenDelta    int
}

func (m *serverHello13) marshal(t testing.TB) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint16(m.vers)
	b.AddBytes(m.random)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.sessionID) })
	b.AddUint16(m.suite)
	b.AddUint8(m.compression)
	addExts(b, m.exts)
	return handshakeMsg(wire.TypeServerHello, mustBytes(t, b), m.lenDelta)
}

// legalServerHello is the ServerHello an honest server sends: TLS 1.3,
// TLS_AES_128_GCM_SHA256 and X25519. It returns the ECDHE secret too.
func (h *hostileServer13) legalServerHello() (*serverHello13, []byte) {
	return h.serverHelloFor(wire.GroupX25519)
}

// serverHelloFor is an honest ServerHello answering the client's share for group.
func (h *hostileServer13) serverHelloFor(group uint16) (*serverHello13, []byte) {
	t := h.t
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	public, secret, err := keys.RespondToShare(group, h.share(group), rand.Reader)
	require.NoError(t, err)
	ks := append(u16(group), u16(uint16(len(public)))...)
	ks = append(ks, public...)
	return &serverHello13{
		vers: wire.VersionTLS12, random: random, sessionID: h.hello.SessionID, suite: tls.TLS_AES_128_GCM_SHA256,
		exts: []ext{{wire.ExtSupportedVersions, u16(wire.VersionTLS13)}, {wire.ExtKeyShare, ks}},
	}, secret
}

// legalHRR is a HelloRetryRequest asking for P-256, for which the client
// sent no share.
func (h *hostileServer13) legalHRR() *serverHello13 {
	return &serverHello13{
		vers: wire.VersionTLS12, random: bytes.Clone(wire.HelloRetryRequestRandom), sessionID: h.hello.SessionID,
		suite: tls.TLS_AES_128_GCM_SHA256,
		exts:  []ext{{wire.ExtSupportedVersions, u16(wire.VersionTLS13)}, {wire.ExtKeyShare, u16(wire.GroupP256)}},
	}
}

// sendHRR sends a HelloRetryRequest and reads the second ClientHello; ok is
// false when the client refused it (o says how).
func (h *hostileServer13) sendHRR(hrr []byte, suiteID uint16) (o outcome, ok bool) {
	suite := keys.Suite13(suiteID)
	if suite == nil {
		suite = keys.Suite13(tls.TLS_AES_128_GCM_SHA256)
	}
	h.msgs = [][]byte{wire.MessageHash(transcriptHash(suite.Hash, h.msgs)), hrr}
	h.sentHRR = true
	o = h.deliver(plaintextRecord(wire.ContentHandshake, hrr))
	if o.status != schannel.SEC_I_CONTINUE_NEEDED || len(o.output) == 0 {
		return o, false
	}
	h.readHello(o.output)
	return o, true
}

// legalServerHelloAfterHRR answers the second ClientHello's P-256 share.
func (h *hostileServer13) legalServerHelloAfterHRR() (*serverHello13, []byte) {
	return h.serverHelloFor(wire.GroupP256)
}

// keysFor takes the ServerHello sh into the transcript and derives the
// handshake keys for suite (TLS_AES_128_GCM_SHA256 when suite is none) and
// secret (random when the client could not have computed it).
func (h *hostileServer13) keysFor(sh []byte, suiteID uint16, secret []byte) {
	h.suite = keys.Suite13(suiteID)
	if h.suite == nil {
		h.suite = keys.Suite13(tls.TLS_AES_128_GCM_SHA256)
	}
	if secret == nil {
		secret = make([]byte, 32)
	}
	h.msgs = append(h.msgs, sh)
	h.sched = keys.NewSchedule13(h.suite.Hash, nil)
	h.sched.SetSharedSecret(secret)
	th := transcriptHash(h.suite.Hash, h.msgs)
	h.shs = h.sched.ServerHandshakeTrafficSecret(th)
	h.chs = h.sched.ClientHandshakeTrafficSecret(th)
	var err error
	h.prot, err = keys.NewRecordProtection13(h.suite, h.shs)
	require.NoError(h.t, err)
}

// add appends a message to the transcript and returns it.
func (h *hostileServer13) add(msg []byte) []byte {
	h.msgs = append(h.msgs, msg)
	return msg
}

func (h *hostileServer13) legalEncryptedExtensions() []byte {
	return handshakeMsg(wire.TypeEncryptedExtensions, []byte{0, 0}, 0)
}

func (h *hostileServer13) legalCertificate() []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint8(0)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, c := range h.cert.Certificate {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c) })
			b.AddUint16(0)
		}
	})
	return handshakeMsg(wire.TypeCertificate, mustBytes(h.t, b), 0)
}

// signature signs the transcript so far as a server CertificateVerify.
func (h *hostileServer13) signature() []byte {
	content := bytes.Repeat([]byte{' '}, 64)
	content = append(content, "TLS 1.3, server CertificateVerify\x00"...)
	content = append(content, transcriptHash(h.suite.Hash, h.msgs)...)
	digest := crypto.SHA256.New()
	digest.Write(content)
	sig, err := h.cert.PrivateKey.(crypto.Signer).Sign(rand.Reader, digest.Sum(nil), crypto.SHA256)
	require.NoError(h.t, err)
	return sig
}

func certificateVerify(scheme uint16, sig []byte, lenDelta int) []byte {
	body := append(u16(scheme), u16(uint16(len(sig)))...)
	return handshakeMsg(wire.TypeCertificateVerify, append(body, sig...), lenDelta)
}

// legalCertificateVerify signs with ECDSA P-256 SHA-256 (the test PKI's key).
func (h *hostileServer13) legalCertificateVerify() []byte {
	return certificateVerify(wire.ECDSAWithP256AndSHA256, h.signature(), 0)
}

func (h *hostileServer13) finishedMAC() []byte {
	return keys.FinishedMAC(h.suite.Hash, keys.FinishedKey(h.suite.Hash, h.shs), transcriptHash(h.suite.Hash, h.msgs))
}

func (h *hostileServer13) legalFinished() []byte {
	return handshakeMsg(wire.TypeFinished, h.finishedMAC(), 0)
}

// flight is the wire form of a ServerHello, a compatibility CCS and the
// encrypted messages, one record each.
func (h *hostileServer13) flight(sh []byte, encrypted ...[]byte) []byte {
	out := plaintextRecord(wire.ContentHandshake, sh)
	out = append(out, plaintextRecord(wire.ContentChangeCipherSpec, []byte{1})...)
	for _, m := range encrypted {
		out = append(out, sealWith(h.t, h.prot, wire.ContentHandshake, m)...)
	}
	return out
}

// deliver feeds in to the client and runs its handshake calls until it has
// used everything, fails or completes. A CertificateRequest the client has
// no certificate for is answered by going on without one.
func (h *hostileServer13) deliver(in []byte) outcome {
	return driveHandshake(h.t, h.client, in)
}

func driveHandshake(t testing.TB, p *sspiPeer, in []byte) outcome {
	t.Helper()
	p.inbox = in
	var o outcome
	for range 8 {
		o.status, o.output, o.err = p.call(t)
		if o.status.Failed() {
			o.alert = o.output
			o.output = nil
			return o
		}
		switch o.status {
		case schannel.SEC_I_INCOMPLETE_CREDENTIALS:
			p.flags |= schannel.ISC_REQ_USE_SUPPLIED_CREDS
			continue
		case schannel.SEC_E_OK:
			p.done = true
			return o
		}
		if len(p.inbox) == 0 || len(o.output) > 0 {
			return o
		}
	}
	t.Fatalf("the handshake made no progress: %v", p.trace)
	return o
}

// applicationProtection returns the server's application write protection
// once its Finished is in the transcript.
func (h *hostileServer13) applicationProtection() *keys.RecordProtection {
	h.sched.SetMaster()
	h.appSecret = h.sched.ServerApplicationTrafficSecret(transcriptHash(h.suite.Hash, h.msgs))
	prot, err := keys.NewRecordProtection13(h.suite, h.appSecret)
	require.NoError(h.t, err)
	return prot
}

// connect runs an honest handshake to SEC_E_OK and returns the server's
// application write protection, for post-handshake messages.
func (h *hostileServer13) connect() *keys.RecordProtection {
	sh, secret := h.legalServerHello()
	msg := sh.marshal(h.t)
	h.keysFor(msg, sh.suite, secret)
	ee := h.add(h.legalEncryptedExtensions())
	cert := h.add(h.legalCertificate())
	cv := h.add(h.legalCertificateVerify())
	fin := h.add(h.legalFinished())
	o := h.deliver(h.flight(msg, ee, cert, cv, fin))
	require.Equal(h.t, schannel.SEC_E_OK, o.status, "%v", o.err)
	return h.applicationProtection()
}

// postHandshake feeds one protected record to the client's DecryptMessage
// and, for SEC_I_RENEGOTIATE, the message to InitializeSecurityContext.
func postHandshake(t testing.TB, p *sspiPeer, rec []byte) outcome {
	t.Helper()
	bufs := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, rec), {}, {}, {}}
	status, err := p.ctx.DecryptMessage(bufs)
	o := outcome{status: status, err: err}
	if status != schannel.SEC_I_RENEGOTIATE {
		return o
	}
	require.NoError(t, err)
	require.Equal(t, schannel.SECBUFFER_EXTRA, bufs[3].BufferType)
	p.inbox = bufs[3].Buffer
	o.status, o.output, o.err = p.call(t)
	if o.status.Failed() {
		o.alert, o.output = o.output, nil
	}
	return o
}

// isAlert reports whether err carries the TLS alert a.
func isAlert(err error, a wire.Alert) bool {
	var se *schannel.Error
	return errors.As(err, &se) && se.Alert == int(a)
}
