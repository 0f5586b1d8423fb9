package engine

import (
	"bytes"
	"crypto/tls"
	"io"
	"reflect"
	"slices"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

// serverMessage is the server's state machine (RFC 8446 Appendix A.2).
func (c *Context) serverMessage(typ wire.HandshakeType, msg []byte) *sspi.Error {
	if c.vers == wire.VersionTLS12 {
		return c.serverMessage12(typ, msg)
	}
	var want wire.HandshakeType
	switch c.state {
	case stateServerWaitClientHello:
		want = wire.TypeClientHello
	case stateServerWaitClientCertificate:
		want = wire.TypeCertificate
	case stateServerWaitClientCertificateVerify:
		want = wire.TypeCertificateVerify
	case stateServerWaitFinished:
		want = wire.TypeFinished
	}
	if typ != want {
		return fail(wire.AlertUnexpectedMessage, "got %s, expected %s", typ, want)
	}
	switch c.state {
	case stateServerWaitClientHello:
		return c.serverClientHello(msg)
	case stateServerWaitClientCertificate:
		return c.serverClientCertificate(msg)
	case stateServerWaitClientCertificateVerify:
		if err := c.checkCertificateVerify(msg, clientSignatureContext); err != nil {
			return err
		}
		c.state = stateServerWaitFinished
		return nil
	default:
		return c.serverClientFinished(msg)
	}
}

// serverParameters is what the server chose from a ClientHello.
type serverParameters struct {
	suite  *keys.Suite
	group  uint16
	share  []byte // the client's share for group; nil means a HelloRetryRequest is needed
	cert   *tls.Certificate
	scheme uint16
	alpn   string
}

func (c *Context) serverClientHello(msg []byte) *sspi.Error {
	hello := new(wire.ClientHello)
	if err := hello.Unmarshal(msg); err != nil {
		return asFailure(err)
	}
	retry := c.hs != nil
	if !retry {
		c.hs = &handshakeState{}
		if err := c.applyConfigForClient(hello); err != nil {
			return err
		}
	}
	hs := c.hs
	hs.clientRandom = hello.Random
	if retry {
		if err := checkSecondClientHello(hs.firstHello, hello, hs.retryGroup); err != nil {
			return err
		}
	}
	version, verr := c.chooseVersion(hello)
	if verr != nil {
		return verr
	}
	if version == wire.VersionTLS12 {
		if retry {
			return fail(wire.AlertIllegalParameter, "the second ClientHello gave up TLS 1.3")
		}
		return c.serverClientHello12(hello, msg)
	}
	if len(hello.PSKIdentities) > 0 && len(hello.PSKModes) == 0 {
		// RFC 8446 section 4.2.9: a client offering a PSK must send
		// psk_key_exchange_modes; without it the server aborts.
		return fail(wire.AlertMissingExtension, "the client offers a PSK without psk_key_exchange_modes")
	}
	params, err := c.chooseParameters(hello)
	if err != nil {
		return err
	}
	if retry && params.suite != hs.suite {
		return fail(wire.AlertIllegalParameter, "the second ClientHello changed the cipher suite")
	}
	c.vers = wire.VersionTLS13
	hs.hello = hello
	c.info.ServerName = hello.ServerName
	c.info.ALPN = params.alpn
	c.info.Group = params.group
	if params.share == nil {
		return c.sendHelloRetryRequest(hello, msg, params)
	}
	psk, perr := c.serverTryResumption13(hello, msg, params.suite, hs.hrrPrefix)
	if perr != nil {
		return perr
	}
	hs.psk = psk
	if retry {
		hs.transcript.Write(msg)
	} else {
		hs.suite = params.suite
		hs.transcript = keys.NewTranscript(params.suite.Hash)
		hs.transcript.Write(msg)
	}
	return c.sendServerFlight(hello, params)
}

// extPadding is the padding extension (RFC 7685), which a second
// ClientHello may add, drop or resize.
const extPadding uint16 = 21

// retryMayChange lists the extensions RFC 8446 section 4.1.2 lets a second
// ClientHello change: key_share, early_data (dropped), cookie (added),
// pre_shared_key (ages and binders recomputed, PSKs dropped) and padding.
var retryMayChange = []uint16{wire.ExtKeyShare, wire.ExtEarlyData, wire.ExtCookie, wire.ExtPreSharedKey, extPadding}

// checkSecondClientHello enforces RFC 8446 4.1.2: after a HelloRetryRequest
// (ours carries no cookie) the client sends the same hello but for one share
// of the group asked for, no early_data and updated PSK ages and binders.
// Everything decoded is compared, and the list of extensions too, so an
// extension we do not decode cannot appear or vanish.
func checkSecondClientHello(first, second *wire.ClientHello, group uint16) *sspi.Error {
	switch {
	case len(second.KeyShares) != 1 || second.KeyShares[0].Group != group:
		return fail(wire.AlertIllegalParameter, "the second ClientHello must carry exactly one share, for group %#04x", group)
	case !bytes.Equal(first.SessionID, second.SessionID) || !bytes.Equal(first.Random, second.Random):
		return fail(wire.AlertIllegalParameter, "the second ClientHello changed its random or session ID")
	case !slices.Equal(first.CipherSuites, second.CipherSuites) || second.EarlyData:
		return fail(wire.AlertIllegalParameter, "the second ClientHello changed what it offers")
	case len(second.Cookie) > 0:
		return fail(wire.AlertUnsupportedExtension, "the second ClientHello has a cookie, and our HelloRetryRequest sent none")
	}
	// The PSKs offered again must be among the first ones, in order.
	next := 0
	for _, id := range second.PSKIdentities {
		for next < len(first.PSKIdentities) && !bytes.Equal(first.PSKIdentities[next].Label, id.Label) {
			next++
		}
		if next == len(first.PSKIdentities) {
			return fail(wire.AlertIllegalParameter, "the second ClientHello offers a PSK the first did not")
		}
		next++
	}
	a, b := *first, *second
	for _, h := range []*wire.ClientHello{&a, &b} {
		h.Raw, h.KeyShares, h.EarlyData, h.Cookie, h.PSKIdentities, h.PSKBinders = nil, nil, false, nil, nil, nil
		h.Extensions = slices.DeleteFunc(slices.Clone(h.Extensions), func(ext uint16) bool {
			return slices.Contains(retryMayChange, ext)
		})
	}
	if !reflect.DeepEqual(a, b) {
		return fail(wire.AlertIllegalParameter, "the second ClientHello changed more than RFC 8446 section 4.1.2 allows")
	}
	return nil
}

// chooseParameters picks suite, group, certificate, signature scheme and
// application protocol for a ClientHello.
func (c *Context) chooseParameters(hello *wire.ClientHello) (*serverParameters, *sspi.Error) {
	if len(hello.CompressionMethods) != 1 || hello.CompressionMethods[0] != 0 {
		return nil, fail(wire.AlertIllegalParameter, "TLS 1.3 requires exactly the null compression method")
	}
	p := &serverParameters{}
	// The client's order decides among the suites we allow: it knows whether it has AES hardware.
	for _, id := range hello.CipherSuites {
		if slices.Contains(c.set.suites13, id) {
			p.suite = keys.Suite13(id)
			break
		}
	}
	if p.suite == nil {
		return nil, fail(wire.AlertHandshakeFailure, "no cipher suite in common")
	}
	seen := map[uint16]bool{}
	for _, s := range hello.KeyShares {
		if seen[s.Group] || !slices.Contains(hello.SupportedGroups, s.Group) {
			return nil, fail(wire.AlertIllegalParameter, "key share for group %#04x is repeated or not in supported_groups", s.Group)
		}
		seen[s.Group] = true
	}
	// Our preference among the groups the client sent a share for; otherwise
	// our favourite mutual group, asked for with a HelloRetryRequest.
	for _, g := range c.set.groups {
		for _, s := range hello.KeyShares {
			if s.Group == g && p.share == nil {
				p.group, p.share = g, s.Data
			}
		}
	}
	if p.share == nil {
		for _, g := range c.set.groups {
			if slices.Contains(hello.SupportedGroups, g) {
				p.group = g
				break
			}
		}
		if p.group == 0 {
			return nil, fail(wire.AlertHandshakeFailure, "no key exchange group in common")
		}
	}
	if len(hello.SignatureAlgorithms) == 0 {
		return nil, fail(wire.AlertMissingExtension, "the client sent no signature_algorithms")
	}
	cert, scheme, err := c.serverCertificate(hello)
	if err != nil {
		return nil, err
	}
	p.cert, p.scheme = cert, scheme
	if p.alpn, err = c.negotiateALPN(hello); err != nil {
		return nil, err
	}
	return p, nil
}

// chooseVersion picks the highest version both sides allow (RFC 8446 4.2.1),
// refusing a fallback retry when we could have done better (RFC 7507).
func (c *Context) chooseVersion(hello *wire.ClientHello) (uint16, *sspi.Error) {
	offered := hello.SupportedVersions
	if len(offered) == 0 && hello.Vers >= wire.VersionTLS12 {
		offered = []uint16{wire.VersionTLS12}
	}
	for _, v := range []uint16{wire.VersionTLS13, wire.VersionTLS12} {
		if !c.set.allows(v) || !slices.Contains(offered, v) {
			continue
		}
		if v < c.set.maxVersion && slices.Contains(hello.CipherSuites, tlsFallbackSCSV) {
			return 0, fail(wire.AlertInappropriateFallback, "the client fell back to %#04x though %#04x is possible", v, c.set.maxVersion)
		}
		return v, nil
	}
	return 0, fail(wire.AlertProtocolVersion, "no TLS version in common (the client offers %#04x, we allow %#04x..%#04x)", offered, c.set.minVersion, c.set.maxVersion)
}

// negotiateALPN picks the first of our protocols the client offers; with no
// overlap the handshake fails (no_application_protocol, RFC 7301).
func (c *Context) negotiateALPN(hello *wire.ClientHello) (string, *sspi.Error) {
	ours := c.nextProtos()
	if len(ours) == 0 || len(hello.ALPNProtocols) == 0 {
		return "", nil
	}
	for _, proto := range ours {
		if slices.Contains(hello.ALPNProtocols, proto) {
			return proto, nil
		}
	}
	return "", fail(wire.AlertNoApplicationProtocol, "none of the client's application protocols %q is served", hello.ALPNProtocols)
}

// serverCertificate picks our certificate: GetCertificate's answer, or the
// first configured certificate whose names match the requested server name
// and whose key fits a scheme the client accepts.
func (c *Context) serverCertificate(hello *wire.ClientHello) (*tls.Certificate, uint16, *sspi.Error) {
	cfg := c.set.cfg
	candidates := cfg.Certificates
	if cfg.GetCertificate != nil {
		cert, err := cfg.GetCertificate(c.clientHelloInfo(hello, c.hs != nil && c.hs.firstHello != nil))
		if err != nil {
			return nil, 0, fail(wire.AlertInternalError, "GetCertificate: %v", err)
		}
		if cert != nil {
			candidates = []tls.Certificate{*cert}
		}
	}
	if len(candidates) > 1 && hello.ServerName != "" {
		var named []tls.Certificate
		for _, cert := range candidates {
			if cert.Leaf != nil && cert.Leaf.VerifyHostname(hello.ServerName) == nil {
				named = append(named, cert)
			}
		}
		candidates = append(named, candidates...)
	}
	cert, scheme, err := c.fitCertificate(candidates, hello.SignatureAlgorithms)
	if err != nil {
		return nil, 0, err
	}
	if cert == nil {
		return nil, 0, fail(wire.AlertHandshakeFailure, "no certificate can sign with the client's signature schemes")
	}
	if len(cert.Certificate) > 0 {
		c.hs.serverLeaf = cert.Certificate[0]
	}
	return cert, scheme, nil
}

// sendHelloRetryRequest asks the client for a share of params.group.
func (c *Context) sendHelloRetryRequest(hello *wire.ClientHello, msg []byte, params *serverParameters) *sspi.Error {
	hs := c.hs
	if hs.firstHello != nil {
		return fail(wire.AlertIllegalParameter, "the second ClientHello still has no usable key share")
	}
	hs.firstHello = hello
	hs.retryGroup = params.group
	hs.suite = params.suite
	firstHelloHash := params.suite.Hash.New()
	firstHelloHash.Write(msg)
	hs.transcript = keys.NewTranscript(params.suite.Hash)
	hs.hrrPrefix = [][]byte{wire.MessageHash(firstHelloHash.Sum(nil))}
	hs.transcript.Write(hs.hrrPrefix[0])
	hrr := &wire.ServerHello{
		Vers:             wire.VersionTLS12,
		Random:           wire.HelloRetryRequestRandom,
		SessionID:        hello.SessionID,
		CipherSuite:      params.suite.ID,
		SupportedVersion: wire.VersionTLS13,
		SelectedGroup:    params.group,
	}
	if err := c.sendMessage(hrr); err != nil {
		return err
	}
	hs.hrrPrefix = append(hs.hrrPrefix, hrr.Raw)
	c.info.HelloRetryRequest = true
	c.sendCompatibilityCCSOnce(hello)
	c.yield = true
	return nil
}

// sendCompatibilityCCSOnce sends the middlebox ChangeCipherSpec when the
// client asked for compatibility mode with a legacy session ID.
func (c *Context) sendCompatibilityCCSOnce(hello *wire.ClientHello) {
	if len(hello.SessionID) > 0 && !c.hs.sentCCS {
		c.writeCompatibilityCCS()
		c.hs.sentCCS = true
	}
}

// sendServerFlight sends ServerHello through Finished.
func (c *Context) sendServerFlight(hello *wire.ClientHello, params *serverParameters) *sspi.Error {
	hs := c.hs
	serverShare, secret, kerr := keys.RespondToShare(params.group, params.share, c.set.rand)
	if kerr != nil {
		return asFailure(kerr)
	}
	random := make([]byte, 32)
	if _, err := io.ReadFull(c.set.rand, random); err != nil {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: reading randomness: %v", err)
	}
	sh := &wire.ServerHello{
		Vers:             wire.VersionTLS12,
		Random:           random,
		SessionID:        hello.SessionID,
		CipherSuite:      params.suite.ID,
		SupportedVersion: wire.VersionTLS13,
		ServerShare:      wire.KeyShare{Group: params.group, Data: serverShare},
	}
	if hs.resumed {
		sh.SelectedIdentityPresent, sh.SelectedIdentity = true, 0
	}
	if err := c.sendMessage(sh); err != nil {
		return err
	}
	c.sendCompatibilityCCSOnce(hello)
	if err := c.deriveHandshakeKeys(secret); err != nil {
		return err
	}
	// RFC 6066 section 3: a server that resumes does not acknowledge
	// server_name, whose choice was made by the original handshake.
	ee := &wire.EncryptedExtensions{ALPNProtocol: params.alpn, ServerNameAck: hello.ServerName != "" && !hs.resumed}
	if err := c.sendMessage(ee); err != nil {
		return err
	}
	if c.clientAuth() >= tls.RequestClientCert && !hs.resumed {
		cr := &wire.CertificateRequest13{SignatureAlgorithms: advertisedSignatureSchemes}
		if pool := c.set.cfg.ClientCAs; pool != nil {
			cr.CertificateAuthorities = pool.Subjects() //nolint:staticcheck // the DER subjects are exactly what certificate_authorities carries
		}
		hs.certRequest = cr
		if err := c.sendMessage(cr); err != nil {
			return err
		}
	}
	if !hs.resumed {
		if err := c.sendCertificateAndVerify(nil, params.cert, params.scheme, serverSignatureContext); err != nil {
			return err
		}
	}
	if err := c.sendFinished(hs.serverSecret); err != nil {
		return err
	}
	clientApp, serverApp := c.deriveApplicationSecrets()
	hs.clientAppSecret = clientApp
	// The server may send from now on (RFC 8446 4.4.4); reads stay on the
	// client's handshake keys until its Finished.
	if err := c.installKeys(nil, serverApp); err != nil {
		return err
	}
	c.state = stateServerWaitFinished
	if hs.certRequest != nil {
		c.state = stateServerWaitClientCertificate
	}
	c.yield = true
	return nil
}

func (c *Context) serverClientCertificate(msg []byte) *sspi.Error {
	var cm wire.Certificate13
	if err := cm.Unmarshal(msg); err != nil {
		return asFailure(err)
	}
	if len(cm.Context) != 0 {
		return fail(wire.AlertIllegalParameter, "the client's Certificate has a request context")
	}
	if err := checkEntryExtensions(cm.Entries); err != nil {
		return err
	}
	c.hs.transcript.Write(msg)
	if len(cm.Entries) == 0 {
		if c.clientAuth() == tls.RequireAnyClientCert || c.clientAuth() == tls.RequireAndVerifyClientCert {
			return fail(wire.AlertCertificateRequired, "the client sent no certificate")
		}
		c.state = stateServerWaitFinished
		return nil
	}
	if err := c.acceptPeerChain(entryData(cm.Entries)); err != nil {
		return err
	}
	c.state = stateServerWaitClientCertificateVerify
	return nil
}

func (c *Context) serverClientFinished(msg []byte) *sspi.Error {
	hs := c.hs
	if err := c.checkFinished(msg, hs.clientSecret); err != nil {
		return err
	}
	if err := c.installKeys(hs.clientAppSecret, nil); err != nil {
		return err
	}
	if err := c.runVerifyConnection(); err != nil {
		return err
	}
	c.resumptionSecret = hs.schedule.ResumptionMasterSecret(hs.transcript.Sum())
	// Like Windows, the SEC_E_OK that ends the handshake carries the ticket.
	if err := c.newSessionTicket13(hs.hello); err != nil {
		return err
	}
	c.finishHandshake()
	return nil
}
