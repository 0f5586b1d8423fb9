package engine

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"slices"
	"strings"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

// serverHelloExtensions are the only extensions a TLS 1.3 ServerHello or
// HelloRetryRequest may carry in answer to our ClientHello.
var serverHelloExtensions = []uint16{wire.ExtSupportedVersions, wire.ExtKeyShare, wire.ExtCookie, wire.ExtPreSharedKey}

// sendClientHello builds and queues the first ClientHello.
func (c *Context) sendClientHello() *sspi.Error {
	hs := &handshakeState{transcript: keys.NewTranscript(0)}
	c.hs = hs
	random := make([]byte, 32)
	// A 32-byte legacy session ID puts the handshake in middlebox compatibility mode (RFC 8446 D.4).
	sessionID := make([]byte, 32)
	if _, err := io.ReadFull(c.set.rand, random); err != nil {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: reading randomness: %v", err)
	}
	if _, err := io.ReadFull(c.set.rand, sessionID); err != nil {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: reading randomness: %v", err)
	}
	hs.clientRandom = random
	hello := &wire.ClientHello{
		Vers:                wire.VersionTLS12,
		Random:              random,
		SessionID:           sessionID,
		CompressionMethods:  []uint8{0},
		ServerName:          sniHostName(c.info.ServerName),
		SignatureAlgorithms: advertisedSignatureSchemes,
		ALPNProtocols:       c.nextProtos(),
	}
	var shareGroups []uint16
	if c.set.allows(wire.VersionTLS13) {
		hello.SupportedVersions = append(hello.SupportedVersions, wire.VersionTLS13)
		hello.CipherSuites = append(hello.CipherSuites, c.set.suites13...)
		hello.SupportedGroups = c.set.groups
		// Offering psk_dhe_ke lets servers send tickets, exercising the
		// post-handshake path.
		hello.PSKModes = []uint8{wire.PSKModeDHEKE}
		// One share for our favourite group; with the hybrid first, an X25519
		// share too, so servers without ML-KEM need no HelloRetryRequest.
		shareGroups = c.set.groups[:1]
		if c.set.groups[0] == wire.GroupX25519MLKEM768 && slices.Contains(c.set.groups, wire.GroupX25519) {
			shareGroups = []uint16{wire.GroupX25519MLKEM768, wire.GroupX25519}
		}
	}
	if c.set.allows(wire.VersionTLS12) {
		if len(hello.SupportedVersions) > 0 {
			hello.SupportedVersions = append(hello.SupportedVersions, wire.VersionTLS12)
		} else {
			hello.SupportedGroups = c.set.groups12()
		}
		hello.CipherSuites = append(hello.CipherSuites, c.set.suites12...)
		hello.ECPointFormats = []uint8{0}
		hello.ExtendedMasterSecret = true
		hello.SecureRenegotiationSupported = true
	}
	for _, g := range shareGroups {
		var share *keys.PrivateShare
		if g == wire.GroupX25519 && len(hs.shares) > 0 {
			share = hs.shares[0].X25519Fallback() // the hybrid's X25519 key, reused
		}
		if share == nil {
			var err error
			if share, err = keys.NewPrivateShare(g, c.set.rand); err != nil {
				return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: generating a key share: %v", err)
			}
		}
		hs.shares = append(hs.shares, share)
		hello.KeyShares = append(hello.KeyShares, wire.KeyShare{Group: g, Data: share.Public()})
	}
	hs.hello = hello
	c.loadSession()
	if c.set.allows(wire.VersionTLS12) && c.clientCache() {
		// An empty session_ticket asks a TLS 1.2 server for a ticket (RFC 5077).
		hello.TicketSupported = true
		if hs.offered != nil && hs.offered.Version == wire.VersionTLS12 {
			hello.SessionTicket = hs.offeredTicket
		}
	}
	if hs.offered != nil && len(hello.SupportedVersions) > 0 {
		c.offerSession13(hello)
	}
	return c.sendClientHelloMessage(nil)
}

