// Package engine is the pure-Go security package under the SSPI surface: a
// sans-I/O TLS 1.3 state machine. Bytes go in, a status and bytes come out;
// it never blocks, never reads a socket and starts no goroutine.
//
// The split between calls follows Schannel: Handshake is
// InitializeSecurityContext/AcceptSecurityContext (whole records in, whole
// records out, the rest reported back as unconsumed), Decrypt is
// DecryptMessage (one record, in place) and Encrypt is EncryptMessage (one
// record, in place). Encrypt and Decrypt touch disjoint state so that one
// goroutine may encrypt while another decrypts; everything else must be
// serialised by the caller.
package engine

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync/atomic"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

// maxUselessRecords caps records that carry nothing (empty application data,
// ChangeCipherSpec, warning alerts) in a row, so a peer cannot keep us busy
// without progress.
const maxUselessRecords = 32

// state is where a handshake stands; names follow RFC 8446 Appendix A.
type state uint8

const (
	stateClientStart state = iota
	stateClientWaitServerHello
	stateClientWaitEncryptedExtensions
	stateClientWaitCertOrCertRequest
	stateClientWaitCertificate
	stateClientWaitCertificateVerify
	stateClientWaitFinished
	stateClientWaitCredentials // SEC_I_INCOMPLETE_CREDENTIALS returned; flight not sent yet
	stateServerWaitClientHello
	stateServerWaitClientCertificate
	stateServerWaitClientCertificateVerify
	stateServerWaitFinished

	// TLS 1.2 (RFC 5246 7.3), after the hellos.
	stateClient12WaitCertificate
	stateClient12WaitServerKeyExchange
	stateClient12WaitCertReqOrDone
	stateClient12WaitServerHelloDone
	stateClient12WaitTicketOrCCS
	stateClient12WaitCCS
	stateClient12WaitFinished
	stateServer12WaitClientCertificate
	stateServer12WaitClientKeyExchange
	stateServer12WaitCertificateVerify
	stateServer12WaitCCS
	stateServer12WaitFinished

	stateConnected
)

// Options are the per-context settings that come from the SSPI call rather
// than from the tls.Config.
type Options struct {
	// ServerName is the target name passed to InitializeSecurityContext; when
	// empty, tls.Config.ServerName is used.
	ServerName string
	// ManualCredValidation leaves the server's chain to the caller
	// (ISC_REQ_MANUAL_CRED_VALIDATION); signatures are still checked.
	ManualCredValidation bool
	// NextProtos, when non-nil, replaces tls.Config.NextProtos (from a
	// SECBUFFER_APPLICATION_PROTOCOLS input buffer).
	NextProtos []string
	// RequestClientCert makes a server ask for a certificate even when
	// tls.Config.ClientAuth does not (ASC_REQ_MUTUAL_AUTH).
	RequestClientCert bool
	// TicketKeys seal a server's session tickets; nil issues none.
	TicketKeys *session.TicketKeys
	// TicketKeysFor, when set, gives the ticket keys of a configuration that
	// GetConfigForClient returned, which replace TicketKeys.
	TicketKeysFor func(*tls.Config) (*session.TicketKeys, *sspi.Error)
	// KeyUpdateRecords, when non-zero, replaces the record count after which
	// KeyUpdateDue reports true (half the AEAD's RFC 8446 5.5 limit).
	KeyUpdateRecords uint64
}

// Info is what the handshake negotiated.
type Info struct {
	Version         uint16
	CipherSuite     uint16
	Group           uint16
	SignatureScheme uint16 // the scheme the peer signed its CertificateVerify with
	ServerName      string
	ALPN            string
	DidResume       bool
	// HelloRetryRequest is true when the server sent, or the client
	// received, a HelloRetryRequest.
	HelloRetryRequest bool
	PeerCertificates  []*x509.Certificate
	VerifiedChains    [][]*x509.Certificate
}

