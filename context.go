package schannel

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"

	"github.com/gosspi/schannel/internal/engine"
	"github.com/gosspi/schannel/internal/sspi"
	"github.com/gosspi/schannel/internal/wire"
)

// Context is a security context handle (CtxtHandle) for one TLS connection,
// driven by the SSPI calls below exactly as a Schannel program drives
// secur32.dll. It does no I/O: bytes in, status and bytes out.
//
// One goroutine may call EncryptMessage while another calls DecryptMessage;
// every other call must be serialised by the caller, as on Windows.
type Context struct {
	eng     *engine.Context
	attrs   uint32
	deleted bool
	// sealScratch is EncryptMessage's own buffer for callers whose header,
	// data and trailer are not one contiguous slice.
	sealScratch []byte
}

// Attributes of the context always returned, whatever was requested: what
// Windows reports for Schannel stream contexts.
const (
	iscAlwaysReturned = ISC_RET_REPLAY_DETECT | ISC_RET_SEQUENCE_DETECT | ISC_RET_CONFIDENTIALITY | ISC_RET_STREAM
	iscEchoed         = ISC_REQ_USE_SUPPLIED_CREDS | ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_CONNECTION |
		ISC_REQ_EXTENDED_ERROR | ISC_REQ_INTEGRITY | ISC_REQ_MANUAL_CRED_VALIDATION
	ascAlwaysReturned = ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT | ASC_RET_CONFIDENTIALITY | ASC_RET_STREAM
	ascEchoed         = ASC_REQ_MUTUAL_AUTH | ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_CONNECTION | ASC_REQ_EXTENDED_ERROR
)

// InitializeSecurityContext maps InitializeSecurityContext (the client side
// of the handshake). Pass ctx nil on the first call and the returned context
// on every later one.
//
// input is nil on the first call (or holds only a
// SECBUFFER_APPLICATION_PROTOCOLS buffer), then [TOKEN = bytes received,
// EMPTY]. output is [TOKEN] or [TOKEN, ALERT]. The status says what to do:
//   - SEC_I_CONTINUE_NEEDED: send output[0], read more, call again.
//   - SEC_E_INCOMPLETE_MESSAGE: input[1] is SECBUFFER_MISSING with the count
//     still needed; read at least that and call again with all the bytes.
//   - SEC_E_OK: the handshake is done; send output[0] if it is not empty.
//   - SEC_I_INCOMPLETE_CREDENTIALS: the server asked for a certificate none
//     of ours fits; call again with ISC_REQ_USE_SUPPLIED_CREDS to go on
//     without one.
//
// When input[1] comes back as SECBUFFER_EXTRA, its bytes were not used: after
// SEC_E_OK they are application data for DecryptMessage, otherwise feed them
// to the next call. A failure status comes with an error saying why and, if
// output holds a SECBUFFER_ALERT buffer, the alert record to send.
func InitializeSecurityContext(cred *Credentials, ctx *Context, targetName string, contextReq uint32, input, output []SecBuffer) (*Context, Status, error) {
	if err := cred.usable(SECPKG_CRED_OUTBOUND); err != nil {
		return ctx, statusOf(err), err
	}
	if ctx == nil {
		protos, err := applicationProtocols(input)
		if err != nil {
			return nil, statusOf(err), err
		}
		eng, serr := engine.NewClient(cred.config, engine.Options{
			ServerName:           targetName,
			ManualCredValidation: contextReq&ISC_REQ_MANUAL_CRED_VALIDATION != 0,
			NextProtos:           protos,
		})
		if serr != nil {
			return nil, serr.Status, serr
		}
		ctx = &Context{eng: eng}
	} else if err := ctx.valid(); err != nil {
		return ctx, statusOf(err), err
	}
	if contextReq&ISC_REQ_USE_SUPPLIED_CREDS != 0 {
		ctx.eng.UseSuppliedCredentials()
	}
	ctx.attrs = iscAlwaysReturned | contextReq&iscEchoed
	status, err := ctx.handshake(input, output, contextReq&ISC_REQ_ALLOCATE_MEMORY != 0)
	return ctx, status, err
}