// sendClientHelloMessage encodes (with its PSK binder) and queues our hello.
func (c *Context) sendClientHelloMessage(transcriptPrefix [][]byte) *sspi.Error {
	msg, err := c.marshalClientHello(c.hs.hello, transcriptPrefix)
	if err != nil {
		return err
	}
	c.record(msg)
	return c.writeHandshake(msg)
}

// sniHostName is the name to put in server_name: RFC 6066 forbids IP
// literals and the trailing dot.
func sniHostName(name string) string {
	if net.ParseIP(name) != nil {
		return ""
	}
	return strings.TrimSuffix(name, ".")
}

// clientMessage is the client's state machine (RFC 8446 Appendix A.1).
func (c *Context) clientMessage(typ wire.HandshakeType, msg []byte) *sspi.Error {
	expect := func(want wire.HandshakeType) *sspi.Error {
		if typ != want {
			return fail(wire.AlertUnexpectedMessage, "got %s, expected %s", typ, want)
		}
		return nil
	}
	if c.vers == wire.VersionTLS12 {
		return c.clientMessage12(typ, msg)
	}
	switch c.state {
	case stateClientWaitServerHello:
		if err := expect(wire.TypeServerHello); err != nil {
			return err
		}
		return c.clientServerHello(msg)
	case stateClientWaitEncryptedExtensions:
		if err := expect(wire.TypeEncryptedExtensions); err != nil {
			return err
		}
		return c.clientEncryptedExtensions(msg)
	case stateClientWaitCertOrCertRequest:
		if typ == wire.TypeCertificateRequest {
			return c.clientCertificateRequest(msg)
		}
		if err := expect(wire.TypeCertificate); err != nil {
			return err
		}
		return c.clientServerCertificate(msg)
	case stateClientWaitCertificate:
		if err := expect(wire.TypeCertificate); err != nil {
			return err
		}
		return c.clientServerCertificate(msg)
	case stateClientWaitCertificateVerify:
		if err := expect(wire.TypeCertificateVerify); err != nil {
			return err
		}
		if err := c.checkCertificateVerify(msg, serverSignatureContext); err != nil {
			return err
		}
		c.state = stateClientWaitFinished
		return nil
	case stateClientWaitFinished:
		if err := expect(wire.TypeFinished); err != nil {
			return err
		}
		return c.clientServerFinished(msg)
	}
	return fail(wire.AlertUnexpectedMessage, "unexpected %s", typ)
}