// Result is the outcome of one Handshake call.
type Result struct {
	Status   sspi.Status
	Consumed int    // bytes of the input that were processed; the rest is SECBUFFER_EXTRA
	Missing  int    // with SEC_E_INCOMPLETE_MESSAGE: bytes still needed
	Output   []byte // records to send, possibly empty
	Alert    []byte // on failure, the alert record to send (nil for a peer's alert)
	Err      *sspi.Error
}

// Context is one TLS connection's security context.
type Context struct {
	isServer bool
	set      *settings
	opts     Options

	state   state
	vers    uint16      // negotiated version; 0 until the hellos are exchanged
	failure *sspi.Error // sticky: once set, every call fails with it

	// Read side (Decrypt, and Handshake while the handshake runs).
	readProt       *keys.RecordProtection
	readSecret     []byte
	readClosed     bool
	uselessRecords int
	// pendingPost is the plaintext of a post-handshake message that Decrypt
	// handed back as EXTRA (SEC_I_RENEGOTIATE) and Handshake must absorb.
	pendingPost []byte

	// Write side (Encrypt, and Handshake output).
	writeProt   *keys.RecordProtection
	writeSecret []byte
	// writeClosed is set once close_notify or a fatal alert was sent; a
	// failure found while reading sets it too, hence atomic.
	writeClosed atomic.Bool
	// updateOwed is set when the peer asked for a KeyUpdate: the answer is
	// the writer's to send, before its next record (RFC 8446 4.6.3), so that
	// absorbing a message never touches the write side.
	updateOwed atomic.Bool
	// refusalOwed is set when a TLS 1.2 peer asked to renegotiate: the
	// no_renegotiation warning is owed the same way.
	refusalOwed atomic.Bool

	hsBuf   []byte // handshake bytes received but not yet a whole message
	scratch []byte // copy of a handshake record, so the caller's input survives decryption
	out     []byte // records produced by the current Handshake call
	yield   bool   // the current call produced a flight and now waits for the peer

	// Requests from ApplyControlToken, acted on by the next Handshake call.
	shutdownRequested bool
	alertRequested    bool
	requestedAlert    [2]byte

	useSuppliedCreds bool
	pausedInput      []byte // what was consumed when SEC_I_INCOMPLETE_CREDENTIALS was returned

	// Resumption after the handshake: the TLS 1.3 resumption master secret
	// and what a client stores with each NewSessionTicket.
	resumptionSecret []byte
	ticketState      session.State

	// exporter keeps what ExportKeyingMaterial and the channel bindings
	// need after the handshake state is dropped.
	exporter exporterState

	// helloConn is the connection ClientHelloInfo.Conn reports (SetHelloConn).
	helloConn netConn

	hs    *handshakeState // per-handshake state, dropped once connected
	suite *keys.Suite     // negotiated suite: fixed once the ServerHello is processed
	info  Info
}

// NewClient starts a client context. It fails only for a tls.Config the
// engine cannot honour.
func NewClient(cfg *tls.Config, opts Options) (*Context, *sspi.Error) {
	set, err := newSettings(cfg)
	if err != nil {
		return nil, err
	}
	if err := checkALPN(opts.NextProtos, "the application protocol list"); err != nil {
		return nil, err
	}
	c := &Context{set: set, opts: opts, state: stateClientStart}
	c.info.ServerName = opts.ServerName
	if c.info.ServerName == "" {
		c.info.ServerName = set.cfg.ServerName
	}
	if c.info.ServerName == "" && !set.cfg.InsecureSkipVerify && !opts.ManualCredValidation {
		return nil, sspi.Errorf(sspi.SEC_E_TARGET_UNKNOWN, "schannel: a server name (target name or tls.Config.ServerName) is needed to verify the server; set InsecureSkipVerify or ISC_REQ_MANUAL_CRED_VALIDATION to skip the check")
	}
	return c, nil
}

