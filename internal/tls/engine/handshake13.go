package engine

import (
	"crypto"
	"crypto/hmac"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

// handshakeState is the state of one handshake in progress, TLS 1.3 or 1.2.
// It is dropped when the handshake completes so an idle connection keeps only
// its traffic keys.
type handshakeState struct {
	transcript   *keys.Transcript
	suite        *keys.Suite
	schedule     *keys.Schedule13
	clientRandom []byte

	// Client: the hello we sent and the private halves of its key shares.
	hello  *wire.ClientHello
	shares []*keys.PrivateShare

	// Server: the first hello, and the group a HelloRetryRequest asked for.
	firstHello *wire.ClientHello
	retryGroup uint16

	helloRetried bool
	sentCCS      bool

	clientSecret, serverSecret []byte // handshake traffic secrets
	clientAppSecret            []byte // held until the client's Finished is sent or checked
	exporterSecret             []byte // exporter_master_secret, kept for the exporter
	firstFinished              []byte // TLS 1.2: verify_data of the first Finished (tls-unique)
	serverLeaf                 []byte // the server's leaf certificate as sent (DER)

	certRequest *wire.CertificateRequest13 // the one received (client) or sent (server)
	// Client: what tls.Config.GetClientCertificate answered, asked once per
	// handshake (it may prompt for a smart card's PIN).
	gotClientCert  bool
	clientCert     *tls.Certificate
	clientCertFail error
	peerPublic     any // public key of the peer's leaf certificate

	// TLS 1.2 only.
	messages       []byte // every handshake message: a 1.2 CertificateVerify signs them all
	serverRandom   []byte
	masterSecret   []byte
	certRequest12  *wire.CertificateRequest12
	serverKX       *wire.ServerKeyExchangeECDHE
	clientKeyBlock [2][]byte // client write key and IV, installed at our ChangeCipherSpec
	serverKeyBlock [2][]byte // server write key and IV
	ticketExpected bool      // the server will send a NewSessionTicket
	newTicket12    *wire.NewSessionTicket12

	// Resumption: the session the client offers, and the PSK in use.
	offered       *session.State
	offeredTicket []byte
	pskHash       crypto.Hash
	psk           []byte
	hrrPrefix     [][]byte // message_hash and HelloRetryRequest, for a second hello's binder
	resumed       bool
	// The session being offered (client) or resumed (server), its peer
	// chain parsed and verified again before it was chosen.
	origin       *session.State
	originCerts  []*x509.Certificate
	originChains [][]*x509.Certificate
}

// record adds a handshake message to the transcript (and, for TLS 1.2, to the
// list of messages a CertificateVerify covers).
func (c *Context) record(msg []byte) {
	c.hs.transcript.Write(msg)
	if c.vers == wire.VersionTLS12 {
		c.hs.messages = append(c.hs.messages, msg...)
	}
}

// deriveHandshakeKeys runs the key schedule from the (EC)DHE secret through
// the handshake traffic secrets and installs them.
func (c *Context) deriveHandshakeKeys(sharedSecret []byte) *sspi.Error {
	hs := c.hs
	hs.schedule = keys.NewSchedule13(hs.suite.Hash, hs.psk)
	hs.schedule.SetSharedSecret(sharedSecret)
	th := hs.transcript.Sum()
	hs.clientSecret = hs.schedule.ClientHandshakeTrafficSecret(th)
	hs.serverSecret = hs.schedule.ServerHandshakeTrafficSecret(th)
	c.logKey("CLIENT_HANDSHAKE_TRAFFIC_SECRET", hs.clientSecret)
	c.logKey("SERVER_HANDSHAKE_TRAFFIC_SECRET", hs.serverSecret)
	readSecret, writeSecret := hs.serverSecret, hs.clientSecret
	if c.isServer {
		readSecret, writeSecret = writeSecret, readSecret
	}
	return c.installKeys(readSecret, writeSecret)
}

// installKeys switches read and/or write protection (nil leaves one as is).
func (c *Context) installKeys(readSecret, writeSecret []byte) *sspi.Error {
	if readSecret != nil {
		prot, err := keys.NewRecordProtection13(c.hs.suite, readSecret)
		if err != nil {
			return asFailure(err)
		}
		c.readProt, c.readSecret = prot, readSecret
	}
	if writeSecret != nil {
		prot, err := keys.NewRecordProtection13(c.hs.suite, writeSecret)
		if err != nil {
			return asFailure(err)
		}
		c.writeProt, c.writeSecret = prot, writeSecret
	}
	return nil
}

// deriveApplicationSecrets runs the schedule on to the master secret once the
// server's Finished is in the transcript; it returns the client and server
// application traffic secrets.
func (c *Context) deriveApplicationSecrets() (clientApp, serverApp []byte) {
	hs := c.hs
	hs.schedule.SetMaster()
	th := hs.transcript.Sum()
	clientApp = hs.schedule.ClientApplicationTrafficSecret(th)
	serverApp = hs.schedule.ServerApplicationTrafficSecret(th)
	c.logKey("CLIENT_TRAFFIC_SECRET_0", clientApp)
	c.logKey("SERVER_TRAFFIC_SECRET_0", serverApp)
	hs.exporterSecret = hs.schedule.ExporterMasterSecret(th)
	c.logKey("EXPORTER_SECRET", hs.exporterSecret)
	return clientApp, serverApp
}

// finishedVerifyData is the Finished MAC under baseSecret over the transcript so far.
func (c *Context) finishedVerifyData(baseSecret []byte) []byte {
	h := c.hs.suite.Hash
	return keys.FinishedMAC(h, keys.FinishedKey(h, baseSecret), c.hs.transcript.Sum())
}

// checkFinished verifies the peer's Finished and adds it to the transcript.
func (c *Context) checkFinished(msg []byte, baseSecret []byte) *sspi.Error {
	var fin wire.Finished
	if err := fin.Unmarshal(msg); err != nil {
		return asFailure(err)
	}
	if !hmac.Equal(fin.VerifyData, c.finishedVerifyData(baseSecret)) {
		return fail(wire.AlertDecryptError, "the peer's Finished does not match the handshake")
	}
	c.hs.transcript.Write(msg)
	return nil
}

// sendFinished writes our Finished under baseSecret.
func (c *Context) sendFinished(baseSecret []byte) *sspi.Error {
	return c.sendMessage(&wire.Finished{VerifyData: c.finishedVerifyData(baseSecret)})
}

// marshaler is every handshake message we send.
type marshaler interface{ Marshal() ([]byte, error) }

// sendMessage marshals msg, adds it to the transcript and queues it.
func (c *Context) sendMessage(m marshaler) *sspi.Error {
	msg, err := m.Marshal()
	if err != nil {
		return sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "schannel: building a handshake message: %v", err)
	}
	c.record(msg)
	return c.writeHandshake(msg)
}