func (c *Context) clientServerHello(msg []byte) *sspi.Error {
	hs := c.hs
	var sh wire.ServerHello
	if err := sh.Unmarshal(msg); err != nil {
		return asFailure(err)
	}
	if sh.SupportedVersion == 0 {
		// A server choosing TLS 1.2 or older says so in legacy_version only.
		if sh.Vers == wire.VersionTLS12 && c.set.allows(wire.VersionTLS12) && !hs.helloRetried {
			return c.clientServerHello12(&sh, msg)
		}
		return fail(wire.AlertProtocolVersion, "the server chose version %#04x, which is not allowed", sh.Vers)
	}
	if sh.SupportedVersion != wire.VersionTLS13 || !c.set.allows(wire.VersionTLS13) {
		return fail(wire.AlertIllegalParameter, "the server chose version %#04x, which was not offered", sh.SupportedVersion)
	}
	if sh.Vers != wire.VersionTLS12 {
		// RFC 8446 section 4.1.3: legacy_version is 0x0303 in a TLS 1.3
		// ServerHello and HelloRetryRequest.
		return fail(wire.AlertIllegalParameter, "the server's TLS 1.3 hello has legacy_version %#04x", sh.Vers)
	}
	for _, ext := range sh.Extensions {
		if !slices.Contains(serverHelloExtensions, ext) {
			return fail(wire.AlertUnsupportedExtension, "the server sent extension %d, which was not offered", ext)
		}
	}
	switch {
	case !bytes.Equal(sh.SessionID, hs.hello.SessionID):
		return fail(wire.AlertIllegalParameter, "the server did not echo our legacy session ID")
	case sh.CompressionMethod != 0:
		return fail(wire.AlertIllegalParameter, "the server chose compression")
	case !slices.Contains(hs.hello.CipherSuites, sh.CipherSuite):
		return fail(wire.AlertIllegalParameter, "the server chose cipher suite %#04x, which was not offered", sh.CipherSuite)
	}
	// Our hello offers TLS 1.2 suites too: "offered" is not enough, the suite
	// must be a TLS 1.3 one we allow (RFC 8446 4.1.3).
	suite := keys.Suite13(sh.CipherSuite)
	switch {
	case suite == nil || !slices.Contains(c.set.suites13, sh.CipherSuite):
		return fail(wire.AlertIllegalParameter, "the server chose cipher suite %#04x, which is not a TLS 1.3 suite we offered", sh.CipherSuite)
	case hs.helloRetried && (hs.suite == nil || sh.CipherSuite != hs.suite.ID):
		return fail(wire.AlertIllegalParameter, "the cipher suite changed after HelloRetryRequest")
	}
	if sh.IsHelloRetryRequest() {
		return c.clientHelloRetryRequest(&sh, msg, suite)
	}
	if len(sh.Cookie) > 0 {
		return fail(wire.AlertUnsupportedExtension, "cookie in a ServerHello")
	}
	if err := c.acceptResumption13(&sh, suite); err != nil {
		return err
	}
	var share *keys.PrivateShare
	for _, s := range hs.shares {
		if s.Group() == sh.ServerShare.Group {
			share = s
		}
	}
	if share == nil {
		return fail(wire.AlertIllegalParameter, "the server's key share is for group %#04x, for which we sent none", sh.ServerShare.Group)
	}
	secret, err := share.SharedSecret(sh.ServerShare.Data)
	if err != nil {
		return asFailure(err)
	}
	c.vers = wire.VersionTLS13
	if !hs.helloRetried {
		hs.transcript.SetHash(suite.Hash)
	}
	hs.suite = suite
	hs.transcript.Write(msg)
	hs.shares = nil
	c.info.Group = share.Group()
	if err := c.deriveHandshakeKeys(secret); err != nil {
		return err
	}
	c.state = stateClientWaitEncryptedExtensions
	return nil
}

// clientHelloRetryRequest answers a HelloRetryRequest with a second
// ClientHello (RFC 8446 4.1.4).
func (c *Context) clientHelloRetryRequest(hrr *wire.ServerHello, msg []byte, suite *keys.Suite) *sspi.Error {
	hs := c.hs
	if hs.helloRetried {
		return fail(wire.AlertUnexpectedMessage, "a second HelloRetryRequest")
	}
	hs.helloRetried = true
	c.info.HelloRetryRequest = true
	hs.suite = suite
	group := hrr.SelectedGroup
	if group == 0 && slices.Contains(hrr.Extensions, wire.ExtKeyShare) {
		// Group 0 reads as "no key_share"; sent, it names no group we offered (RFC 8446 4.2.8).
		return fail(wire.AlertIllegalParameter, "HelloRetryRequest asks for group 0, which was not offered")
	}
	if group == 0 && len(hrr.Cookie) == 0 {
		return fail(wire.AlertIllegalParameter, "a HelloRetryRequest that would change nothing")
	}
	hello := hs.hello
	if group != 0 {
		if !slices.Contains(hello.SupportedGroups, group) {
			return fail(wire.AlertIllegalParameter, "HelloRetryRequest asks for group %#04x, which was not offered", group)
		}
		for _, s := range hello.KeyShares {
			if s.Group == group {
				return fail(wire.AlertIllegalParameter, "HelloRetryRequest asks for group %#04x, for which a share was sent", group)
			}
		}
		share, err := keys.NewPrivateShare(group, c.set.rand)
		if err != nil {
			return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: generating a key share: %v", err)
		}
		hs.shares = []*keys.PrivateShare{share}
		hello.KeyShares = []wire.KeyShare{{Group: group, Data: share.Public()}}
	}
	hello.Cookie = hrr.Cookie
	if len(hello.PSKIdentities) > 0 && hs.pskHash != suite.Hash {
		// RFC 8446 4.1.2: a PSK that cannot go with the server's suite is dropped.
		hello.PSKIdentities, hello.PSKBinders = nil, nil
	}
	// The transcript restarts with a synthetic message_hash of the first hello.
	hs.transcript.SetHash(suite.Hash)
	prefix := [][]byte{wire.MessageHash(hs.transcript.Sum()), msg}
	hs.transcript = keys.NewTranscript(suite.Hash)
	for _, m := range prefix {
		hs.transcript.Write(m)
	}
	c.writeCompatibilityCCS()
	hs.sentCCS = true
	if err := c.sendClientHelloMessage(prefix); err != nil {
		return err
	}
	c.yield = true
	return nil
}