// AcceptSecurityContext maps AcceptSecurityContext (the server side of the
// handshake). Pass ctx nil on the first call. input is [TOKEN = bytes
// received, EMPTY] (a SECBUFFER_APPLICATION_PROTOCOLS buffer may follow on the
// first call); output is [TOKEN] or [TOKEN, ALERT]. Statuses and buffers
// behave as for InitializeSecurityContext. ASC_REQ_MUTUAL_AUTH asks the
// client for a certificate even when tls.Config.ClientAuth does not.
func AcceptSecurityContext(cred *Credentials, ctx *Context, input []SecBuffer, contextReq uint32, output []SecBuffer) (*Context, Status, error) {
	if err := cred.usable(SECPKG_CRED_INBOUND); err != nil {
		return ctx, statusOf(err), err
	}
	if ctx == nil {
		protos, err := applicationProtocols(input)
		if err != nil {
			return nil, statusOf(err), err
		}
		ticketKeys, err := ticketKeysFor(cred.config)
		if err != nil {
			return nil, statusOf(err), err
		}
		eng, serr := engine.NewServer(cred.config, engine.Options{
			NextProtos:        protos,
			RequestClientCert: contextReq&ASC_REQ_MUTUAL_AUTH != 0,
			TicketKeys:        ticketKeys,
		})
		if serr != nil {
			return nil, serr.Status, serr
		}
		ctx = &Context{eng: eng}
	} else if err := ctx.valid(); err != nil {
		return ctx, statusOf(err), err
	}
	ctx.attrs = ascAlwaysReturned | contextReq&ascEchoed
	status, err := ctx.handshake(input, output, contextReq&ASC_REQ_ALLOCATE_MEMORY != 0)
	return ctx, status, err
}

// Attributes returns the ISC_RET_* or ASC_RET_* flags of the last handshake
// call (pfContextAttr).
func (c *Context) Attributes() uint32 { return c.attrs }

// handshake runs one handshake call and lays its result out in the buffers
// the way Schannel does.
func (c *Context) handshake(input, output []SecBuffer, allocate bool) (Status, error) {
	tokenIndex := indexOfKind(input, SECBUFFER_TOKEN)
	var token []byte
	if tokenIndex >= 0 {
		token = input[tokenIndex].Buffer
	}
	res := c.eng.Handshake(token)
	if res.Status == SEC_E_INCOMPLETE_MESSAGE {
		if len(input) > 1 {
			input[1] = SecBuffer{BufferType: SECBUFFER_MISSING, Size: res.Missing}
		}
		return res.Status, sspi.Errorf(SEC_E_INCOMPLETE_MESSAGE, "schannel: %d more bytes needed", res.Missing)
	}
	if res.Err != nil {
		if i := indexOfKind(output, SECBUFFER_ALERT); i >= 0 && res.Alert != nil {
			placeOutput(&output[i], SECBUFFER_ALERT, res.Alert, allocate)
		}
		if i := indexOfKind(output, SECBUFFER_TOKEN); i >= 0 {
			placeOutput(&output[i], SECBUFFER_TOKEN, nil, allocate)
		}
		return res.Status, res.Err
	}
	if i := indexOfKind(output, SECBUFFER_TOKEN); i >= 0 {
		if err := placeOutput(&output[i], SECBUFFER_TOKEN, res.Output, allocate); err != nil {
			return statusOf(err), err
		}
	} else if len(res.Output) > 0 {
		err := sspi.Errorf(SEC_E_INVALID_TOKEN, "schannel: there is a token to send but no SECBUFFER_TOKEN output buffer")
		return err.Status, err
	}
	if extra := len(token) - res.Consumed; extra > 0 && len(input) > 1 {
		input[1].set(SECBUFFER_EXTRA, token[res.Consumed:])
	}
	return res.Status, nil
}