// NewServer starts a server context.
func NewServer(cfg *tls.Config, opts Options) (*Context, *sspi.Error) {
	set, err := newSettings(cfg)
	if err != nil {
		return nil, err
	}
	if len(set.cfg.Certificates) == 0 && set.cfg.GetCertificate == nil {
		return nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "schannel: a server needs tls.Config.Certificates or GetCertificate")
	}
	if err := checkALPN(opts.NextProtos, "the application protocol list"); err != nil {
		return nil, err
	}
	return &Context{isServer: true, set: set, opts: opts, state: stateServerWaitClientHello}, nil
}

// nextProtos is the ALPN list in force.
func (c *Context) nextProtos() []string {
	if c.opts.NextProtos != nil {
		return c.opts.NextProtos
	}
	return c.set.cfg.NextProtos
}

// clientAuth is the server's client-certificate policy in force.
func (c *Context) clientAuth() tls.ClientAuthType {
	if c.opts.RequestClientCert && c.set.cfg.ClientAuth < tls.RequestClientCert {
		return tls.RequestClientCert
	}
	return c.set.cfg.ClientAuth
}

// IsServer reports the context's role.
func (c *Context) IsServer() bool { return c.isServer }

// Established reports whether the handshake has completed.
func (c *Context) Established() bool { return c.state == stateConnected }

// Info returns what was negotiated; meaningful once Established.
func (c *Context) Info() Info { return c.info }

// UseSuppliedCredentials makes a client that was told
// SEC_I_INCOMPLETE_CREDENTIALS continue without a certificate
// (ISC_REQ_USE_SUPPLIED_CREDS).
func (c *Context) UseSuppliedCredentials() { c.useSuppliedCreds = true }

// RequestShutdown makes the next Handshake call produce close_notify
// (ApplyControlToken with SCHANNEL_SHUTDOWN).
func (c *Context) RequestShutdown() { c.shutdownRequested = true }

// RequestAlert makes the next Handshake call produce the given alert
// (ApplyControlToken with SCHANNEL_ALERT).
func (c *Context) RequestAlert(level, description uint8) {
	c.alertRequested = true
	c.requestedAlert = [2]byte{level, description}
}

// Handshake runs InitializeSecurityContext / AcceptSecurityContext on in.
func (c *Context) Handshake(in []byte) Result {
	if c.failure != nil {
		return Result{Status: c.failure.Status, Err: c.failure}
	}
	c.out = nil
	c.yield = false
	if c.shutdownRequested || c.alertRequested {
		return c.sendRequestedAlert()
	}
	switch c.state {
	case stateConnected:
		return c.postHandshake(in)
	case stateClientStart:
		if err := c.sendClientHello(); err != nil {
			return c.abort(err)
		}
		c.state = stateClientWaitServerHello
		return Result{Status: sspi.SEC_I_CONTINUE_NEEDED, Output: c.out}
	case stateClientWaitCredentials:
		return c.resumeAfterCredentials(in)
	}
	return c.consumeRecords(in, 0)
}

// consumeRecords feeds whole records from in[start:] to the handshake until a
// flight is produced, the handshake completes, or the input runs out.
func (c *Context) consumeRecords(in []byte, start int) Result {
	consumed := start
	for !c.yield && c.state != stateConnected && c.state != stateClientWaitCredentials {
		recordLen, missing, err := c.frameRecord(in[consumed:])
		if err != nil {
			return c.abort(err)
		}
		if missing > 0 {
			if consumed == 0 {
				// Nothing was used: the caller reads more and calls again with the same bytes.
				return Result{Status: sspi.SEC_E_INCOMPLETE_MESSAGE, Missing: missing}
			}
			break
		}
		if err := c.handshakeRecord(in[consumed : consumed+recordLen]); err != nil {
			return c.abort(err)
		}
		consumed += recordLen
	}
	res := Result{Status: sspi.SEC_I_CONTINUE_NEEDED, Consumed: consumed, Output: c.out}
	switch c.state {
	case stateConnected:
		res.Status = sspi.SEC_E_OK
	case stateClientWaitCredentials:
		// The caller may call again with the same bytes (as curl does) or with
		// only what was left over; remember what was used to tell the two apart.
		c.pausedInput = bytes.Clone(in[:consumed])
		res.Status = sspi.SEC_I_INCOMPLETE_CREDENTIALS
		res.Output = nil
	}
	return res
}

