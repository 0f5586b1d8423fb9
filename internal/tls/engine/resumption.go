package engine

import (
	"crypto"
	"crypto/hmac"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

// ticketLifetime is how long our tickets may be used and what we advertise:
// what the server's ticket keys guarantee (session.TicketLifetime, 6 days).
// A client caps a server's promise at RFC 8446's maximum of 7 days.
const (
	ticketLifetime       = session.TicketLifetime
	clientTicketLifetime = session.MaxLifetime
)

// cacheKey is where a client keeps its session for this server.
func (c *Context) cacheKey() string { return c.info.ServerName }

// clientCache reports whether this client keeps sessions: it has a
// ClientSessionCache, tickets are not disabled, and a server name to key on.
func (c *Context) clientCache() bool {
	return c.set.cfg.ClientSessionCache != nil && !c.set.cfg.SessionTicketsDisabled && c.cacheKey() != ""
}

// loadSession finds a session to offer, if any.
func (c *Context) loadSession() {
	if !c.clientCache() {
		return
	}
	ticket, st, ok := session.Load(c.set.cfg.ClientSessionCache, c.cacheKey(), c.set.now())
	if !ok || !c.set.allows(st.Version) {
		return
	}
	// The server's chain is checked now, before the session is offered: a
	// server that accepts it cannot be refused afterwards, and a chain that
	// has expired or lost its root since must cost one full handshake, not
	// every connection until the server forgets the ticket.
	certs, chains, err := c.checkSessionChain(st)
	if err != nil {
		session.Forget(c.set.cfg.ClientSessionCache, c.cacheKey())
		return
	}
	c.hs.offered, c.hs.offeredTicket = st, ticket
	c.hs.origin, c.hs.originCerts, c.hs.originChains = st, certs, chains
}

// checkSessionChain checks again, by the rules of a full handshake at the
// current time, the peer chain a session carries, the way crypto/tls does:
// the chain that verified it then must still be within its validity period
// (every certificate of it), still end in a root we trust, and a server's
// leaf still carry our server name. A session made without verification is
// not resumed by a side that verifies now.
func (c *Context) checkSessionChain(st *session.State) ([]*x509.Certificate, [][]*x509.Certificate, *sspi.Error) {
	if len(st.PeerCertificates) == 0 {
		return nil, nil, nil
	}
	certs, err := parsePeerChain(st.PeerCertificates)
	if err != nil {
		return nil, nil, err
	}
	if !c.verifiesChains() {
		return certs, nil, nil
	}
	if len(st.VerifiedChain) == 0 {
		return nil, nil, fail(wire.AlertBadCertificate, "the session's peer chain was not verified")
	}
	chain, err := parsePeerChain(st.VerifiedChain)
	if err != nil {
		return nil, nil, err
	}
	now := c.set.now()
	for _, cert := range chain {
		if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
			return nil, nil, certificateFailure(x509.CertificateInvalidError{Cert: cert, Reason: x509.Expired})
		}
	}
	opts := x509.VerifyOptions{CurrentTime: now}
	if c.isServer {
		opts.Roots = c.set.cfg.ClientCAs
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		if err := certs[0].VerifyHostname(strings.TrimSuffix(c.info.ServerName, ".")); err != nil {
			return nil, nil, certificateFailure(err)
		}
		opts.Roots = c.set.cfg.RootCAs
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	// The chain verified before; what may have changed is whether its root
	// is still trusted. Verifying the root alone asks exactly that.
	if _, err := chain[len(chain)-1].Verify(opts); err != nil {
		return nil, nil, certificateFailure(err)
	}
	return certs, [][]*x509.Certificate{chain}, nil
}

// offerSession13 adds a pre_shared_key offer for a TLS 1.3 session to hello,
// with a placeholder binder that finishClientHello fills in.
func (c *Context) offerSession13(hello *wire.ClientHello) {
	st := c.hs.offered
	suite := keys.Suite13(st.CipherSuite)
	if st.Version != wire.VersionTLS13 || suite == nil || !slices.ContainsFunc(c.set.suites13, func(id uint16) bool {
		return keys.Suite13(id).Hash == suite.Hash
	}) {
		return
	}
	// RFC 8446 4.2.11.1: milliseconds since the ticket was received.
	age := uint32(c.set.now().Unix()-int64(st.CreatedAt)) * 1000
	hello.PSKIdentities = []wire.PSKIdentity{{Label: c.hs.offeredTicket, ObfuscatedTicketAge: age + st.AgeAdd}}
	hello.PSKBinders = [][]byte{make([]byte, suite.Hash.Size())}
	c.hs.pskHash = suite.Hash
}

// pskBinder computes a PSK binder (RFC 8446 4.2.11.2): a Finished MAC with
// the binder key over the transcript that ends with the truncated hello.
func pskBinder(h crypto.Hash, psk []byte, transcriptPrefix [][]byte, truncatedHello []byte) []byte {
	th := h.New()
	for _, m := range transcriptPrefix {
		th.Write(m)
	}
	th.Write(truncatedHello)
	binderKey := keys.NewSchedule13(h, psk).BinderKey(true)
	return keys.FinishedMAC(h, keys.FinishedKey(h, binderKey), th.Sum(nil))
}

// marshalClientHello encodes our hello, filling in the PSK binder when a
// session is offered.
func (c *Context) marshalClientHello(hello *wire.ClientHello, transcriptPrefix [][]byte) ([]byte, *sspi.Error) {
	hello.Raw = nil
	msg, err := hello.Marshal()
	if err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: building ClientHello: %v", err)
	}
	if len(hello.PSKIdentities) == 0 {
		return msg, nil
	}
	truncated := msg[:len(msg)-hello.BindersLen()]
	binder := pskBinder(c.hs.pskHash, c.hs.offered.Secret, transcriptPrefix, truncated)
	if err := hello.UpdateBinders([][]byte{binder}); err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: PSK binder: %v", err)
	}
	return hello.Raw, nil
}

