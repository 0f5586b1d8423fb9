package engine

import (
	"crypto/tls"
	"io"
	"slices"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

// serverMessage12 is the TLS 1.2 server's state machine after the hellos.
func (c *Context) serverMessage12(typ wire.HandshakeType, msg []byte) *sspi.Error {
	want := wire.TypeFinished
	switch c.state {
	case stateServer12WaitClientCertificate:
		want = wire.TypeCertificate
	case stateServer12WaitClientKeyExchange:
		want = wire.TypeClientKeyExchange
	case stateServer12WaitCertificateVerify:
		want = wire.TypeCertificateVerify
	case stateServer12WaitCCS:
		return fail(wire.AlertUnexpectedMessage, "got %s, expected change_cipher_spec", typ)
	}
	if typ != want {
		return fail(wire.AlertUnexpectedMessage, "got %s, expected %s", typ, want)
	}
	switch typ {
	case wire.TypeCertificate:
		return c.server12ClientCertificate(msg)
	case wire.TypeClientKeyExchange:
		return c.server12ClientKeyExchange(msg)
	case wire.TypeCertificateVerify:
		if err := c.checkCertificateVerify(msg, ""); err != nil {
			return err
		}
		c.state = stateServer12WaitCCS
		return nil
	default:
		return c.server12ClientFinished(msg)
	}
}

// serverClientHello12 answers a ClientHello with a full TLS 1.2 handshake:
// ServerHello, Certificate, ServerKeyExchange, [CertificateRequest,]
// ServerHelloDone.
func (c *Context) serverClientHello12(hello *wire.ClientHello, msg []byte) *sspi.Error {
	hs := c.hs
	c.vers = wire.VersionTLS12
	switch {
	case !slices.Contains(hello.CompressionMethods, 0):
		return fail(wire.AlertIllegalParameter, "the client does not offer the null compression method")
	case !hello.ExtendedMasterSecret:
		return fail(wire.AlertHandshakeFailure, "the client does not support the extended master secret (RFC 7627), which is required")
	case len(hello.SecureRenegotiation) != 0:
		return fail(wire.AlertHandshakeFailure, "non-empty renegotiation_info in an initial handshake (RFC 5746)")
	case len(hello.SignatureAlgorithms) == 0:
		// Without the extension RFC 5246 implies SHA-1, which is refused.
		return fail(wire.AlertHandshakeFailure, "the client sent no signature_algorithms")
	case len(hello.ECPointFormats) > 0 && !slices.Contains(hello.ECPointFormats, 0):
		// RFC 8422 section 5.1.2: a client that lists point formats must
		// accept uncompressed points, the only ones we send.
		return fail(wire.AlertIllegalParameter, "the client does not accept uncompressed points")
	}
	alpn, aerr := c.negotiateALPN(hello)
	if aerr != nil {
		return aerr
	}
	hs.ticketExpected = c.opts.TicketKeys != nil && hello.TicketSupported
	if st := c.ticketSession12(hello); st != nil {
		return c.server12Resume(hello, msg, st, alpn)
	}
	var group uint16
	for _, g := range c.set.groups12() {
		if slices.Contains(hello.SupportedGroups, g) {
			group = g
			break
		}
	}
	if group == 0 {
		return fail(wire.AlertHandshakeFailure, "no ECDHE group in common")
	}
	cert, scheme, err := c.serverCertificate(hello)
	if err != nil {
		return err
	}
	pub, perr := leafPublicKey(cert)
	if perr != nil {
		return sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "schannel: %v", perr)
	}
	for _, id := range hello.CipherSuites {
		if s := keys.Suite12(id); s != nil && slices.Contains(c.set.suites12, id) && s.ECDSA == keyIsECDSAType(pub) {
			hs.suite = s
			break
		}
	}
	if hs.suite == nil {
		return fail(wire.AlertHandshakeFailure, "no TLS 1.2 cipher suite in common for a %T certificate", pub)
	}
	c.info.Group = group
	if err := c.sendServerHello12(hello, msg, nil, alpn); err != nil {
		return err
	}
	if err := c.sendMessage(&wire.Certificate12{Certificates: cert.Certificate}); err != nil {
		return err
	}
	share, kerr := keys.NewPrivateShare(group, c.set.rand)
	if kerr != nil {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: generating a key share: %v", kerr)
	}
	hs.shares = []*keys.PrivateShare{share}
	kx := &wire.ServerKeyExchangeECDHE{Group: group, Public: share.Public(), Scheme: scheme}
	sig, serr := c.signWithCertificate(cert, scheme, signedServerParams(hs.clientRandom, hs.serverRandom, kx))
	if serr != nil {
		return serr
	}
	kx.Signature = sig
	if err := c.sendMessage(kx); err != nil {
		return err
	}
	c.state = stateServer12WaitClientKeyExchange
	if c.clientAuth() >= tls.RequestClientCert {
		cr := &wire.CertificateRequest12{
			CertificateTypes:    []uint8{1, 64}, // rsa_sign, ecdsa_sign
			SignatureAlgorithms: signatureSchemes12,
		}
		if pool := c.set.cfg.ClientCAs; pool != nil {
			cr.CertificateAuthorities = pool.Subjects() //nolint:staticcheck // the DER subjects are exactly what certificate_authorities carries
		}
		hs.certRequest12 = cr
		if err := c.sendMessage(cr); err != nil {
			return err
		}
		c.state = stateServer12WaitClientCertificate
	}
	if err := c.sendMessage(&wire.ServerHelloDone{}); err != nil {
		return err
	}
	c.yield = true
	return nil
}