// placeOutput puts an output token in a buffer: the package's own memory
// with ISC_REQ_ALLOCATE_MEMORY, else the caller's buffer if it is big enough.
func placeOutput(b *SecBuffer, t BufferType, data []byte, allocate bool) error {
	if allocate {
		b.set(t, data)
		return nil
	}
	if len(data) > len(b.Buffer) {
		status := SEC_E_BUFFER_TOO_SMALL
		if len(b.Buffer) == 0 {
			status = SEC_E_INSUFFICIENT_MEMORY
		}
		return sspi.Errorf(status, "schannel: the %d-byte output buffer cannot hold the %d-byte token (use ISC_REQ_ALLOCATE_MEMORY)", len(b.Buffer), len(data))
	}
	b.set(t, b.Buffer[:copy(b.Buffer, data)])
	return nil
}

// EncryptMessage maps EncryptMessage: buffers are [STREAM_HEADER (at least
// cbHeader bytes), DATA (at most cbMaximumMessage bytes), STREAM_TRAILER (at
// least cbTrailer bytes), EMPTY]. The record is built in place; the bytes to
// send are the header, data and trailer as returned (their Size fields added
// up). When the three are consecutive parts of one slice nothing is copied.
// qop is 0, or SECQOP_WRAP_OOB_DATA to send the 2-byte DATA buffer as an alert.
func (c *Context) EncryptMessage(qop uint32, buffers []SecBuffer) (Status, error) {
	if err := c.valid(); err != nil {
		return statusOf(err), err
	}
	contentType := wire.ContentApplicationData
	switch qop {
	case 0:
	case SECQOP_WRAP_OOB_DATA:
		contentType = wire.ContentAlert
	default:
		err := sspi.Errorf(SEC_E_QOP_NOT_SUPPORTED, "schannel: quality of protection %#x is not supported", qop)
		return err.Status, err
	}
	hi, di, ti := indexOfWritable(buffers, SECBUFFER_STREAM_HEADER), indexOfWritable(buffers, SECBUFFER_DATA), indexOfWritable(buffers, SECBUFFER_STREAM_TRAILER)
	if hi < 0 || di < 0 || ti < 0 {
		err := sspi.Errorf(SEC_E_INVALID_TOKEN, "schannel: EncryptMessage needs STREAM_HEADER, DATA and STREAM_TRAILER buffers")
		return err.Status, err
	}
	header, data, trailer := buffers[hi].Buffer, buffers[di].Buffer, buffers[ti].Buffer
	cbHeader, cbTrailer, _ := c.eng.StreamSizes()
	if len(header) < cbHeader || len(trailer) < cbTrailer {
		err := sspi.Errorf(SEC_E_BUFFER_TOO_SMALL, "schannel: STREAM_HEADER needs %d bytes and STREAM_TRAILER %d", cbHeader, cbTrailer)
		return err.Status, err
	}
	header, trailer = header[:cbHeader], trailer[:cbTrailer]
	record, contiguous := joinContiguous(header, data, trailer)
	if !contiguous {
		c.sealScratch = append(append(append(c.sealScratch[:0], header...), data...), trailer...)
		record = c.sealScratch
	}
	n, serr := c.eng.Encrypt(record, contentType, len(data))
	if serr != nil {
		return serr.Status, serr
	}
	if !contiguous {
		copy(header, record)
		copy(data, record[cbHeader:])
		copy(trailer, record[cbHeader+len(data):n])
	}
	buffers[hi].set(buffers[hi].BufferType, header)
	buffers[ti].set(buffers[ti].BufferType, trailer[:n-cbHeader-len(data)])
	return SEC_E_OK, nil
}

// joinContiguous returns header|data|trailer as one slice when they already
// are consecutive parts of one array.
func joinContiguous(header, data, trailer []byte) ([]byte, bool) {
	total := len(header) + len(data) + len(trailer)
	if cap(header) < total {
		return nil, false
	}
	joined := header[:total]
	if len(data) > 0 && &joined[len(header)] != &data[0] {
		return nil, false
	}
	if &joined[len(header)+len(data)] != &trailer[0] {
		return nil, false
	}
	return joined, true
}