// resumeAfterCredentials continues a client that returned
// SEC_I_INCOMPLETE_CREDENTIALS, skipping input it had already consumed.
func (c *Context) resumeAfterCredentials(in []byte) Result {
	start := 0
	if len(c.pausedInput) > 0 && bytes.HasPrefix(in, c.pausedInput) {
		start = len(c.pausedInput)
	}
	if err := c.sendClientSecondFlight(); err != nil {
		if err.Status == sspi.SEC_I_INCOMPLETE_CREDENTIALS {
			return Result{Status: sspi.SEC_I_INCOMPLETE_CREDENTIALS, Consumed: 0}
		}
		return c.abort(err)
	}
	c.pausedInput = nil
	if c.state != stateConnected {
		// TLS 1.2: the server's ChangeCipherSpec and Finished are still to come.
		return c.consumeRecords(in, start)
	}
	return Result{Status: sspi.SEC_E_OK, Consumed: start, Output: c.out}
}

// frameRecord checks the header at the start of b and returns the record's
// length, or how many more bytes are needed. Garbage that cannot be a TLS
// record is SEC_E_INVALID_TOKEN, as Schannel reports for non-TLS input.
func (c *Context) frameRecord(b []byte) (recordLen, missing int, err *sspi.Error) {
	if len(b) > 0 && (b[0] < byte(wire.ContentChangeCipherSpec) || b[0] > byte(wire.ContentApplicationData)) {
		return 0, 0, failWith(sspi.SEC_E_INVALID_TOKEN, wire.AlertUnexpectedMessage, errNotTLS(b[0]))
	}
	if len(b) > 1 && b[1] != 3 {
		return 0, 0, failWith(sspi.SEC_E_INVALID_TOKEN, wire.AlertProtocolVersion, errBadRecordVersion)
	}
	typ, vers, length, ok := wire.ParseRecordHeader(b)
	if !ok {
		return 0, wire.RecordHeaderLen - len(b), nil
	}
	// Once the version is settled every record carries 0x0303: the
	// negotiated version in TLS 1.2 (RFC 5246 section 6.2.1), and in TLS 1.3
	// the legacy_record_version RFC 8446 section 5.1 has it send, which
	// BoringSSL and crypto/tls require as well.
	if c.recordVersionSettled() && vers != wire.VersionTLS12 {
		return 0, 0, failWith(sspi.SEC_E_ILLEGAL_MESSAGE, wire.AlertProtocolVersion,
			fmt.Errorf("tls: record version %#04x, expected %#04x", vers, wire.VersionTLS12))
	}
	limit := wire.MaxPlaintext
	switch {
	case c.readProt != nil && c.vers == wire.VersionTLS12:
		limit = wire.MaxCiphertext12
	case c.readProt != nil && typ == wire.ContentApplicationData:
		limit = wire.MaxCiphertext13
	}
	if length > limit {
		return 0, 0, fail(wire.AlertRecordOverflow, "record of %d bytes exceeds the %d-byte limit", length, limit)
	}
	if length == 0 && typ != wire.ContentApplicationData {
		return 0, 0, fail(wire.AlertUnexpectedMessage, "empty %s record", typ)
	}
	if len(b) < wire.RecordHeaderLen+length {
		return 0, wire.RecordHeaderLen + length - len(b), nil
	}
	return wire.RecordHeaderLen + length, 0, nil
}

// recordVersionSettled reports whether the peer's records must carry
// 0x0303: once a version was chosen, or a HelloRetryRequest received.
func (c *Context) recordVersionSettled() bool {
	return c.vers != 0 || c.hs != nil && c.hs.helloRetried
}