// acceptResumption13 is the client's side of a server that selected our PSK.
func (c *Context) acceptResumption13(sh *wire.ServerHello, suite *keys.Suite) *sspi.Error {
	hs := c.hs
	if !sh.SelectedIdentityPresent {
		return nil
	}
	if len(hs.hello.PSKIdentities) == 0 || sh.SelectedIdentity != 0 || suite.Hash != hs.pskHash {
		return fail(wire.AlertIllegalParameter, "the server selected a PSK that was not offered or does not fit its suite")
	}
	hs.psk = hs.offered.Secret
	hs.resumed = true
	c.info.ALPN = hs.offered.ALPN
	return c.restorePeerCertificates()
}

// parsePeerChain parses a chain of DER certificates.
func parsePeerChain(ders [][]byte) ([]*x509.Certificate, *sspi.Error) {
	certs := make([]*x509.Certificate, 0, len(ders))
	for _, der := range ders {
		cert, err := parseCertificateCached(der)
		if err != nil {
			return nil, failWith(sspi.SEC_E_CERT_UNKNOWN, wire.AlertBadCertificate, fmt.Errorf("tls: parsing the peer's certificate: %w", err))
		}
		certs = append(certs, cert)
	}
	return certs, nil
}

// keepPeerChain makes certs the peer's chain: verified now unless chains
// holds a verification already made in this handshake (a resumed session's,
// checked before it was chosen), then VerifyPeerCertificate.
func (c *Context) keepPeerChain(certs []*x509.Certificate, chains [][]*x509.Certificate) *sspi.Error {
	c.info.PeerCertificates = certs
	if chains == nil {
		var err *sspi.Error
		if chains, err = c.verifyChainX509(certs); err != nil {
			return err
		}
	}
	c.info.VerifiedChains = chains
	if err := c.runVerifyPeerCertificate(certs); err != nil {
		return err
	}
	c.hs.peerPublic = certs[0].PublicKey
	return nil
}

// restorePeerCertificates gives a resumed session the peer's chain from the
// original handshake, as checkSessionChain verified it before the session
// was chosen.
func (c *Context) restorePeerCertificates() *sspi.Error {
	if len(c.hs.originCerts) == 0 {
		return nil
	}
	return c.keepPeerChain(c.hs.originCerts, c.hs.originChains)
}

// sessionState captures what resuming this connection needs. A resumed
// connection's session keeps the time of the full handshake it descends
// from: renewing a ticket never extends how long a session lives.
func (c *Context) sessionState(secret []byte) *session.State {
	now := uint64(c.set.now().Unix())
	st := &session.State{
		Version:         c.vers,
		CipherSuite:     c.hs.suite.ID,
		Secret:          secret,
		CreatedAt:       now,
		AuthenticatedAt: now,
		Lifetime:        ticketLifetime,
		ALPN:            c.info.ALPN,
		ServerName:      c.info.ServerName,
		Group:           c.info.Group,
	}
	if o := c.hs.origin; c.hs.resumed && o != nil {
		st.AuthenticatedAt = o.AuthenticatedAt
		if st.AuthenticatedAt == 0 || st.AuthenticatedAt > now {
			st.AuthenticatedAt = min(o.CreatedAt, now)
		}
	}
	if c.vers == wire.VersionTLS12 {
		st.ExtendedMasterSecret = true
	}
	for _, cert := range c.info.PeerCertificates {
		st.PeerCertificates = append(st.PeerCertificates, cert.Raw)
	}
	if len(c.info.VerifiedChains) > 0 {
		for _, cert := range c.info.VerifiedChains[0] {
			st.VerifiedChain = append(st.VerifiedChain, cert.Raw)
		}
	}
	return st
}