// sendServerHello12 sends a TLS 1.2 ServerHello for hs.suite; sessionID is
// the client's when resuming its session, empty otherwise.
func (c *Context) sendServerHello12(hello *wire.ClientHello, msg, sessionID []byte, alpn string) *sspi.Error {
	hs := c.hs
	random := make([]byte, 32)
	if _, err := io.ReadFull(c.set.rand, random); err != nil {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: reading randomness: %v", err)
	}
	if c.set.allows(wire.VersionTLS13) {
		copy(random[24:], wire.DowngradeTLS12)
	}
	hs.clientRandom, hs.serverRandom = hello.Random, random
	hs.transcript = keys.NewTranscript(hs.suite.Hash)
	c.record(msg)
	c.info.ServerName, c.info.ALPN = hello.ServerName, alpn
	sh := &wire.ServerHello{
		Vers:                         wire.VersionTLS12,
		Random:                       random,
		SessionID:                    sessionID,
		CipherSuite:                  hs.suite.ID,
		ExtendedMasterSecret:         true,
		SecureRenegotiationSupported: secureRenegotiationOffered(hello),
		ALPNProtocol:                 alpn,
		TicketSupported:              hs.ticketExpected,
	}
	if len(hello.ECPointFormats) > 0 {
		sh.ECPointFormats = []uint8{0}
	}
	return c.sendMessage(sh)
}

// emptyRenegotiationInfoSCSV is the cipher suite value that stands for an
// empty renegotiation_info (RFC 5746 section 3.3).
const emptyRenegotiationInfoSCSV = 0x00ff

// secureRenegotiationOffered reports whether the client sent
// renegotiation_info or its SCSV: only then may the ServerHello carry the
// extension (RFC 5746 section 3.6).
func secureRenegotiationOffered(hello *wire.ClientHello) bool {
	return hello.SecureRenegotiationSupported || slices.Contains(hello.CipherSuites, emptyRenegotiationInfoSCSV)
}

// ticketSession12 opens the client's session ticket, if it brought one we
// can resume; anything else means a full handshake.
func (c *Context) ticketSession12(hello *wire.ClientHello) *session.State {
	if c.opts.TicketKeys == nil || len(hello.SessionTicket) == 0 || len(hello.SessionID) == 0 {
		return nil
	}
	st := c.opts.TicketKeys.Open(hello.SessionTicket, c.set.now())
	if !c.resumable(st, hello) || st.Version != wire.VersionTLS12 || !st.ExtendedMasterSecret ||
		!slices.Contains(hello.CipherSuites, st.CipherSuite) || !slices.Contains(c.set.suites12, st.CipherSuite) ||
		!c.adoptTicketSession(st) {
		return nil
	}
	return st
}