// plaintextRecordVersion is the version our plaintext records carry: 0x0301
// for a client's first ClientHello (and anything before the ServerHello), as
// browsers send it because some servers and middleboxes refuse 0x0303 there
// (RFC 8446 section 5.1 and Appendix D), 0x0303 from then on.
func (c *Context) plaintextRecordVersion() uint16 {
	if !c.isServer && !c.recordVersionSettled() {
		return wire.VersionTLS10
	}
	return wire.VersionTLS12
}

// protectedRecord reports whether a record of outer type typ is encrypted:
// every record once TLS 1.2 keys are on, only application_data in TLS 1.3.
func (c *Context) protectedRecord(typ wire.ContentType) bool {
	return c.readProt != nil && (c.vers == wire.VersionTLS12 || typ == wire.ContentApplicationData)
}

// handshakeRecord processes one whole record received during the handshake.
func (c *Context) handshakeRecord(rec []byte) *sspi.Error {
	typ := wire.ContentType(rec[0])
	body := rec[wire.RecordHeaderLen:]
	protected := c.protectedRecord(typ)
	switch {
	case protected:
		c.scratch = append(c.scratch[:0], rec...)
		inner, plaintext, err := c.readProt.Open(c.scratch)
		if err != nil {
			return asFailure(err)
		}
		typ, body = wire.ContentType(inner), plaintext
	case typ == wire.ContentApplicationData:
		return fail(wire.AlertUnexpectedMessage, "application data before the handshake keys")
	case typ == wire.ContentHandshake && c.readProt != nil:
		return fail(wire.AlertUnexpectedMessage, "plaintext handshake record after the keys changed")
	}
	if typ != wire.ContentHandshake && len(c.hsBuf) > 0 && c.vers != wire.VersionTLS12 {
		// RFC 8446 section 5.1: handshake messages must not be interleaved
		// with other record types (TLS 1.2 allows it, RFC 5246 section 6.2.1).
		return fail(wire.AlertUnexpectedMessage, "%s record between the fragments of a handshake message", typ)
	}
	switch typ {
	case wire.ContentHandshake:
		if len(body) == 0 {
			// An empty protected handshake record (plaintext ones are
			// refused when framed) carries nothing: it counts towards the cap.
			return c.countUselessRecord()
		}
		return c.handshakeBytes(body)
	case wire.ContentAlert:
		return c.receivedAlertDuringHandshake(body)
	case wire.ContentChangeCipherSpec:
		if len(body) != 1 || body[0] != 1 || protected {
			return fail(wire.AlertUnexpectedMessage, "malformed or protected change_cipher_spec")
		}
		if c.vers == wire.VersionTLS12 {
			return c.changeCipherSpec12()
		}
		// RFC 8446 D.4: in TLS 1.3 a single 0x01 is sent for middlebox
		// compatibility and ignored, but only once a ClientHello was seen.
		if c.isServer && c.hs == nil {
			return fail(wire.AlertUnexpectedMessage, "change_cipher_spec before the ClientHello")
		}
		return c.countUselessRecord()
	default:
		return fail(wire.AlertUnexpectedMessage, "application data during the handshake")
	}
}

func (c *Context) countUselessRecord() *sspi.Error {
	c.uselessRecords++
	if c.uselessRecords > maxUselessRecords {
		return fail(wire.AlertUnexpectedMessage, "too many records without content")
	}
	return nil
}

func (c *Context) receivedAlertDuringHandshake(body []byte) *sspi.Error {
	if len(body) != 2 {
		return fail(wire.AlertDecodeError, "malformed alert")
	}
	// Every alert before the handshake completes ends it (RFC 8446 6), even a
	// warning-level close_notify or user_canceled.
	return remoteAlert(wire.Alert(body[1]))
}

