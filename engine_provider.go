package schannel

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"

	"github.com/gosspi/schannel/internal/tls/engine"
	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

// goProvider runs a context on this module's pure-Go engine and lays its
// results out in SecBuffers the way Windows Schannel does.
type goProvider struct {
	eng    *engine.Context
	server bool
	// keyingInfo is what SetContextAttributes(SECPKG_ATTR_KEYING_MATERIAL_INFO)
	// asked for; nil until then.
	keyingInfo *KeyingMaterialInfo
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

// newGoProvider starts an engine context for the first handshake call.
func newGoProvider(config *tls.Config, server bool, targetName string, contextReq uint32, input []SecBuffer) (*goProvider, error) {
	protos, err := applicationProtocols(input)
	if err != nil {
		return nil, err
	}
	var eng *engine.Context
	var serr *sspi.Error
	if server {
		ticketKeys, err := ticketKeysFor(config)
		if err != nil {
			return nil, err
		}
		eng, serr = engine.NewServer(config, engine.Options{
			NextProtos:        protos,
			RequestClientCert: contextReq&ASC_REQ_MUTUAL_AUTH != 0,
			TicketKeys:        ticketKeys,
			// As crypto/tls: a configuration from GetConfigForClient uses
			// its own ticket keys only when it sets them, else the outer
			// configuration's, so that a fresh Clone per handshake still
			// resumes.
			TicketKeysFor: func(cfg *tls.Config) (*session.TicketKeys, *sspi.Error) {
				if cfg.SessionTicketsDisabled {
					return nil, nil
				}
				if cfg.SessionTicketKey == [32]byte{} {
					return ticketKeys, nil
				}
				keys, err := ticketKeysFor(cfg)
				if err != nil {
					return nil, sspi.Errorf(statusOf(err), "%v", err)
				}
				return keys, nil
			},
		})
	} else {
		eng, serr = engine.NewClient(config, engine.Options{
			ServerName:           targetName,
			ManualCredValidation: contextReq&ISC_REQ_MANUAL_CRED_VALIDATION != 0,
			NextProtos:           protos,
		})
	}
	if serr != nil {
		return nil, serr
	}
	return &goProvider{eng: eng, server: server}, nil
}

func (p *goProvider) Handshake(input, output []SecBuffer, contextReq uint32) (Status, uint32, error) {
	attrs := uint32(iscAlwaysReturned | contextReq&iscEchoed)
	allocate := contextReq&ISC_REQ_ALLOCATE_MEMORY != 0
	if p.server {
		attrs = ascAlwaysReturned | contextReq&ascEchoed
		allocate = contextReq&ASC_REQ_ALLOCATE_MEMORY != 0
	} else if contextReq&ISC_REQ_USE_SUPPLIED_CREDS != 0 {
		p.eng.UseSuppliedCredentials()
	}
	status, err := p.runHandshake(input, output, allocate)
	return status, attrs, err
}

// runHandshake runs one engine handshake call and lays its result out in the
// buffers the way Schannel does.
func (p *goProvider) runHandshake(input, output []SecBuffer, allocate bool) (Status, error) {
	tokenIndex := indexOfKind(input, SECBUFFER_TOKEN)
	var token []byte
	if tokenIndex >= 0 {
		token = input[tokenIndex].Buffer
	}
	res := p.eng.Handshake(token)
	if res.Status == SEC_E_INCOMPLETE_MESSAGE {
		if len(input) > 1 {
			input[1] = SecBuffer{BufferType: SECBUFFER_MISSING, Size: res.Missing}
		}
		return res.Status, sspi.Errorf(SEC_E_INCOMPLETE_MESSAGE, "schannel: %d more bytes needed", res.Missing)
	}
	if res.Err != nil {
		if i := indexOfKind(output, SECBUFFER_ALERT); i >= 0 && res.Alert != nil {
			_ = sspi.PlaceOutput(&output[i], SECBUFFER_ALERT, res.Alert, allocate)
		}
		if i := indexOfKind(output, SECBUFFER_TOKEN); i >= 0 {
			_ = sspi.PlaceOutput(&output[i], SECBUFFER_TOKEN, nil, allocate)
		}
		return res.Status, res.Err
	}
	if i := indexOfKind(output, SECBUFFER_TOKEN); i >= 0 {
		if err := sspi.PlaceOutput(&output[i], SECBUFFER_TOKEN, res.Output, allocate); err != nil {
			return statusOf(err), err
		}
	} else if len(res.Output) > 0 {
		err := sspi.Errorf(SEC_E_INVALID_TOKEN, "schannel: there is a token to send but no SECBUFFER_TOKEN output buffer")
		return err.Status, err
	}
	if extra := len(token) - res.Consumed; extra > 0 && len(input) > 1 {
		input[1].Set(SECBUFFER_EXTRA, token[res.Consumed:])
	}
	return res.Status, nil
}

func (p *goProvider) EncryptMessage(qop uint32, buffers []SecBuffer) (Status, error) {
	if !p.eng.Established() {
		// Before the handshake there are no stream sizes to lay buffers out by.
		return notEstablishedError.Status, notEstablishedError
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
	cbHeader, cbTrailer, _ := p.eng.StreamSizes()
	if len(header) < cbHeader || len(trailer) < cbTrailer {
		err := sspi.Errorf(SEC_E_BUFFER_TOO_SMALL, "schannel: STREAM_HEADER needs %d bytes and STREAM_TRAILER %d", cbHeader, cbTrailer)
		return err.Status, err
	}
	header, trailer = header[:cbHeader], trailer[:cbTrailer]
	record, contiguous := joinContiguous(header, data, trailer)
	if !contiguous {
		p.sealScratch = append(append(append(p.sealScratch[:0], header...), data...), trailer...)
		record = p.sealScratch
	}
	n, serr := p.eng.Encrypt(record, contentType, len(data))
	if serr != nil {
		return serr.Status, serr
	}
	if !contiguous {
		copy(header, record)
		copy(data, record[cbHeader:])
		copy(trailer, record[cbHeader+len(data):n])
	}
	buffers[hi].Set(buffers[hi].BufferType, header)
	buffers[ti].Set(buffers[ti].BufferType, trailer[:n-cbHeader-len(data)])
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
	if len(trailer) > 0 && &joined[len(header)+len(data)] != &trailer[0] {
		return nil, false
	}
	return joined, true
}

// DecryptMessage is DecryptMessage; Schannel reports no quality of
// protection.
func (p *goProvider) DecryptMessage(buffers []SecBuffer) (uint32, Status, error) {
	status, err := p.decryptMessage(buffers)
	return 0, status, err
}

func (p *goProvider) decryptMessage(buffers []SecBuffer) (Status, error) {
	if len(buffers) != 4 || buffers[0].BufferType.Kind() != SECBUFFER_DATA ||
		buffers[1].BufferType.Kind() != SECBUFFER_EMPTY || buffers[2].BufferType.Kind() != SECBUFFER_EMPTY ||
		buffers[3].BufferType.Kind() != SECBUFFER_EMPTY {
		return decryptLayoutError.Status, decryptLayoutError
	}
	data := buffers[0].Buffer
	res := p.eng.Decrypt(data)
	switch res.Status {
	case SEC_E_OK, SEC_I_RENEGOTIATE, SEC_I_CONTEXT_EXPIRED:
	case SEC_E_INCOMPLETE_MESSAGE:
		buffers[0] = SecBuffer{BufferType: SECBUFFER_MISSING, Size: res.Missing}
		return res.Status, incompleteRecordError
	default:
		return res.Status, res.Err
	}
	dataEnd := res.HeaderLen + res.DataLen
	buffers[0].Set(SECBUFFER_STREAM_HEADER, data[:res.HeaderLen])
	buffers[1].Set(SECBUFFER_DATA, data[res.HeaderLen:dataEnd])
	buffers[2].Set(SECBUFFER_STREAM_TRAILER, data[dataEnd:max(dataEnd, min(res.ExtraStart, res.RecordLen))])
	if res.ExtraStart < len(data) {
		buffers[3].Set(SECBUFFER_EXTRA, data[res.ExtraStart:])
	} else {
		buffers[3].Set(SECBUFFER_EMPTY, nil)
	}
	return res.Status, nil
}

// Preallocated so the per-record paths allocate nothing.
var (
	decryptLayoutError    = sspi.Errorf(SEC_E_INVALID_TOKEN, "schannel: DecryptMessage needs exactly [DATA, EMPTY, EMPTY, EMPTY]")
	incompleteRecordError = sspi.Errorf(SEC_E_INCOMPLETE_MESSAGE, "schannel: the record is incomplete; see the SECBUFFER_MISSING count")
	notEstablishedError   = sspi.Errorf(SEC_E_INVALID_HANDLE, "schannel: EncryptMessage before the handshake completed")
)

func (p *goProvider) ApplyControlToken(buffers []SecBuffer) (Status, error) {
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
		p.eng.RequestShutdown()
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
		p.eng.RequestAlert(uint8(level), uint8(number))
	default:
		err := sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: control token %d is not supported", binary.LittleEndian.Uint32(token))
		return err.Status, err
	}
	return SEC_E_OK, nil
}

func (p *goProvider) Established() bool { return p.eng.Established() }

func (p *goProvider) streamSizes() (StreamSizes, error) {
	header, trailer, maxMessage := p.eng.StreamSizes()
	return StreamSizes{Header: header, Trailer: trailer, MaximumMessage: maxMessage, Buffers: 4, BlockSize: 1}, nil
}

func (p *goProvider) connectionInfo() (ConnectionInfo, error) {
	info := p.eng.Info()
	ci := ConnectionInfo{
		Version:          info.Version,
		CipherSuite:      info.CipherSuite,
		CipherSuiteName:  tls.CipherSuiteName(info.CipherSuite),
		KeyExchangeGroup: tls.CurveID(info.Group),
		SignatureScheme:  tls.SignatureScheme(info.SignatureScheme),
		ServerName:       info.ServerName,
		Resumed:          info.DidResume,
	}
	ci.Protocol = protocolBits(info.Version, p.server)
	return ci, nil
}

func (p *goProvider) remoteCertificate() ([]*x509.Certificate, error) {
	return p.eng.Info().PeerCertificates, nil
}

func (p *goProvider) applicationProtocol() (string, error) { return p.eng.Info().ALPN, nil }

func (p *goProvider) connectionState() tls.ConnectionState {
	info := p.eng.Info()
	return tls.ConnectionState{
		Version:            info.Version,
		HandshakeComplete:  true,
		DidResume:          info.DidResume,
		CipherSuite:        info.CipherSuite,
		CurveID:            tls.CurveID(info.Group),
		HelloRetryRequest:  info.HelloRetryRequest,
		NegotiatedProtocol: info.ALPN,
		ServerName:         info.ServerName,
		PeerCertificates:   info.PeerCertificates,
		VerifiedChains:     info.VerifiedChains,
		TLSUnique:          p.eng.TLSUnique(),
	}
}

func (p *goProvider) setKeyingMaterialInfo(info KeyingMaterialInfo) error {
	p.keyingInfo = &info
	return nil
}

func (p *goProvider) keyingMaterial() ([]byte, error) {
	if p.keyingInfo == nil {
		return nil, sspi.Errorf(SEC_E_INVALID_PARAMETER, "schannel: SetContextAttributes(SECPKG_ATTR_KEYING_MATERIAL_INFO) was not called")
	}
	out, err := p.eng.ExportKeyingMaterial(p.keyingInfo.Label, p.keyingInfo.Context, p.keyingInfo.Length)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (p *goProvider) channelBindings(attribute uint32) ([]byte, error) {
	if attribute == SECPKG_ATTR_ENDPOINT_BINDINGS {
		return tlsServerEndPoint(p.eng.ServerLeaf())
	}
	unique := p.eng.TLSUnique()
	if unique == nil {
		return nil, sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: tls-unique exists in TLS 1.2 only (RFC 8446 appendix C.5); use tls-exporter")
	}
	return newChannelBindings(tlsUniquePrefix, unique), nil
}

func (p *goProvider) keyUpdate(requestPeerUpdate bool) ([]byte, error) {
	res := p.eng.KeyUpdate(requestPeerUpdate)
	if res.Err != nil {
		return nil, res.Err
	}
	return res.Output, nil
}

func (p *goProvider) keyUpdateDue() bool { return p.eng.KeyUpdateDue() }

// QueryContextAttributes answers Schannel's attributes.
func (p *goProvider) QueryContextAttributes(attribute uint32) (any, error) {
	return queryTLS(p, attribute)
}

func (p *goProvider) DeleteSecurityContext() error {
	p.eng = nil
	return nil
}

// SetContextAttributes takes Schannel's settable attributes.
func (p *goProvider) SetContextAttributes(attribute uint32, value any) error {
	return setTLSAttribute(p, attribute, value)
}

var _ tlsProvider = (*goProvider)(nil)