// storeTicket13 keeps a TLS 1.3 NewSessionTicket in the client's cache.
func (c *Context) storeTicket13(nst *wire.NewSessionTicket13) {
	if !c.clientCache() || nst.Lifetime == 0 || c.resumptionSecret == nil {
		return
	}
	st := c.ticketState
	st.Secret = keys.ResumptionPSK(c.suite.Hash, c.resumptionSecret, nst.Nonce)
	st.CreatedAt = uint64(c.set.now().Unix())
	st.AuthenticatedAt = min(st.AuthenticatedAt, st.CreatedAt)
	st.Lifetime = min(nst.Lifetime, clientTicketLifetime)
	st.AgeAdd = nst.AgeAdd
	_ = session.Store(c.set.cfg.ClientSessionCache, c.cacheKey(), nst.Ticket, &st)
}

// serverTryResumption13 checks the client's first PSK identity. It returns
// the PSK when the ticket is ours, fits this connection and its binder
// verifies; a ticket we cannot use just means a full handshake, but a wrong
// binder on a ticket we issued is an attack and fails the handshake.
func (c *Context) serverTryResumption13(hello *wire.ClientHello, helloMsg []byte, suite *keys.Suite, transcriptPrefix [][]byte) ([]byte, *sspi.Error) {
	if c.opts.TicketKeys == nil || len(hello.PSKIdentities) == 0 || !slices.Contains(hello.PSKModes, wire.PSKModeDHEKE) {
		return nil, nil
	}
	st := c.opts.TicketKeys.Open(hello.PSKIdentities[0].Label, c.set.now())
	if !c.resumable(st, hello) || st.Version != wire.VersionTLS13 || keys.Suite13(st.CipherSuite) == nil ||
		keys.Suite13(st.CipherSuite).Hash != suite.Hash {
		return nil, nil
	}
	truncated := helloMsg[:len(helloMsg)-hello.BindersLen()]
	if !hmac.Equal(hello.PSKBinders[0], pskBinder(suite.Hash, st.Secret, transcriptPrefix, truncated)) {
		return nil, fail(wire.AlertDecryptError, "the PSK binder does not verify")
	}
	if !c.adoptTicketSession(st) {
		return nil, nil
	}
	if err := c.restorePeerCertificates(); err != nil {
		return nil, err
	}
	c.hs.resumed = true
	return st.Secret, nil
}

// adoptTicketSession verifies again the client chain a ticket carries and
// keeps the session for resumption. A chain that no longer verifies (expired,
// or its CA no longer trusted) means a full handshake, where the client may
// present a certificate that does.
func (c *Context) adoptTicketSession(st *session.State) bool {
	certs, chains, err := c.checkSessionChain(st)
	if err != nil {
		return false
	}
	c.hs.origin, c.hs.originCerts, c.hs.originChains = st, certs, chains
	return true
}

// resumable reports whether a session from a ticket may resume this
// connection: same server name, and a client certificate if one is required.
func (c *Context) resumable(st *session.State, hello *wire.ClientHello) bool {
	if st == nil || st.ServerName != hello.ServerName {
		return false
	}
	requireCert := c.clientAuth() == tls.RequireAnyClientCert || c.clientAuth() == tls.RequireAndVerifyClientCert
	return !requireCert || len(st.PeerCertificates) > 0
}

// newSessionTicket13 builds the server's NewSessionTicket after the client's
// Finished, when the client can use one (it offered psk_dhe_ke).
func (c *Context) newSessionTicket13(hello *wire.ClientHello) *sspi.Error {
	if c.opts.TicketKeys == nil || !slices.Contains(hello.PSKModes, wire.PSKModeDHEKE) {
		return nil
	}
	var random [4]byte
	if _, err := io.ReadFull(c.set.rand, random[:]); err != nil {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: reading randomness: %v", err)
	}
	nonce := []byte{0}
	st := c.sessionState(keys.ResumptionPSK(c.hs.suite.Hash, c.resumptionSecret, nonce))
	st.AgeAdd = binary.BigEndian.Uint32(random[:])
	ticket, err := c.opts.TicketKeys.Seal(st)
	if err != nil {
		return nil // too large to fit a ticket: the client will do a full handshake next time
	}
	msg, merr := (&wire.NewSessionTicket13{Lifetime: st.Lifetime, AgeAdd: st.AgeAdd, Nonce: nonce, Ticket: ticket}).Marshal()
	if merr != nil {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: building NewSessionTicket: %v", merr)
	}
	// Not part of the transcript: it follows the handshake.
	return c.writeHandshake(msg)
}