// DecryptMessage maps DecryptMessage. buffers must be exactly
// [DATA = received bytes, EMPTY, EMPTY, EMPTY]. One record is decrypted in
// place; on SEC_E_OK the buffers become [STREAM_HEADER, DATA (the
// plaintext, possibly empty), STREAM_TRAILER, EXTRA or EMPTY], EXTRA holding
// every byte after the record: call again on those before reading more.
//
// SEC_E_INCOMPLETE_MESSAGE: buffers[0] is SECBUFFER_MISSING with the count
// still needed. SEC_I_CONTEXT_EXPIRED: the peer sent close_notify.
// SEC_I_RENEGOTIATE: a post-handshake message (TLS 1.3 NewSessionTicket or
// KeyUpdate) was received; the EXTRA buffer starts with it, rewritten as a
// plaintext handshake record: pass the EXTRA bytes as the TOKEN of an
// InitializeSecurityContext (client) or AcceptSecurityContext (server) call,
// then give what that call returns as EXTRA back to DecryptMessage.
func (c *Context) DecryptMessage(buffers []SecBuffer) (Status, error) {
	if err := c.valid(); err != nil {
		return statusOf(err), err
	}
	if len(buffers) != 4 || buffers[0].BufferType.Kind() != SECBUFFER_DATA ||
		buffers[1].BufferType.Kind() != SECBUFFER_EMPTY || buffers[2].BufferType.Kind() != SECBUFFER_EMPTY ||
		buffers[3].BufferType.Kind() != SECBUFFER_EMPTY {
		return decryptLayoutError.Status, decryptLayoutError
	}
	data := buffers[0].Buffer
	res := c.eng.Decrypt(data)
	switch res.Status {
	case SEC_E_OK, SEC_I_RENEGOTIATE, SEC_I_CONTEXT_EXPIRED:
	case SEC_E_INCOMPLETE_MESSAGE:
		buffers[0] = SecBuffer{BufferType: SECBUFFER_MISSING, Size: res.Missing}
		return res.Status, incompleteRecordError
	default:
		return res.Status, res.Err
	}
	dataEnd := res.HeaderLen + res.DataLen
	buffers[0].set(SECBUFFER_STREAM_HEADER, data[:res.HeaderLen])
	buffers[1].set(SECBUFFER_DATA, data[res.HeaderLen:dataEnd])
	buffers[2].set(SECBUFFER_STREAM_TRAILER, data[dataEnd:max(dataEnd, min(res.ExtraStart, res.RecordLen))])
	if res.ExtraStart < len(data) {
		buffers[3].set(SECBUFFER_EXTRA, data[res.ExtraStart:])
	} else {
		buffers[3].set(SECBUFFER_EMPTY, nil)
	}
	return res.Status, nil
}

// Preallocated so the per-record paths allocate nothing.
var (
	decryptLayoutError    = sspi.Errorf(SEC_E_INVALID_TOKEN, "schannel: DecryptMessage needs exactly [DATA, EMPTY, EMPTY, EMPTY]")
	incompleteRecordError = sspi.Errorf(SEC_E_INCOMPLETE_MESSAGE, "schannel: the record is incomplete; see the SECBUFFER_MISSING count")
)

// ApplyControlToken maps ApplyControlToken. buffers must be exactly one
// SECBUFFER_TOKEN holding a little-endian DWORD: SCHANNEL_SHUTDOWN, after
// which one more InitializeSecurityContext/AcceptSecurityContext call with
// no input returns the close_notify record to send; or an
// SCHANNEL_ALERT_TOKEN {SCHANNEL_ALERT, TLS1_ALERT_WARNING|TLS1_ALERT_FATAL,
// alert number}, which makes that call return the alert instead.
// SCHANNEL_RENEGOTIATE is refused: this package never renegotiates.
func (c *Context) ApplyControlToken(buffers []SecBuffer) (Status, error) {
	if err := c.valid(); err != nil {
		return statusOf(err), err
	}
	if len(buffers) != 1 || buffers[0].BufferType.Kind() != SECBUFFER_TOKEN {
		err := sspi.Errorf(SEC_E_INVALID_TOKEN, "schannel: ApplyControlToken needs exactly one SECBUFFER_TOKEN")
		return err.Status, err
	}
	token := buffers[0].Buffer
	if len(token) < 4 {
		err := sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: the control token is shorter than a DWORD")
		return err.Status, err
	}
	switch binary.LittleEndian.Uint32(token) {
	case SCHANNEL_SHUTDOWN:
		c.eng.RequestShutdown()
	case SCHANNEL_ALERT:
		if len(token) < 12 {
			err := sspi.Errorf(SEC_E_INVALID_TOKEN, "schannel: SCHANNEL_ALERT_TOKEN is 12 bytes")
			return err.Status, err
		}
		level, number := binary.LittleEndian.Uint32(token[4:]), binary.LittleEndian.Uint32(token[8:])
		if (level != TLS1_ALERT_WARNING && level != TLS1_ALERT_FATAL) || number > 255 {
			err := sspi.Errorf(SEC_E_INVALID_TOKEN, "schannel: alert type %d, number %d is not a TLS alert", level, number)
			return err.Status, err
		}
		c.eng.RequestAlert(uint8(level), uint8(number))
	default:
		err := sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: control token %d is not supported", binary.LittleEndian.Uint32(token))
		return err.Status, err
	}
	return SEC_E_OK, nil
}

