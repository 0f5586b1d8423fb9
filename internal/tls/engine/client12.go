package engine

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/tls"
	"slices"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

// clientMessage12 is the TLS 1.2 client's state machine (RFC 5246 7.3).
func (c *Context) clientMessage12(typ wire.HandshakeType, msg []byte) *sspi.Error {
	if typ == wire.TypeHelloRequest {
		// RFC 5246 7.4.1.1: ignored while a handshake is under way, but
		// counted, so that a server cannot keep us busy with them.
		return c.countUselessRecord()
	}
	var want wire.HandshakeType
	switch c.state {
	case stateClient12WaitCertificate:
		want = wire.TypeCertificate
	case stateClient12WaitServerKeyExchange:
		want = wire.TypeServerKeyExchange
	case stateClient12WaitCertReqOrDone:
		want = wire.TypeServerHelloDone
		if typ == wire.TypeCertificateRequest {
			want = typ
		}
	case stateClient12WaitServerHelloDone:
		want = wire.TypeServerHelloDone
	case stateClient12WaitTicketOrCCS:
		want = wire.TypeNewSessionTicket
	case stateClient12WaitFinished:
		want = wire.TypeFinished
	default: // waiting for the server's ChangeCipherSpec
		return fail(wire.AlertUnexpectedMessage, "got %s, expected change_cipher_spec", typ)
	}
	if typ != want {
		return fail(wire.AlertUnexpectedMessage, "got %s, expected %s", typ, want)
	}
	switch typ {
	case wire.TypeCertificate:
		return c.client12ServerCertificate(msg)
	case wire.TypeServerKeyExchange:
		return c.client12ServerKeyExchange(msg)
	case wire.TypeCertificateRequest:
		var cr wire.CertificateRequest12
		if err := cr.Unmarshal(msg); err != nil {
			return asFailure(err)
		}
		c.hs.certRequest12 = &cr
		c.record(msg)
		c.state = stateClient12WaitServerHelloDone
		return nil
	case wire.TypeServerHelloDone:
		var done wire.ServerHelloDone
		if err := done.Unmarshal(msg); err != nil {
			return asFailure(err)
		}
		c.record(msg)
		if c.hs.certRequest12 != nil && !c.useSuppliedCreds && !c.haveClientCredentials() {
			c.state = stateClientWaitCredentials
			return nil
		}
		return c.sendClientFlight12()
	case wire.TypeNewSessionTicket:
		var nst wire.NewSessionTicket12
		if err := nst.Unmarshal(msg); err != nil {
			return asFailure(err)
		}
		c.record(msg)
		c.hs.newTicket12 = &nst
		c.state = stateClient12WaitCCS
		return nil
	default:
		return c.client12ServerFinished(msg)
	}
}

// serverHello12Extensions are the ServerHello extensions a TLS 1.2 server may
// answer ours with.
var serverHello12Extensions = []uint16{wire.ExtRenegotiationInfo, wire.ExtExtendedMasterSecret, wire.ExtALPN,
	wire.ExtECPointFormats, wire.ExtSessionTicket, wire.ExtServerName}

