package negotiate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/smtp"

	"github.com/gosspi/schannel/kerberos"
	"github.com/gosspi/schannel/sspi"
)

// SASL GSSAPI security layers, RFC 4752 section 3.3: bits of the first
// octet of the server's and the client's final messages.
const (
	SASLLayerNone            = 0x01
	SASLLayerIntegrity       = 0x02
	SASLLayerConfidentiality = 0x04
)

// GSSAPIClient is the client side of the SASL GSSAPI mechanism (RFC 4752)
// on the Kerberos package: the Kerberos context exchange, then the
// security-layer negotiation. With a layer other than none, Context
// protects the session's later traffic (EncryptMessage with
// SECQOP_WRAP_NO_ENCRYPT for integrity, without it for confidentiality),
// each message at most MaxSendSize bytes.
type GSSAPIClient struct {
	// Credentials are outbound Kerberos credentials; nil means the ticket
	// cache (KRB5CCNAME).
	Credentials *sspi.Credentials
	// Service and Host make the SPN service/host ("smtp", "ldap", "imap").
	Service, Host string
	// AuthzID is the identity to act as; empty means the authenticated one.
	AuthzID string
	// Layers are the security layers the client accepts (SASLLayer*
	// bits); zero means none only. The strongest one the server also
	// offers is chosen.
	Layers byte
	// MaxReceiveSize is the largest protected message the client accepts;
	// zero means 65536.
	MaxReceiveSize uint32

	// Context is the Kerberos context, established after the exchange.
	Context *sspi.Context
	// Layer is the security layer chosen, and MaxSendSize the largest
	// message the server accepts, once the exchange is done.
	Layer       byte
	MaxSendSize uint32

	step int
}

// Step answers one server challenge (nil for the initial response) with
// the client's response; done reports that the exchange is complete.
func (g *GSSAPIClient) Step(challenge []byte) (response []byte, done bool, err error) {
	target := g.Service + "/" + g.Host
	req := uint32(sspi.ISC_REQ_MUTUAL_AUTH | sspi.ISC_REQ_SEQUENCE_DETECT | sspi.ISC_REQ_REPLAY_DETECT | sspi.ISC_REQ_INTEGRITY | sspi.ISC_REQ_ALLOCATE_MEMORY)
	if g.Layers&SASLLayerConfidentiality != 0 {
		req |= sspi.ISC_REQ_CONFIDENTIALITY
	}
	switch {
	case g.step == 0:
		if g.Credentials == nil {
			c, err := sspi.AcquireCredentialsHandle("", kerberos.PackageName, sspi.SECPKG_CRED_OUTBOUND, nil)
			if err != nil {
				return nil, false, err
			}
			g.Credentials = c
		}
		out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		ctx, st, err := sspi.InitializeSecurityContext(g.Credentials, nil, target, req, nil, out)
		if err != nil {
			return nil, false, err
		}
		g.Context = ctx
		g.step = 1
		if st == sspi.SEC_E_OK {
			g.step = 2
		}
		return out[0].Buffer, false, nil
	case g.step == 1:
		out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		_, st, err := sspi.InitializeSecurityContext(g.Credentials, g.Context, target, req, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, challenge)}, out)
		if err != nil {
			return nil, false, err
		}
		if st != sspi.SEC_E_OK {
			return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "sasl gssapi: Kerberos wants another leg (%v)", st)
		}
		g.step = 2
		// RFC 4752 section 3.1: an empty response when the context
		// completes without a token to send.
		return out[0].Buffer, false, nil
	case g.step == 2:
		return g.negotiateLayer(challenge)
	}
	return nil, false, errors.New("sasl gssapi: the exchange is already complete")
}