// handshakeBytes appends handshake-record payload and processes every whole
// message in it.
func (c *Context) handshakeBytes(b []byte) *sspi.Error {
	c.hsBuf = append(c.hsBuf, b...)
	for len(c.hsBuf) >= wire.HandshakeHeaderLen {
		typ, bodyLen, _ := wire.ParseHandshakeHeader(c.hsBuf)
		limit := wire.MaxHandshakeMessage
		if typ == wire.TypeCertificate {
			limit = wire.MaxCertificateMessage
		}
		if bodyLen > limit {
			return fail(wire.AlertDecodeError, "%s message of %d bytes exceeds the %d-byte limit", typ, bodyLen, limit)
		}
		msgLen := wire.HandshakeHeaderLen + bodyLen
		if len(c.hsBuf) < msgLen {
			return nil
		}
		if c.yield {
			return fail(wire.AlertUnexpectedMessage, "%s after the flight was complete", typ)
		}
		if typ == wire.TypeFinished && len(c.hsBuf) > msgLen && c.state != stateConnected {
			// Checked before, not after: the Finished may complete the
			// handshake, after which a failure could no longer send its
			// alert (RFC 8446 5.1: nothing follows a key change).
			return fail(wire.AlertUnexpectedMessage, "handshake data after Finished")
		}
		keysBefore, handshaking := c.readProt, c.state != stateConnected
		if err := c.handshakeMessage(typ, c.hsBuf[:msgLen]); err != nil {
			return err
		}
		c.hsBuf = c.hsBuf[:copy(c.hsBuf, c.hsBuf[msgLen:])]
		if handshaking && typ != wire.TypeHelloRequest {
			// A message that moved the handshake on; an ignored
			// HelloRequest counted as a record without content.
			c.uselessRecords = 0
		}
		// RFC 8446 5.1: handshake messages must not span a key change, nor
		// follow, in its record, a message after which the peer must wait for
		// us (the HelloRetryRequest, a first ClientHello answered with one, a
		// TLS 1.2 ServerHelloDone), the last one before a TLS 1.2
		// ChangeCipherSpec (ClientKeyExchange or CertificateVerify,
		// NewSessionTicket), or the one that ends the handshake (a TLS 1.2
		// Finished).
		boundary := c.readProt != keysBefore || c.yield || c.state == stateClientWaitCredentials ||
			c.state == stateServer12WaitCCS || c.state == stateClient12WaitCCS ||
			handshaking && c.state == stateConnected
		if boundary && len(c.hsBuf) > 0 {
			return fail(wire.AlertUnexpectedMessage, "handshake data follows %s in its record", typ)
		}
	}
	if len(c.hsBuf) == 0 && c.state == stateConnected {
		c.hsBuf = nil // an idle connection keeps no handshake buffer
	}
	return nil
}

// handshakeMessage dispatches one whole message to the role's state machine.
func (c *Context) handshakeMessage(typ wire.HandshakeType, msg []byte) *sspi.Error {
	if c.state == stateConnected {
		// Post-handshake messages carry no application data: a peer could
		// keep us busy with them forever (RFC 8446 section 4.6), so they
		// count towards the same cap as empty records.
		if err := c.countUselessRecord(); err != nil {
			return err
		}
		return c.postHandshakeMessage(typ, msg)
	}
	if c.isServer {
		return c.serverMessage(typ, msg)
	}
	return c.clientMessage(typ, msg)
}