// server12Resume runs the abbreviated handshake: ServerHello, [a fresh
// NewSessionTicket,] ChangeCipherSpec, Finished.
func (c *Context) server12Resume(hello *wire.ClientHello, msg []byte, st *session.State, alpn string) *sspi.Error {
	hs := c.hs
	hs.suite = keys.Suite12(st.CipherSuite)
	hs.resumed = true
	if err := c.sendServerHello12(hello, msg, hello.SessionID, alpn); err != nil {
		return err
	}
	// No key exchange takes place: the connection reports the group of the
	// handshake the session comes from, as crypto/tls does.
	c.info.Group = st.Group
	if err := c.restorePeerCertificates(); err != nil {
		return err
	}
	hs.masterSecret = st.Secret
	c.deriveKeyBlock12()
	if err := c.sendServerFinishedFlight12(); err != nil {
		return err
	}
	c.state = stateServer12WaitCCS
	c.yield = true
	return nil
}

// sendServerFinishedFlight12 sends [NewSessionTicket,] ChangeCipherSpec and
// Finished.
func (c *Context) sendServerFinishedFlight12() *sspi.Error {
	hs := c.hs
	if hs.ticketExpected {
		ticket, err := c.opts.TicketKeys.Seal(c.sessionState(hs.masterSecret))
		if err == nil {
			if err := c.sendMessage(&wire.NewSessionTicket12{Lifetime: ticketLifetime, Ticket: ticket}); err != nil {
				return err
			}
		} else if err := c.sendMessage(&wire.NewSessionTicket12{}); err != nil {
			// RFC 5077 3.3: having promised a ticket, send an empty one.
			return err
		}
	}
	if err := c.sendChangeCipherSpec12(); err != nil {
		return err
	}
	return c.sendFinished12(serverFinishedLabel)
}

func (c *Context) server12ClientCertificate(msg []byte) *sspi.Error {
	var cm wire.Certificate12
	if err := cm.Unmarshal(msg); err != nil {
		return asFailure(err)
	}
	c.record(msg)
	c.state = stateServer12WaitClientKeyExchange
	if len(cm.Certificates) == 0 {
		if c.clientAuth() == tls.RequireAnyClientCert || c.clientAuth() == tls.RequireAndVerifyClientCert {
			return fail(wire.AlertBadCertificate, "the client sent no certificate")
		}
		return nil
	}
	return c.acceptPeerChain(cm.Certificates)
}

func (c *Context) server12ClientKeyExchange(msg []byte) *sspi.Error {
	hs := c.hs
	var kx wire.ClientKeyExchangeECDHE
	if err := kx.Unmarshal(msg); err != nil {
		return asFailure(err)
	}
	if len(hs.shares) == 0 {
		return fail(wire.AlertUnexpectedMessage, "ClientKeyExchange without our ServerKeyExchange")
	}
	preMaster, err := hs.shares[0].SharedSecret(kx.Public)
	if err != nil {
		return asFailure(err)
	}
	c.record(msg)
	c.deriveKeys12(preMaster)
	hs.shares = nil
	c.state = stateServer12WaitCCS
	if hs.peerPublic != nil {
		c.state = stateServer12WaitCertificateVerify
	}
	return nil
}

func (c *Context) server12ClientFinished(msg []byte) *sspi.Error {
	if err := c.checkFinished12(msg, clientFinishedLabel); err != nil {
		return err
	}
	if !c.hs.resumed {
		if err := c.sendServerFinishedFlight12(); err != nil {
			return err
		}
	}
	if err := c.runVerifyConnection(); err != nil {
		return err
	}
	c.finishHandshake()
	return nil
}