func (c *Context) clientEncryptedExtensions(msg []byte) *sspi.Error {
	var ee wire.EncryptedExtensions
	if err := ee.Unmarshal(msg); err != nil {
		return asFailure(err)
	}
	hello := c.hs.hello
	for _, ext := range ee.Extensions {
		offered := ext == wire.ExtSupportedGroups ||
			ext == wire.ExtServerName && hello.ServerName != "" ||
			ext == wire.ExtALPN && len(hello.ALPNProtocols) > 0
		if !offered {
			return fail(wire.AlertUnsupportedExtension, "the server sent extension %d in EncryptedExtensions, which was not offered", ext)
		}
	}
	if ee.ALPNProtocol != "" && !slices.Contains(hello.ALPNProtocols, ee.ALPNProtocol) {
		return fail(wire.AlertIllegalParameter, "the server chose application protocol %q, which was not offered", ee.ALPNProtocol)
	}
	c.info.ALPN = ee.ALPNProtocol
	c.hs.transcript.Write(msg)
	c.state = stateClientWaitCertOrCertRequest
	if c.hs.resumed {
		// The PSK authenticates the server: no Certificate, no CertificateVerify.
		c.state = stateClientWaitFinished
	}
	return nil
}

func (c *Context) clientCertificateRequest(msg []byte) *sspi.Error {
	var cr wire.CertificateRequest13
	if err := cr.Unmarshal(msg); err != nil {
		return asFailure(err)
	}
	if len(cr.Context) != 0 {
		return fail(wire.AlertIllegalParameter, "a CertificateRequest during the handshake must have an empty context")
	}
	c.hs.certRequest = &cr
	c.hs.transcript.Write(msg)
	c.state = stateClientWaitCertificate
	return nil
}

func (c *Context) clientServerCertificate(msg []byte) *sspi.Error {
	var cm wire.Certificate13
	if err := cm.Unmarshal(msg); err != nil {
		return asFailure(err)
	}
	if len(cm.Context) != 0 {
		return fail(wire.AlertIllegalParameter, "the server's Certificate has a request context")
	}
	if len(cm.Entries) == 0 {
		return fail(wire.AlertDecodeError, "the server sent no certificate")
	}
	if err := checkEntryExtensions(cm.Entries); err != nil {
		return err
	}
	if err := c.acceptPeerChain(entryData(cm.Entries)); err != nil {
		return err
	}
	c.hs.transcript.Write(msg)
	c.state = stateClientWaitCertificateVerify
	return nil
}

func (c *Context) clientServerFinished(msg []byte) *sspi.Error {
	hs := c.hs
	if err := c.checkFinished(msg, hs.serverSecret); err != nil {
		return err
	}
	clientApp, serverApp := c.deriveApplicationSecrets()
	hs.clientAppSecret = clientApp
	if err := c.installKeys(serverApp, nil); err != nil {
		return err
	}
	if err := c.runVerifyConnection(); err != nil {
		return err
	}
	if hs.certRequest != nil && !c.useSuppliedCreds && !c.haveClientCredentials() {
		// Schannel asks its caller what to do: supply a certificate or go on
		// without one (ISC_REQ_USE_SUPPLIED_CREDS).
		c.state = stateClientWaitCredentials
		return nil
	}
	return c.sendClientSecondFlight()
}

// haveClientCredentials reports whether the configuration can answer a
// CertificateRequest: a callback, or a certificate that fits.
func (c *Context) haveClientCredentials() bool {
	cert, _, err := c.clientCertificate()
	return err == nil && cert != nil
}