// negotiateLayer reads the server's wrapped offer (layers, maximum size)
// and answers with the chosen layer, our maximum size and the authzid,
// RFC 4752 section 3.1.
func (g *GSSAPIClient) negotiateLayer(challenge []byte) ([]byte, bool, error) {
	if len(challenge) == 0 || len(challenge) > 1<<16 {
		return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "sasl gssapi: the server's security-layer offer is %d bytes", len(challenge))
	}
	bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, append([]byte(nil), challenge...)), {BufferType: sspi.SECBUFFER_DATA}}
	if _, _, err := g.Context.DecryptMessage(bufs); err != nil {
		return nil, false, err
	}
	offer := bufs[1].Buffer
	if len(offer) != 4 {
		return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "sasl gssapi: the server's security-layer offer holds %d bytes, not 4", len(offer))
	}
	layers := g.Layers
	if layers == 0 {
		layers = SASLLayerNone
	}
	common := offer[0] & layers
	switch {
	case common&SASLLayerConfidentiality != 0:
		g.Layer = SASLLayerConfidentiality
	case common&SASLLayerIntegrity != 0:
		g.Layer = SASLLayerIntegrity
	case common&SASLLayerNone != 0:
		g.Layer = SASLLayerNone
	default:
		return nil, false, fmt.Errorf("sasl gssapi: the server offers security layers %#x, the client accepts %#x", offer[0], layers)
	}
	g.MaxSendSize = uint32(offer[1])<<16 | uint32(offer[2])<<8 | uint32(offer[3])
	maxRecv := g.MaxReceiveSize
	if maxRecv == 0 {
		maxRecv = 65536
	}
	if g.Layer == SASLLayerNone {
		maxRecv = 0 // RFC 4752: no layer, no maximum
	}
	msg := binary.BigEndian.AppendUint32(nil, maxRecv&0xffffff)
	msg[0] = g.Layer
	msg = append(msg, g.AuthzID...)
	wrapped, err := Wrap(g.Context, msg, false)
	if err != nil {
		return nil, false, err
	}
	g.step = 3
	return wrapped, true, nil
}

// Wrap protects one message with a Kerberos (or Negotiate) context as one
// RFC 4121 Wrap token, the form SASL and the GSS-API samples send:
// EncryptMessage into [TOKEN, DATA, PADDING], the token's bytes followed
// by the data. conf false signs only (SECQOP_WRAP_NO_ENCRYPT).
func Wrap(ctx *sspi.Context, msg []byte, conf bool) ([]byte, error) {
	v, err := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
	if err != nil {
		return nil, err
	}
	sizes, ok := v.(sspi.Sizes)
	if !ok {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "negotiate: SECPKG_ATTR_SIZES gave %T", v)
	}
	qop := uint32(sspi.SECQOP_WRAP_NO_ENCRYPT)
	if conf {
		qop = 0
	}
	bufs := []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, sizes.SecurityTrailer)),
		sspi.NewSecBuffer(sspi.SECBUFFER_DATA, append([]byte(nil), msg...)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PADDING, make([]byte, sizes.BlockSize)),
	}
	if _, err := ctx.EncryptMessage(qop, bufs); err != nil {
		return nil, err
	}
	return append(append([]byte(nil), bufs[0].Buffer[:bufs[0].Size]...), bufs[1].Buffer...), nil
}

// Unwrap checks and opens one whole Wrap token; conf reports whether it
// was encrypted.
func Unwrap(ctx *sspi.Context, tok []byte) (msg []byte, conf bool, err error) {
	bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, append([]byte(nil), tok...)), {BufferType: sspi.SECBUFFER_DATA}}
	qop, _, err := ctx.DecryptMessage(bufs)
	if err != nil {
		return nil, false, err
	}
	return bufs[1].Buffer, qop != sspi.SECQOP_WRAP_NO_ENCRYPT, nil
}

// GSSAPIAuth returns an smtp.Auth for SASL GSSAPI (RFC 4752) with the
// user's ticket cache, for the SPN smtp/host. net/smtp cannot protect the
// session afterwards, so the security layer is none; Kerberos itself
// authenticates, so no TLS is demanded (unlike smtp.PlainAuth).
func GSSAPIAuth(host, authzID string) smtp.Auth {
	return &gssapiAuth{c: GSSAPIClient{Service: "smtp", Host: host, AuthzID: authzID}}
}

type gssapiAuth struct{ c GSSAPIClient }

func (a *gssapiAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if a.c.Host == "" {
		a.c.Host = server.Name
	}
	resp, _, err := a.c.Step(nil)
	return "GSSAPI", resp, err
}