// DeleteSecurityContext maps DeleteSecurityContext: the context's keys are
// dropped and every later call fails with SEC_E_INVALID_HANDLE.
func (c *Context) DeleteSecurityContext() error {
	if err := c.valid(); err != nil {
		return err
	}
	c.deleted = true
	c.eng = nil
	return nil
}

// KeyUpdate starts a TLS 1.3 key update (RFC 8446 4.6.3): the returned
// record carries a KeyUpdate under the old keys and must be sent before
// anything EncryptMessage produces afterwards. With requestPeerUpdate the
// peer is asked to update its keys too. There is no Windows equivalent.
func (c *Context) KeyUpdate(requestPeerUpdate bool) ([]byte, error) {
	if err := c.valid(); err != nil {
		return nil, err
	}
	res := c.eng.KeyUpdate(requestPeerUpdate)
	if res.Err != nil {
		return nil, res.Err
	}
	return res.Output, nil
}

// KeyUpdateDue reports whether the TLS 1.3 write keys have protected half of
// the records RFC 8446 5.5 allows under one key (2^23 records for AES-GCM),
// so the writer should call KeyUpdate before its next EncryptMessage. Conn
// does this by itself. It is safe to call alongside DecryptMessage.
func (c *Context) KeyUpdateDue() bool {
	return c.valid() == nil && c.eng.KeyUpdateDue()
}

func (c *Context) valid() error {
	if c == nil || c.deleted || c.eng == nil {
		return sspi.Errorf(SEC_E_INVALID_HANDLE, "schannel: invalid or deleted context")
	}
	return nil
}

func indexOfKind(buffers []SecBuffer, kind BufferType) int {
	for i := range buffers {
		if buffers[i].BufferType.Kind() == kind {
			return i
		}
	}
	return -1
}

// indexOfWritable is indexOfKind skipping READONLY buffers, which
// EncryptMessage leaves alone.
func indexOfWritable(buffers []SecBuffer, kind BufferType) int {
	for i := range buffers {
		if buffers[i].BufferType.Kind() == kind && !buffers[i].BufferType.ReadOnly() {
			return i
		}
	}
	return -1
}

// statusOf extracts the status of an error this package made.
func statusOf(err error) Status {
	if se, ok := err.(*sspi.Error); ok {
		return se.Status
	}
	return SEC_E_INTERNAL_ERROR
}

// connectionState builds the crypto/tls view of an established context.
func (c *Context) connectionState() tls.ConnectionState {
	if c.valid() != nil || !c.eng.Established() {
		return tls.ConnectionState{}
	}
	info := c.eng.Info()
	return tls.ConnectionState{
		Version:            info.Version,
		HandshakeComplete:  true,
		DidResume:          info.DidResume,
		CipherSuite:        info.CipherSuite,
		NegotiatedProtocol: info.ALPN,
		ServerName:         info.ServerName,
		PeerCertificates:   info.PeerCertificates,
		VerifiedChains:     info.VerifiedChains,
	}
}

// peerCertificates is the chain the peer sent, leaf first.
func (c *Context) peerCertificates() []*x509.Certificate {
	if c.valid() != nil {
		return nil
	}
	return c.eng.Info().PeerCertificates
}