// clientCertificate picks the certificate to answer a CertificateRequest.
// A nil certificate means none fits.
func (c *Context) clientCertificate() (*tls.Certificate, uint16, *sspi.Error) {
	cfg := c.set.cfg
	var schemes []uint16
	var authorities [][]byte
	if cr := c.hs.certRequest; cr != nil {
		schemes, authorities = cr.SignatureAlgorithms, cr.CertificateAuthorities
	} else if cr := c.hs.certRequest12; cr != nil {
		schemes, authorities = cr.SignatureAlgorithms, cr.CertificateAuthorities
	}
	if cfg.GetClientCertificate != nil {
		if !c.hs.gotClientCert {
			info := &tls.CertificateRequestInfo{AcceptableCAs: authorities, Version: c.vers}
			for _, s := range schemes {
				info.SignatureSchemes = append(info.SignatureSchemes, tls.SignatureScheme(s))
			}
			c.hs.clientCert, c.hs.clientCertFail = cfg.GetClientCertificate(info)
			c.hs.gotClientCert = true
		}
		cert, err := c.hs.clientCert, c.hs.clientCertFail
		if err != nil {
			return nil, 0, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "schannel: GetClientCertificate: %v", err)
		}
		if cert == nil || len(cert.Certificate) == 0 {
			// The callback chose to send no certificate, as in crypto/tls.
			return &tls.Certificate{}, 0, nil
		}
		return c.fitCertificate([]tls.Certificate{*cert}, schemes)
	}
	return c.fitCertificate(cfg.Certificates, schemes)
}

// fitCertificate returns the first certificate whose key can sign with one of
// the peer's schemes.
func (c *Context) fitCertificate(certs []tls.Certificate, peerSchemes []uint16) (*tls.Certificate, uint16, *sspi.Error) {
	for i := range certs {
		pub, err := leafPublicKey(&certs[i])
		if err != nil {
			continue
		}
		if scheme, ok := pickScheme(peerSchemes, pub, c.vers == wire.VersionTLS12); ok {
			return &certs[i], scheme, nil
		}
	}
	return nil, 0, nil
}

// chooseClientCertificate answers a CertificateRequest: the certificate and
// scheme to use, nil to send none (ISC_REQ_USE_SUPPLIED_CREDS, or a callback
// that chose none), or SEC_I_INCOMPLETE_CREDENTIALS when nothing fits and
// the caller has not said to go on without.
func (c *Context) chooseClientCertificate() (*tls.Certificate, uint16, *sspi.Error) {
	cert, scheme, err := c.clientCertificate()
	switch {
	case err != nil:
		return nil, 0, err
	case cert == nil && !c.useSuppliedCreds:
		return nil, 0, &sspi.Error{Status: sspi.SEC_I_INCOMPLETE_CREDENTIALS, Alert: -1}
	case cert == nil || len(cert.Certificate) == 0:
		return nil, 0, nil
	}
	return cert, scheme, nil
}

// sendClientSecondFlight sends [ChangeCipherSpec,] [Certificate,
// CertificateVerify,] Finished and completes the client's handshake.
func (c *Context) sendClientSecondFlight() *sspi.Error {
	if c.vers == wire.VersionTLS12 {
		return c.sendClientFlight12()
	}
	hs := c.hs
	var cert *tls.Certificate
	var scheme uint16
	if hs.certRequest != nil {
		var err *sspi.Error
		if cert, scheme, err = c.chooseClientCertificate(); err != nil {
			return err
		}
	}
	if !hs.sentCCS {
		c.writeCompatibilityCCS()
		hs.sentCCS = true
	}
	if hs.certRequest != nil {
		if err := c.sendCertificateAndVerify(hs.certRequest.Context, cert, scheme, clientSignatureContext); err != nil {
			return err
		}
	}
	if err := c.sendFinished(hs.clientSecret); err != nil {
		return err
	}
	if err := c.installKeys(nil, hs.clientAppSecret); err != nil {
		return err
	}
	c.resumptionSecret = hs.schedule.ResumptionMasterSecret(hs.transcript.Sum())
	c.ticketState = *c.sessionState(nil)
	c.finishHandshake()
	return nil
}