// finishHandshake drops the handshake state and opens the context for data.
func (c *Context) finishHandshake() {
	c.state = stateConnected
	c.suite = c.hs.suite
	c.info.Version = c.vers
	c.info.CipherSuite = c.hs.suite.ID
	c.info.DidResume = c.hs.resumed
	c.saveExporterState()
	c.hs = nil
	c.scratch = nil // post-handshake records are decrypted in the caller's buffer
	c.uselessRecords = 0
}

// connectionState is what tls.Config.VerifyConnection sees.
func (c *Context) connectionState() tls.ConnectionState {
	return tls.ConnectionState{
		Version:            c.vers,
		HandshakeComplete:  true,
		DidResume:          c.info.DidResume,
		CipherSuite:        c.hs.suite.ID,
		CurveID:            tls.CurveID(c.info.Group),
		HelloRetryRequest:  c.info.HelloRetryRequest,
		NegotiatedProtocol: c.info.ALPN,
		ServerName:         c.info.ServerName,
		PeerCertificates:   c.info.PeerCertificates,
		VerifiedChains:     c.info.VerifiedChains,
	}
}

func (c *Context) runVerifyConnection() *sspi.Error {
	if c.set.cfg.VerifyConnection == nil {
		return nil
	}
	if err := c.set.cfg.VerifyConnection(c.connectionState()); err != nil {
		return failWith(sspi.SEC_E_CERT_UNKNOWN, wire.AlertBadCertificate, fmt.Errorf("tls: VerifyConnection: %w", err))
	}
	return nil
}

// keyLogMutex serialises KeyLogWriter writes across connections, as
// crypto/tls does: one writer is commonly shared by every connection of a
// program, and need not be safe for concurrent use.
var keyLogMutex sync.Mutex

// logKey writes an NSS key-log line so captures can be decrypted.
func (c *Context) logKey(label string, secret []byte) {
	w := c.set.cfg.KeyLogWriter
	if w == nil {
		return
	}
	line := fmt.Appendf(nil, "%s %x %x\n", label, c.hs.clientRandom, secret)
	keyLogMutex.Lock()
	defer keyLogMutex.Unlock()
	_, _ = w.Write(line)
}