// clientServerHello12 takes a ServerHello that chose TLS 1.2.
func (c *Context) clientServerHello12(sh *wire.ServerHello, msg []byte) *sspi.Error {
	hs := c.hs
	hello := hs.hello
	c.vers = wire.VersionTLS12
	suite := keys.Suite12(sh.CipherSuite)
	switch {
	case c.set.allows(wire.VersionTLS13) && downgradeSentinel(sh.Random):
		return fail(wire.AlertIllegalParameter, "the server supports TLS 1.3 but chose TLS 1.2: someone is forcing a downgrade")
	case suite == nil || !slices.Contains(hello.CipherSuites, sh.CipherSuite):
		return fail(wire.AlertIllegalParameter, "the server chose cipher suite %#04x, which was not offered", sh.CipherSuite)
	case sh.CompressionMethod != 0:
		return fail(wire.AlertIllegalParameter, "the server chose compression")
	case !sh.ExtendedMasterSecret:
		return fail(wire.AlertHandshakeFailure, "the server does not support the extended master secret (RFC 7627), which is required")
	case !sh.SecureRenegotiationSupported || len(sh.SecureRenegotiation) != 0:
		return fail(wire.AlertHandshakeFailure, "the server sent no valid renegotiation_info (RFC 5746)")
	case sh.ALPNProtocol != "" && !slices.Contains(hello.ALPNProtocols, sh.ALPNProtocol):
		return fail(wire.AlertIllegalParameter, "the server chose application protocol %q, which was not offered", sh.ALPNProtocol)
	case len(sh.ECPointFormats) > 0 && !slices.Contains(sh.ECPointFormats, 0):
		return fail(wire.AlertIllegalParameter, "the server does not accept uncompressed points")
	case sh.TicketSupported && !hello.TicketSupported:
		return fail(wire.AlertUnsupportedExtension, "the server sent session_ticket, which was not offered")
	}
	for _, ext := range sh.Extensions {
		if !slices.Contains(serverHello12Extensions, ext) {
			return fail(wire.AlertUnsupportedExtension, "the server sent extension %d, which was not offered", ext)
		}
	}
	hs.suite = suite
	hs.serverRandom = sh.Random
	hs.shares = nil
	hs.ticketExpected = sh.TicketSupported
	hs.transcript.SetHash(suite.Hash)
	hs.messages = bytes.Clone(hello.Raw)
	c.record(msg)
	c.info.ALPN = sh.ALPNProtocol
	if len(hello.SessionTicket) > 0 && bytes.Equal(sh.SessionID, hello.SessionID) {
		return c.client12Resumed()
	}
	if len(sh.SessionID) > 0 && bytes.Equal(sh.SessionID, hello.SessionID) {
		// We offered no session: our session ID is random (RFC 8446
		// Appendix D.4), and a server echoing it claims to resume a session
		// that never existed. crypto/tls refuses it the same way.
		return fail(wire.AlertIllegalParameter, "the server echoed our session ID without a session to resume")
	}
	c.state = stateClient12WaitCertificate
	return nil
}

// client12Resumed continues an abbreviated handshake (RFC 5077 3.1): the
// server accepted our ticket by echoing our session ID.
func (c *Context) client12Resumed() *sspi.Error {
	hs := c.hs
	st := hs.offered
	if st.CipherSuite != hs.suite.ID || !st.ExtendedMasterSecret {
		return fail(wire.AlertIllegalParameter, "the server resumed a session with other parameters")
	}
	hs.resumed = true
	hs.masterSecret = st.Secret
	c.info.Group = st.Group // no key exchange: the original handshake's group
	c.deriveKeyBlock12()
	if err := c.restorePeerCertificates(); err != nil {
		return err
	}
	c.state = stateClient12WaitCCS
	if hs.ticketExpected {
		c.state = stateClient12WaitTicketOrCCS
	}
	return nil
}

func (c *Context) client12ServerCertificate(msg []byte) *sspi.Error {
	var cm wire.Certificate12
	if err := cm.Unmarshal(msg); err != nil {
		return asFailure(err)
	}
	if len(cm.Certificates) == 0 {
		return fail(wire.AlertDecodeError, "the server sent no certificate")
	}
	if err := c.acceptPeerChain(cm.Certificates); err != nil {
		return err
	}
	if keyIsECDSAType(c.hs.peerPublic) != c.hs.suite.ECDSA {
		return fail(wire.AlertUnsupportedCertificate, "the server's certificate key does not fit cipher suite %s", c.hs.suite)
	}
	if k, ok := c.hs.peerPublic.(*ecdsa.PublicKey); ok && !slices.Contains(c.hs.hello.SupportedGroups, curveGroup(k.Curve)) {
		// RFC 8422 section 5.3 (and BoringSSL): in TLS 1.2 the server's
		// ECDSA key must be on a curve the client listed in supported_groups.
		return fail(wire.AlertIllegalParameter, "the server's ECDSA key is on %s, which was not offered", k.Curve.Params().Name)
	}
	c.record(msg)
	c.state = stateClient12WaitServerKeyExchange
	return nil
}