// abort records a local or remote failure and builds the alert to send.
func (c *Context) abort(err *sspi.Error) Result {
	c.failure = err
	res := Result{Status: err.Status, Err: err}
	// After the handshake the write side belongs to the writer, who may be
	// sealing right now: no alert is built then, as DecryptMessage builds none.
	if !err.Remote && err.Alert >= 0 && !c.writeClosed.Load() && c.state != stateConnected {
		if hs := c.hs; hs != nil && !c.isServer && c.vers == wire.VersionTLS13 && c.writeProt != nil &&
			!hs.sentCCS && len(hs.hello.SessionID) > 0 {
			// RFC 8446 Appendix D.4: in middlebox compatibility mode the
			// client's ChangeCipherSpec precedes its first encrypted
			// record, even when that record is an alert.
			res.Alert = wire.AppendRecordHeader(res.Alert, wire.ContentChangeCipherSpec, wire.VersionTLS12, 1)
			res.Alert = append(res.Alert, 1)
		}
		res.Alert = append(res.Alert, c.sealAlert(wire.AlertLevelFatal, uint8(err.Alert))...)
	}
	if c.state != stateConnected {
		c.writeClosed.Store(true)
	}
	// Once connected the write side stays the writer's, as after a Decrypt
	// failure: it may still seal the fatal alert (EncryptMessage with
	// SECQOP_WRAP_OOB_DATA), which closes it.
	c.hs = nil
	return res
}

// sealAlert builds an alert record with the current write keys (plaintext
// before there are any).
func (c *Context) sealAlert(level, description uint8) []byte {
	rec, err := c.appendRecord(nil, wire.ContentAlert, []byte{level, description})
	if err != nil {
		return nil
	}
	return rec
}

// sendRequestedAlert answers the Handshake call that follows
// ApplyControlToken.
func (c *Context) sendRequestedAlert() Result {
	alert := c.requestedAlert
	if c.shutdownRequested {
		alert = [2]byte{wire.AlertLevelWarning, byte(wire.AlertCloseNotify)}
	}
	c.shutdownRequested, c.alertRequested = false, false
	if c.writeClosed.Load() {
		return Result{Status: sspi.SEC_I_CONTEXT_EXPIRED}
	}
	rec, err := c.appendRecord(nil, wire.ContentAlert, alert[:])
	if err != nil {
		return c.abort(asFailure(err))
	}
	if alert[0] == wire.AlertLevelFatal || wire.Alert(alert[1]) == wire.AlertCloseNotify {
		c.writeClosed.Store(true)
	}
	if alert[0] == wire.AlertLevelFatal {
		c.failure = sspi.Errorf(sspi.SEC_E_CONTEXT_EXPIRED, "schannel: the context was closed with alert %s", wire.Alert(alert[1]))
	}
	return Result{Status: sspi.SEC_E_OK, Output: rec}
}

// appendRecord appends payload as one or more records of type typ, protected
// when write keys are installed.
func (c *Context) appendRecord(dst []byte, typ wire.ContentType, payload []byte) ([]byte, error) {
	for first := true; first || len(payload) > 0; first = false {
		n := min(len(payload), wire.MaxPlaintext)
		if c.writeProt == nil {
			dst = wire.AppendRecordHeader(dst, typ, c.plaintextRecordVersion(), n)
			dst = append(dst, payload[:n]...)
		} else {
			header, trailer := c.writeProt.Overhead()
			start := len(dst)
			dst = append(dst, make([]byte, header)...)
			dst = append(dst, payload[:n]...)
			dst = append(dst, make([]byte, trailer)...)
			sealed, err := c.writeProt.Seal(dst[start:], uint8(typ), n)
			if err != nil {
				return nil, err
			}
			dst = dst[:start+sealed]
		}
		payload = payload[n:]
	}
	return dst, nil
}

// writeHandshake appends a handshake message to the output of this call.
func (c *Context) writeHandshake(msg []byte) *sspi.Error {
	out, err := c.appendRecord(c.out, wire.ContentHandshake, msg)
	if err != nil {
		return asFailure(err)
	}
	c.out = out
	return nil
}

// writeCompatibilityCCS sends a ChangeCipherSpec record: the TLS 1.2 one, or
// TLS 1.3's middlebox-compatibility one (RFC 8446 D.4). This engine never
// renegotiates, so it is always sent before any write keys exist.
func (c *Context) writeCompatibilityCCS() {
	c.out = wire.AppendRecordHeader(c.out, wire.ContentChangeCipherSpec, wire.VersionTLS12, 1)
	c.out = append(c.out, 1)
}