func (a *gssapiAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		if a.c.step != 3 {
			return nil, errors.New("sasl gssapi: the server ended the exchange early")
		}
		return nil, nil
	}
	resp, _, err := a.c.Step(fromServer)
	if err == nil && resp == nil {
		// net/smtp ends the exchange on a nil response; RFC 4752 wants
		// an empty one here.
		resp = []byte{}
	}
	return resp, err
}

// GSSAPIServer is the server side of the SASL GSSAPI mechanism (RFC 4752)
// on the Kerberos package: it accepts the client's context, offers its
// security layers and maximum size, and checks the client's choice.
type GSSAPIServer struct {
	// Credentials are inbound Kerberos credentials (a keytab).
	Credentials *sspi.Credentials
	// Layers are the security layers offered (SASLLayer* bits); zero
	// means none only.
	Layers byte
	// MaxReceiveSize is the largest protected message the server accepts;
	// zero means 65536.
	MaxReceiveSize uint32

	// After the exchange: the accepted context, the client principal,
	// the identity it asked to act as, the layer it chose and the largest
	// message it accepts.
	Context     *sspi.Context
	User        string
	AuthzID     string
	Layer       byte
	MaxSendSize uint32

	step int
}

// Step takes one client response (the initial one first; nil or empty
// when the client sent none, which asks it for one) and returns the next
// challenge; done reports that the client is authenticated and nothing
// more is to be sent.
func (g *GSSAPIServer) Step(response []byte) (challenge []byte, done bool, err error) {
	switch g.step {
	case 0:
		if len(response) == 0 {
			return []byte{}, false, nil
		}
		out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		ctx, st, err := sspi.AcceptSecurityContext(g.Credentials, nil, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, response)}, sspi.ASC_REQ_ALLOCATE_MEMORY|sspi.ASC_REQ_MUTUAL_AUTH|sspi.ASC_REQ_CONFIDENTIALITY, out)
		if err != nil {
			return nil, false, err
		}
		if st != sspi.SEC_E_OK {
			return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "sasl gssapi: Kerberos wants another leg (%v)", st)
		}
		g.Context = ctx
		if v, err := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES); err == nil {
			if n, ok := v.(sspi.Names); ok {
				g.User = n.UserName
			}
		}
		g.step = 1
		if len(out[0].Buffer) > 0 {
			return out[0].Buffer, false, nil
		}
		return g.offer()
	case 1:
		if len(response) != 0 {
			return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "sasl gssapi: the client's answer to the AP-REP must be empty, not %d bytes", len(response))
		}
		return g.offer()
	case 2:
		msg, _, err := Unwrap(g.Context, response)
		if err != nil {
			return nil, false, err
		}
		if len(msg) < 4 {
			return nil, false, sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "sasl gssapi: the client's choice holds %d bytes", len(msg))
		}
		layer := msg[0]
		if layer != SASLLayerNone && layer != SASLLayerIntegrity && layer != SASLLayerConfidentiality || layer&g.offered() == 0 {
			return nil, false, fmt.Errorf("sasl gssapi: the client chose security layer %#x of the offered %#x", layer, g.offered())
		}
		g.Layer = layer
		g.MaxSendSize = uint32(msg[1])<<16 | uint32(msg[2])<<8 | uint32(msg[3])
		g.AuthzID = string(msg[4:])
		g.step = 3
		return nil, true, nil
	}
	return nil, false, errors.New("sasl gssapi: the exchange is already complete")
}

func (g *GSSAPIServer) offered() byte {
	if g.Layers == 0 {
		return SASLLayerNone
	}
	return g.Layers
}

// offer is the wrapped security-layer offer, RFC 4752 section 3.1.
func (g *GSSAPIServer) offer() ([]byte, bool, error) {
	max := g.MaxReceiveSize
	if max == 0 {
		max = 65536
	}
	msg := binary.BigEndian.AppendUint32(nil, max&0xffffff)
	msg[0] = g.offered()
	w, err := Wrap(g.Context, msg, false)
	if err != nil {
		return nil, false, err
	}
	g.step = 2
	return w, false, nil
}