// curveGroup is the named group of an ECDSA curve, 0 for others.
func curveGroup(curve elliptic.Curve) uint16 {
	switch curve {
	case elliptic.P256():
		return wire.GroupP256
	case elliptic.P384():
		return wire.GroupP384
	case elliptic.P521():
		return wire.GroupP521
	}
	return 0
}

// keyIsECDSAType reports whether a key goes with the ECDHE_ECDSA suites
// (ECDSA and, per RFC 8422, Ed25519) rather than ECDHE_RSA.
func keyIsECDSAType(pub any) bool {
	switch pub.(type) {
	case *ecdsa.PublicKey, ed25519.PublicKey:
		return true
	}
	return false
}

func (c *Context) client12ServerKeyExchange(msg []byte) *sspi.Error {
	hs := c.hs
	var kx wire.ServerKeyExchangeECDHE
	if err := kx.Unmarshal(msg); err != nil {
		return asFailure(err)
	}
	if !slices.Contains(c.set.groups12(), kx.Group) {
		return fail(wire.AlertIllegalParameter, "the server chose group %#04x, which was not offered", kx.Group)
	}
	if err := c.checkPeerSignature(kx.Scheme, signedServerParams(hs.clientRandom, hs.serverRandom, &kx), kx.Signature); err != nil {
		return err
	}
	hs.serverKX = &kx
	c.info.Group = kx.Group
	c.record(msg)
	c.state = stateClient12WaitCertReqOrDone
	return nil
}

// sendClientFlight12 sends [Certificate,] ClientKeyExchange,
// [CertificateVerify,] ChangeCipherSpec and Finished.
func (c *Context) sendClientFlight12() *sspi.Error {
	hs := c.hs
	var cert *tls.Certificate
	var scheme uint16
	if hs.certRequest12 != nil {
		var err *sspi.Error
		if cert, scheme, err = c.chooseClientCertificate(); err != nil {
			return err
		}
		msg := &wire.Certificate12{}
		if cert != nil {
			msg.Certificates = cert.Certificate
		}
		if err := c.sendMessage(msg); err != nil {
			return err
		}
	}
	share, kerr := keys.NewPrivateShare(hs.serverKX.Group, c.set.rand)
	if kerr != nil {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: generating a key share: %v", kerr)
	}
	preMaster, kerr := share.SharedSecret(hs.serverKX.Public)
	if kerr != nil {
		return asFailure(kerr)
	}
	if err := c.sendMessage(&wire.ClientKeyExchangeECDHE{Public: share.Public()}); err != nil {
		return err
	}
	c.deriveKeys12(preMaster)
	if cert != nil {
		sig, err := c.signWithCertificate(cert, scheme, hs.messages)
		if err != nil {
			return err
		}
		if err := c.sendMessage(&wire.CertificateVerify{Scheme: scheme, Signature: sig}); err != nil {
			return err
		}
	}
	if err := c.sendChangeCipherSpec12(); err != nil {
		return err
	}
	if err := c.sendFinished12(clientFinishedLabel); err != nil {
		return err
	}
	c.state = stateClient12WaitCCS
	if hs.ticketExpected {
		c.state = stateClient12WaitTicketOrCCS
	}
	c.yield = true
	return nil
}

func (c *Context) client12ServerFinished(msg []byte) *sspi.Error {
	hs := c.hs
	if err := c.checkFinished12(msg, serverFinishedLabel); err != nil {
		return err
	}
	if err := c.runVerifyConnection(); err != nil {
		return err
	}
	if hs.resumed {
		// Abbreviated handshake: our ChangeCipherSpec and Finished come last.
		if err := c.sendChangeCipherSpec12(); err != nil {
			return err
		}
		if err := c.sendFinished12(clientFinishedLabel); err != nil {
			return err
		}
	}
	if nst := hs.newTicket12; nst != nil && len(nst.Ticket) > 0 && c.clientCache() {
		st := c.sessionState(hs.masterSecret)
		if nst.Lifetime > 0 {
			st.Lifetime = min(nst.Lifetime, clientTicketLifetime)
		}
		_ = session.Store(c.set.cfg.ClientSessionCache, c.cacheKey(), nst.Ticket, st)
	}
	c.finishHandshake()
	return nil
}
