package kerberos

// The Kerberos differential test: the same SSPI calls on secur32.dll's
// "Kerberos" and on this package, against one throwaway MIT realm. Under
// Wine, secur32's Kerberos is MIT's libgssapi_krb5 underneath, so Wine
// is a second, independent implementation talking to the same KDC.
// TestWineKerberos (wine_test.go) makes the realm on the Unix side and
// runs these tests under Wine; alone they skip.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/files"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/internal/peertest"
	"github.com/gosspi/schannel/sspi"
)

// wdRealmEnv is set, to the realm's name, by TestWineKerberos for the
// binary it runs under Wine.
const wdRealmEnv = "SCHANNEL_WINE_REALM"

// wdSide is one provider: this package or secur32's.
type wdSide struct {
	Name string
	Cred func(use sspi.CredentialUse) (*sspi.Credentials, error)
}

var wdSides = []wdSide{
	{"go", func(use sspi.CredentialUse) (*sspi.Credentials, error) { return AcquireCredentialsHandle("", use, nil) }},
	{"native", func(use sspi.CredentialUse) (*sspi.Credentials, error) {
		return sspi.AcquireNativeCredentialsHandle(PackageName, use, nil)
	}},
}

// wdScenario is one conversation. Each runs four times, every client
// against every acceptor.
type wdScenario struct {
	Name   string
	Target string
	ISCReq uint32
	ASCReq uint32
	// OutSize is the caller's output TOKEN buffer; 0 means none, for
	// ISC_REQ_ALLOCATE_MEMORY.
	OutSize int
	// Messages runs the per-message calls in both directions.
	Messages bool
	// VariableLength leaves the AP-REQ's lengths out of the trace: a
	// forwarded TGT's size changes from one run to the next.
	VariableLength bool
	// Bindings passes a SECBUFFER_CHANNEL_BINDINGS input to both sides.
	Bindings bool
}

const wdFullReq = sspi.ISC_REQ_MUTUAL_AUTH | sspi.ISC_REQ_REPLAY_DETECT | sspi.ISC_REQ_SEQUENCE_DETECT | sspi.ISC_REQ_CONFIDENTIALITY

var wdScenarios = []wdScenario{
	{Name: "mutual", Target: "host/localhost@TEST.LOCAL", ISCReq: wdFullReq, ASCReq: sspi.ASC_REQ_MUTUAL_AUTH, OutSize: 48000, Messages: true},
	{Name: "no-mutual", Target: "host/localhost@TEST.LOCAL", ISCReq: wdFullReq &^ sspi.ISC_REQ_MUTUAL_AUTH, OutSize: 48000, Messages: true},
	{Name: "integrity", Target: "host/localhost", ISCReq: sspi.ISC_REQ_MUTUAL_AUTH | sspi.ISC_REQ_INTEGRITY | sspi.ISC_REQ_CONNECTION, ASCReq: sspi.ASC_REQ_INTEGRITY, OutSize: 48000, Messages: true},
	{Name: "delegate", Target: "HTTP/localhost@TEST.LOCAL", ISCReq: wdFullReq | sspi.ISC_REQ_DELEGATE, OutSize: 48000, VariableLength: true},
	{Name: "channel-bindings", Target: "HTTP/localhost@TEST.LOCAL", ISCReq: wdFullReq, OutSize: 48000, Bindings: true},
	{Name: "small-buffer", Target: "host/localhost@TEST.LOCAL", ISCReq: wdFullReq, OutSize: 64},
	{Name: "unknown-service", Target: "host/nosuch.test@TEST.LOCAL", ISCReq: wdFullReq, OutSize: 48000},
	{Name: "gss-service-name", Target: "host@localhost", ISCReq: wdFullReq, OutSize: 48000},
}

// wdMessage is what the per-message calls protect.
var wdMessage = []byte("schannel: the Wine differential test")

// wdRun runs one scenario with one client and one acceptor and returns
// its trace: a line per call, with what the call returned.
func wdRun(t *testing.T, client, server wdSide, sc wdScenario) []string {
	t.Helper()
	cc, err := client.Cred(sspi.SECPKG_CRED_OUTBOUND)
	require.NoError(t, err, "%s outbound credentials", client.Name)
	scred, err := server.Cred(sspi.SECPKG_CRED_INBOUND)
	require.NoError(t, err, "%s inbound credentials", server.Name)
	var tr []string
	add := func(format string, args ...any) { tr = append(tr, fmt.Sprintf(format, args...)) }

	var cctx, sctx *sspi.Context
	var fromServer []byte
	cdone := false
	for leg := 1; leg <= 3 && !cdone; leg++ {
		var in, bindings []sspi.SecBuffer
		if sc.Bindings {
			bindings = []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_CHANNEL_BINDINGS, channelBindings([]byte("tls-server-end-point:wine")))}
		}
		in = append(in, bindings...)
		if fromServer != nil {
			in = append(in, sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, fromServer))
		}
		out := wdOutput(sc.OutSize)
		var st sspi.Status
		cctx, st, err = sspi.InitializeSecurityContext(cc, cctx, sc.Target, sc.ISCReq, in, out)
		shape := wdShape(st, out[0].Buffer)
		if sc.VariableLength {
			shape = wdLengths.ReplaceAllString(shape, "${1}n")
		}
		add("ISC%d %v attrs=%#x token=%s", leg, st, wdAttrs(cctx), shape)
		if err != nil {
			t.Logf("%s client: %v", client.Name, err)
			return tr
		}
		cdone = st == sspi.SEC_E_OK
		fromServer = nil
		if len(out[0].Buffer) == 0 {
			continue
		}
		if leg == 1 {
			opened := wdOpenAPReq(out[0].Buffer)
			if sc.VariableLength {
				opened = wdLengths.ReplaceAllString(opened, "${1}n")
			}
			add("AP-REQ opened with the keytab: %s", opened)
		}
		sout := wdOutput(sc.OutSize)
		var sst sspi.Status
		sin := append(append([]sspi.SecBuffer(nil), bindings...), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, out[0].Buffer))
		sctx, sst, err = sspi.AcceptSecurityContext(scred, sctx, sin, sc.ASCReq, sout)
		add("ASC %v attrs=%#x token=%s", sst, wdAttrs(sctx), wdShape(sst, sout[0].Buffer))
		if err != nil {
			t.Logf("%s acceptor: %v", server.Name, err)
			return tr
		}
		if len(sout[0].Buffer) > 0 {
			fromServer = sout[0].Buffer
		}
	}
	if !cdone || sctx == nil || !sctx.Established() {
		add("not established")
		return tr
	}
	for _, c := range []struct {
		role string
		ctx  *sspi.Context
	}{{"client", cctx}, {"acceptor", sctx}} {
		add("%s %s", c.role, wdQuery(c.ctx, sspi.SECPKG_ATTR_SIZES))
		add("%s %s", c.role, wdQuery(c.ctx, sspi.SECPKG_ATTR_NAMES))
		add("%s %s", c.role, wdQuery(c.ctx, sspi.SECPKG_ATTR_FLAGS))
	}
	ck, cerr := cctx.QueryContextAttributes(sspi.SECPKG_ATTR_SESSION_KEY)
	sk, serr := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_SESSION_KEY)
	if cerr == nil && serr == nil {
		a, b := ck.(sspi.SessionKey).Key, sk.(sspi.SessionKey).Key
		add("SESSION_KEY len=%d same-on-both-sides=%v", len(a), bytes.Equal(a, b))
	} else {
		add("SESSION_KEY client %v acceptor %v", sspi.StatusOf(cerr), sspi.StatusOf(serr))
	}
	if sc.Messages {
		wdMessages(t, add, "client->acceptor", cctx, sctx)
		wdMessages(t, add, "acceptor->client", sctx, cctx)
	}
	return tr
}

// wdLengths finds the lengths wdShape writes for context tokens.
var wdLengths = regexp.MustCompile(`(GSS\(|authenticator=etype\d+,|enc-part=etype\d+,|cksum=0x8003\()\d+`)

// wdLengthSlack is how much two context tokens of the same shape may
// differ in length: the DER integers of the authenticator's cusec and
// seq-number, and of the AP-REP's, take from one to four bytes each.
const wdLengthSlack = 8

// wdSameTraces compares two traces line by line; the lengths of context
// tokens may differ by wdLengthSlack.
func wdSameTraces(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		if wdLengths.ReplaceAllString(a[i], "${1}n") != wdLengths.ReplaceAllString(b[i], "${1}n") {
			return false
		}
		x, y := wdLengths.FindAllStringSubmatch(a[i], -1), wdLengths.FindAllStringSubmatch(b[i], -1)
		for j := range x {
			m, _ := strconv.Atoi(strings.TrimPrefix(x[j][0], x[j][1]))
			n, _ := strconv.Atoi(strings.TrimPrefix(y[j][0], y[j][1]))
			if m-n > wdLengthSlack || n-m > wdLengthSlack {
				return false
			}
		}
	}
	return true
}

func wdOutput(size int) []sspi.SecBuffer {
	if size == 0 {
		return []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	}
	return []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, size))}
}

func wdAttrs(ctx *sspi.Context) uint32 {
	if ctx == nil {
		return 0
	}
	return ctx.Attributes()
}

func wdQuery(ctx *sspi.Context, attr uint32) string {
	v, err := ctx.QueryContextAttributes(attr)
	if err != nil {
		return fmt.Sprintf("QCA(%d) %v", attr, sspi.StatusOf(err))
	}
	switch v := v.(type) {
	case sspi.Sizes:
		return fmt.Sprintf("SIZES max=%d signature=%d block=%d trailer=%d", v.MaxToken, v.MaxSignature, v.BlockSize, v.SecurityTrailer)
	case sspi.Names:
		return fmt.Sprintf("NAMES %q", v.UserName)
	case sspi.Flags:
		return fmt.Sprintf("FLAGS %#x", v.Flags)
	}
	return fmt.Sprintf("QCA(%d) %T", attr, v)
}

// wdShape describes a context token by what a peer can see in it: the
// RFC 2743 framing, the mechanism, the Kerberos message and its clear
// fields, and the sizes. A failed call's output is not looked at.
func wdShape(st sspi.Status, tok []byte) string {
	if st.Failed() || len(tok) == 0 {
		return "none"
	}
	var g wire.GSSToken
	if err := g.Unmarshal(tok); err != nil {
		return fmt.Sprintf("raw(%d) % x", len(tok), tok[:min(len(tok), 16)])
	}
	mech := "krb5"
	if g.MSOID {
		mech = "ms-krb5"
	}
	s := fmt.Sprintf("GSS(%d,%s)", len(tok), mech)
	switch g.TokID {
	case wire.TokAPReq:
		var ap wire.APReq
		if err := ap.Unmarshal(g.Message); err != nil {
			return s + " AP-REQ? " + err.Error()
		}
		return fmt.Sprintf("%s AP-REQ options=%#x ticket=%s@%s/etype%d authenticator=etype%d,%d", s, ap.APOptions,
			strings.Join(ap.Ticket.SName.NameString, "/"), ap.Ticket.Realm, ap.Ticket.EncPart.EType,
			ap.Authenticator.EType, len(ap.Authenticator.Cipher))
	case wire.TokAPRep:
		var rep wire.APRep
		if err := rep.Unmarshal(g.Message); err != nil {
			return s + " AP-REP? " + err.Error()
		}
		return fmt.Sprintf("%s AP-REP enc-part=etype%d,%d", s, rep.EncPart.EType, len(rep.EncPart.Cipher))
	case wire.TokKRBError:
		var e wire.KRBError
		if err := e.Unmarshal(g.Message); err != nil {
			return s + " KRB-ERROR? " + err.Error()
		}
		return fmt.Sprintf("%s KRB-ERROR code=%d", s, e.ErrorCode)
	}
	return fmt.Sprintf("%s TOK_ID %04x", s, g.TokID)
}

// wdOpenAPReq decrypts an AP-REQ as an acceptor would, with the realm's
// keytab (KRB5_KTNAME), and describes what only the acceptor sees: the
// authenticator and its RFC 4121 section 4.1.1 checksum (channel-bindings
// hash, flags) and, with delegation, the KRB-CRED's fields.
func wdOpenAPReq(tok []byte) string {
	var g wire.GSSToken
	var ap wire.APReq
	if g.Unmarshal(tok) != nil || g.TokID != wire.TokAPReq || ap.Unmarshal(g.Message) != nil {
		return "not an AP-REQ"
	}
	name, err := files.ResolveFile(files.KeytabName(nil))
	if err != nil {
		return err.Error()
	}
	kt, err := files.ReadKeytab(name)
	if err != nil {
		return err.Error()
	}
	var kvno uint32
	if ap.Ticket.EncPart.KVNO != nil {
		kvno = *ap.Ticket.EncPart.KVNO
	}
	entry, ok := kt.Key(files.Principal{Realm: ap.Ticket.Realm, Components: ap.Ticket.SName.NameString}, ap.Ticket.EncPart.EType, kvno)
	enc, ok2 := crypto.Lookup(ap.Ticket.EncPart.EType)
	if !ok || !ok2 {
		return "no key for the ticket"
	}
	plain, err := enc.Decrypt(entry.Key, crypto.UsageKDCRepTicket, ap.Ticket.EncPart.Cipher)
	var etp wire.EncTicketPart
	if err != nil || etp.Unmarshal(plain) != nil {
		return "ticket does not open"
	}
	senc, ok := crypto.Lookup(etp.Key.KeyType)
	if !ok {
		return "unknown session key type"
	}
	plain, err = senc.Decrypt(etp.Key.KeyValue, crypto.UsageAPReqAuthenticator, ap.Authenticator.Cipher)
	var auth wire.Authenticator
	if err != nil || auth.Unmarshal(plain) != nil {
		return "authenticator does not open"
	}
	s := fmt.Sprintf("cname=%s@%s", strings.Join(auth.CName.NameString, "/"), auth.CRealm)
	if auth.Subkey != nil {
		s += fmt.Sprintf(" subkey=etype%d", auth.Subkey.KeyType)
	}
	s += fmt.Sprintf(" seq-number=%v authorization-data=%d", auth.SeqNumber != nil, len(auth.AuthorizationData))
	if auth.Cksum == nil {
		return s + " no checksum"
	}
	c := auth.Cksum.Checksum
	s += fmt.Sprintf(" cksum=%#x(%d bytes)", auth.Cksum.CksumType, len(c))
	if auth.Cksum.CksumType != 0x8003 || len(c) < 24 {
		return s
	}
	s += fmt.Sprintf(" bindings-zero=%v gss-flags=%#x", bytes.Equal(c[4:20], make([]byte, 16)), binary.LittleEndian.Uint32(c[20:24]))
	if len(c) < 28 {
		return s
	}
	n := int(binary.LittleEndian.Uint16(c[26:]))
	if binary.LittleEndian.Uint16(c[24:]) != 1 || 28+n > len(c) {
		return s + " bad DlgOpt"
	}
	s += fmt.Sprintf(" extension-bytes-after-KRB-CRED=%d", len(c)-28-n)
	var kc wire.KRBCred
	if kc.Unmarshal(c[28:28+n]) != nil {
		return s + " KRB-CRED does not parse"
	}
	s += fmt.Sprintf(" KRB-CRED tickets=%d enc-part=etype%d", len(kc.Tickets), kc.EncPart.EType)
	plain = kc.EncPart.Cipher
	if kc.EncPart.EType != 0 {
		if plain, err = senc.Decrypt(etp.Key.KeyValue, crypto.UsageKrbCredEncPart, kc.EncPart.Cipher); err != nil {
			return s + " (not under the session key)"
		}
	}
	var part wire.EncKrbCredPart
	if part.Unmarshal(plain) != nil || len(part.TicketInfo) == 0 {
		return s + " EncKrbCredPart does not parse"
	}
	in := part.TicketInfo[0]
	// Whether starttime is present is the KDC's choice, not the package's:
	// each side copies its own TGS reply, and MIT's KDC leaves starttime out
	// when it equals authtime, that is when the forwarded TGT was asked for
	// within the logon's second. Only what holds either way is traced: a
	// starttime, if any, is not before authtime.
	starttime := "absent-or-after-authtime"
	if !in.StartTime.IsZero() && in.StartTime.Before(in.AuthTime) {
		starttime = "before-authtime"
	}
	return s + fmt.Sprintf(" nonce=%v timestamp=%v usec=%v s-address=%v r-address=%v info:prealm=%v pname=%v flags=%v authtime=%v starttime=%s endtime=%v renew-till=%v srealm=%v sname=%v caddr=%d",
		part.Nonce != nil, !part.Timestamp.IsZero(), part.USec != nil, part.SAddress != nil, part.RAddress != nil,
		in.PRealm != nil, in.PName != nil, in.Flags != nil, !in.AuthTime.IsZero(), starttime, !in.EndTime.IsZero(),
		!in.RenewTill.IsZero(), in.SRealm != nil, in.SName != nil, len(in.CAddr))
}

// wdMessages runs the per-message calls from one side to the other: a
// MIC, Wrap tokens with and without confidentiality, the refusals of a
// changed MIC, a changed Wrap and a replayed Wrap, and last (a refused
// token leaves a gap in the receiver's sequence) the two buffer layouts
// Windows documents for DecryptMessage.
//
// Wine's EncryptMessage lays a Wrap token out in its own way: it puts the
// first len(DATA) bytes of MIT's token in DATA and the rest in TOKEN, and
// its DecryptMessage joins DATA and TOKEN in that order. Windows (MS-KILE
// section 3.4.5.4.1) and this package put the header in TOKEN. So that the
// tokens themselves are still checked across implementations, wdWhole
// reassembles the RFC 4121 token each sender made and wdDeliver hands it
// to each receiver in the layout that receiver takes.
func wdMessages(t *testing.T, add func(string, ...any), dir string, from, to *sspi.Context) {
	t.Helper()
	v, err := from.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
	if err != nil {
		add("%s no SIZES: %v", dir, sspi.StatusOf(err))
		return
	}
	sizes := v.(sspi.Sizes)

	mic := []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_DATA, append([]byte(nil), wdMessage...)),
		sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, sizes.MaxSignature)),
	}
	st, _ := from.MakeSignature(0, mic)
	var mh wire.MICHeader
	hdr := "-"
	if len(mic[1].Buffer) >= wire.TokenHeaderSize && mh.Unmarshal(mic[1].Buffer[:wire.TokenHeaderSize]) == nil {
		hdr = fmt.Sprintf("flags=%#x", mh.Flags)
	}
	add("%s MS %v TOKEN(%d) %s", dir, st, len(mic[1].Buffer), hdr)
	if st == sspi.SEC_E_OK {
		changed := append([]byte(nil), wdMessage...)
		changed[0] ^= 1
		_, vst, _ := to.VerifySignature([]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, changed), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, append([]byte(nil), mic[1].Buffer...))})
		add("%s VS changed data %v", dir, vst)
		qop, vst, _ := to.VerifySignature([]sspi.SecBuffer{mic[0], sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, append([]byte(nil), mic[1].Buffer...))})
		add("%s VS %v qop=%#x", dir, vst, qop)
	}

	// Wine's cbSecurityTrailer (49) is too small for an AES Wrap token
	// (60), and a Wine EncryptMessage refused for it still uses up a
	// sequence number, so the TOKEN buffer gets room for AES; the last call
	// below tries cbSecurityTrailer itself.
	room := max(sizes.SecurityTrailer, wdAESWrapTrailer)
	wrapIn := func(qop, trailer uint32) ([]sspi.SecBuffer, sspi.Status) {
		bufs := []sspi.SecBuffer{
			sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, trailer)),
			sspi.NewSecBuffer(sspi.SECBUFFER_DATA, append([]byte(nil), wdMessage...)),
			sspi.NewSecBuffer(sspi.SECBUFFER_PADDING, make([]byte, sizes.BlockSize)),
		}
		st, _ := from.EncryptMessage(qop, bufs)
		return bufs, st
	}
	wrap := func(qop uint32) ([]sspi.SecBuffer, bool) {
		bufs, st := wrapIn(qop, room)
		add("%s EM qop=%#x %v TOKEN(%d) DATA(%d) PADDING(%d) %s", dir, qop, st, len(bufs[0].Buffer), len(bufs[1].Buffer),
			len(bufs[2].Buffer), wdWrapLayout(bufs))
		return bufs, st == sspi.SEC_E_OK
	}
	unwrap := func(what string, bufs []sspi.SecBuffer) {
		qop, st, _ := to.DecryptMessage(bufs)
		plain := false
		if i := sspi.IndexOf(bufs, sspi.SECBUFFER_DATA); i >= 0 {
			plain = bytes.Equal(bufs[i].Buffer, wdMessage)
		}
		add("%s DM %s %v qop=%#x plaintext=%v", dir, what, st, qop, plain)
	}
	for _, qop := range []uint32{0, sspi.SECQOP_WRAP_NO_ENCRYPT} {
		if bufs, ok := wrap(qop); ok {
			unwrap("whole token", wdDeliver(to, wdWhole(bufs)))
		}
	}
	if bufs, ok := wrap(0); ok {
		whole := wdWhole(bufs)
		changed := append([]byte(nil), whole...)
		changed[len(changed)-20] ^= 1
		unwrap("whole token, changed", wdDeliver(to, changed))
		unwrap("whole token, once", wdDeliver(to, whole))
		unwrap("whole token, replayed", wdDeliver(to, whole))
	}
	if bufs, ok := wrap(0); ok {
		unwrap("[TOKEN, DATA] as EncryptMessage left them", []sspi.SecBuffer{
			sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, append([]byte(nil), bufs[0].Buffer...)),
			sspi.NewSecBuffer(sspi.SECBUFFER_DATA, append([]byte(nil), bufs[1].Buffer...)),
		})
	}
	if bufs, ok := wrap(0); ok {
		stream := append(append(append([]byte(nil), bufs[0].Buffer...), bufs[1].Buffer...), bufs[2].Buffer...)
		unwrap("[STREAM = TOKEN+DATA+PADDING, DATA]", []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, stream), {BufferType: sspi.SECBUFFER_DATA}})
	}
	_, st = wrapIn(0, sizes.SecurityTrailer)
	add("%s EM with a TOKEN of cbSecurityTrailer (%d): %v", dir, sizes.SecurityTrailer, st)
}

// wdAESWrapTrailer is what a confidential Wrap token with an aes-sha1
// enctype adds to the message: the 16-byte header, a 16-byte confounder,
// the 16-byte encrypted copy of the header and a 12-byte checksum (RFC
// 4121 section 4.2.4, RFC 3962).
const wdAESWrapTrailer = 60

// wdWrapLayout says where EncryptMessage put the Wrap token's header, and
// the header's fields, and whether the plaintext is still readable.
func wdWrapLayout(bufs []sspi.SecBuffer) string {
	tok, data := bufs[0].Buffer, bufs[1].Buffer
	whole := append(append([]byte(nil), tok...), data...)
	where := "header in TOKEN"
	if !bytes.HasPrefix(tok, []byte{0x05, 0x04}) && bytes.HasPrefix(data, []byte{0x05, 0x04}) {
		where = "header in DATA"
		whole = append(append([]byte(nil), data...), tok...)
	}
	var h wire.WrapHeader
	if len(whole) < wire.TokenHeaderSize || h.Unmarshal(whole[:wire.TokenHeaderSize]) != nil {
		return "no Wrap header"
	}
	return fmt.Sprintf("%s flags=%#x ec=%d rrc=%d plaintext-visible=%v", where, h.Flags, h.EC, h.RRC, bytes.Contains(whole, wdMessage))
}

// wdWhole is the RFC 4121 token an EncryptMessage call made, whichever of
// the two layouts it used.
func wdWhole(bufs []sspi.SecBuffer) []byte {
	tok, data, pad := bufs[0].Buffer, bufs[1].Buffer, bufs[2].Buffer
	if !bytes.HasPrefix(tok, []byte{0x05, 0x04}) && bytes.HasPrefix(data, []byte{0x05, 0x04}) {
		return append(append([]byte(nil), data...), tok...)
	}
	return append(append(append([]byte(nil), tok...), data...), pad...)
}

// wdDeliver lays a whole Wrap token out for the receiver's
// DecryptMessage: [STREAM, DATA], which Windows documents and this package
// takes, or Wine's [TOKEN = the rest, DATA = the first len(message) bytes].
func wdDeliver(to *sspi.Context, whole []byte) []sspi.SecBuffer {
	if _, native := to.Provider().(*sspi.NativeContext); native && len(whole) > len(wdMessage) {
		return []sspi.SecBuffer{
			sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, append([]byte(nil), whole[len(wdMessage):]...)),
			sspi.NewSecBuffer(sspi.SECBUFFER_DATA, append([]byte(nil), whole[:len(wdMessage)]...)),
		}
	}
	return []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, append([]byte(nil), whole...)), {BufferType: sspi.SECBUFFER_DATA}}
}

// wdKnownDifference is a difference between Wine's Kerberos and this
// package that the test accepts: Pattern is rewritten to Replace in every
// trace before they are compared.
type wdKnownDifference struct {
	Name, Reason string
	Pattern      *regexp.Regexp
	Replace      string
	// Crossed limits the rewrite to the pairs whose client and acceptor
	// are different implementations.
	Crossed bool
	// Scenario, when set, limits the rewrite to that scenario.
	Scenario string
}

// wdKnownDifferences: the only differences TestNativeKerberosDifferential
// accepts, observed with Wine 8.0 over MIT krb5 1.20. The README's Wine
// section lists the same.
var wdKnownDifferences = []wdKnownDifference{
	{
		Name:    "wine-sizes",
		Reason:  "Wine hard-codes SIZES cbMaxToken 12000 (Windows 7's), cbMaxSignature 37 and cbSecurityTrailer 49; this package reports Windows 8's 48000 and the aes-sha1 token overheads MIT measures, 28 and 60",
		Pattern: regexp.MustCompile(`SIZES max=12000 signature=37 block=1 trailer=49$`),
		Replace: "SIZES max=48000 signature=28 block=1 trailer=60",
	},
	{
		Name:    "wine-security-trailer",
		Reason:  "Wine's cbSecurityTrailer (49) is too small for its own AES Wrap token (60): EncryptMessage with a TOKEN of that size fails with SEC_E_BUFFER_TOO_SMALL, and still uses up a sequence number",
		Pattern: regexp.MustCompile(`EM with a TOKEN of cbSecurityTrailer \(49\): SEC_E_BUFFER_TOO_SMALL$`),
		Replace: "EM with a TOKEN of cbSecurityTrailer (60): SEC_E_OK",
	},
	{
		Name:    "wine-names",
		Reason:  "Wine's Kerberos answers only SECPKG_ATTR_SIZES; NAMES gives SEC_E_UNSUPPORTED_FUNCTION",
		Pattern: regexp.MustCompile(`^(client|acceptor) QCA\(1\) SEC_E_UNSUPPORTED_FUNCTION$`),
		Replace: `$1 NAMES "user@TEST.LOCAL"`,
	},
	{
		Name:    "wine-session-key",
		Reason:  "Wine's Kerberos answers only SECPKG_ATTR_SIZES; SESSION_KEY gives SEC_E_UNSUPPORTED_FUNCTION, so the two sides' keys cannot be compared",
		Pattern: regexp.MustCompile(`^SESSION_KEY client SEC_E_(OK|UNSUPPORTED_FUNCTION) acceptor SEC_E_(OK|UNSUPPORTED_FUNCTION)$`),
		Replace: "SESSION_KEY len=32 same-on-both-sides=true",
	},
	{
		Name: "wine-wrap-layout",
		Reason: "Wine's EncryptMessage puts the first len(DATA) bytes of MIT's Wrap token (header first, RRC 0) in DATA and the rest in TOKEN, and leaves PADDING alone; " +
			"Windows (MS-KILE 3.4.5.4.1) and this package put the header in TOKEN, rotate by RRC 28 (12 without confidentiality) and return PADDING empty",
		Pattern: regexp.MustCompile(`PADDING\(1\) header in DATA (flags=0x[0-9a-f]+) ec=0 rrc=0 `),
		Replace: "PADDING(0) header in TOKEN $1 ec=0 rrc=28 ",
	},
	{
		Name:    "wine-wrap-layout",
		Pattern: regexp.MustCompile(`PADDING\(1\) header in DATA (flags=0x[0-9a-f]+) ec=12 rrc=0 `),
		Replace: "PADDING(0) header in TOKEN $1 ec=12 rrc=12 ",
	},
	{
		Name:    "wine-wrap-layout-crossed",
		Reason:  "so [TOKEN, DATA] as one side's EncryptMessage left them is SEC_E_INVALID_TOKEN to the other; the same token, laid out as the receiver wants it, unwraps (the 'whole token' steps)",
		Pattern: regexp.MustCompile(`DM \[TOKEN, DATA\] as EncryptMessage left them SEC_E_INVALID_TOKEN qop=0x0 plaintext=false$`),
		Replace: "DM [TOKEN, DATA] as EncryptMessage left them SEC_E_OK qop=0x0 plaintext=true",
		Crossed: true,
	},
	{
		Name:    "wine-no-stream",
		Reason:  "Wine's DecryptMessage does not take the [STREAM, DATA] layout Windows documents for a token that arrives whole (SEC_E_INVALID_TOKEN), and this package's cannot find Wine's header at the start of TOKEN+DATA",
		Pattern: regexp.MustCompile(`DM \[STREAM = TOKEN\+DATA\+PADDING, DATA\] SEC_E_INVALID_TOKEN qop=0x0 plaintext=false$`),
		Replace: "DM [STREAM = TOKEN+DATA+PADDING, DATA] SEC_E_OK qop=0x0 plaintext=true",
	},
	{
		Name:    "mit-gss-trans-flag",
		Reason:  "MIT's authenticator checksum (RFC 4121 section 4.1.1) always carries GSS_C_TRANS_FLAG (0x100, the context may be exported); this package's carries the flags of the request",
		Pattern: regexp.MustCompile(`gss-flags=0x1([0-9a-f]{2})( |$)`),
		Replace: "gss-flags=0x$1$2",
	},
	{
		Name:     "mit-krb-cred-fields",
		Reason:   "the KRB-CRED MIT delegates has the optional nonce, timestamp and usec of EncKrbCredPart (RFC 4120 section 5.8.1); this package's leaves them out. Each side takes the other's",
		Pattern:  regexp.MustCompile(` nonce=true timestamp=true usec=true `),
		Replace:  " nonce=false timestamp=false usec=false ",
		Scenario: "delegate",
	},
	{
		Name:     "wine-no-channel-bindings",
		Reason:   "Wine's Kerberos passes GSS_C_NO_CHANNEL_BINDINGS to MIT whatever SECBUFFER_CHANNEL_BINDINGS the caller gives, so its authenticator carries a zero bindings hash and its acceptor checks nothing; an acceptor that has bindings takes a zero hash (MIT's rule, which this package follows)",
		Pattern:  regexp.MustCompile(` bindings-zero=true `),
		Replace:  " bindings-zero=false ",
		Scenario: "channel-bindings",
	},
	{
		Name:    "wine-output-too-small",
		Reason:  "an output TOKEN buffer too small for the AP-REQ gives SEC_E_INCOMPLETE_MESSAGE from Wine (and the context is deleted); Windows and this package return SEC_E_BUFFER_TOO_SMALL",
		Pattern: regexp.MustCompile(`^ISC1 SEC_E_INCOMPLETE_MESSAGE attrs=0x0 token=none$`),
		Replace: "ISC1 SEC_E_BUFFER_TOO_SMALL attrs=0x0 token=none",
	},
	{
		Name:    "wine-target-unknown",
		Reason:  "a service the KDC does not know (KDC_ERR_S_PRINCIPAL_UNKNOWN), or a GSS-style service@host name, is GSS_S_FAILURE in MIT, which Wine maps to SEC_E_INTERNAL_ERROR; Windows documents SEC_E_TARGET_UNKNOWN, which this package returns",
		Pattern: regexp.MustCompile(`^ISC1 SEC_E_INTERNAL_ERROR attrs=0x0 token=none$`),
		Replace: "ISC1 SEC_E_TARGET_UNKNOWN attrs=0x0 token=none",
	},
	{
		Name:    "wine-isc-ret-confidentiality",
		Reason:  "MIT always grants GSS_C_CONF_FLAG, so Wine's ISC returns ISC_RET_CONFIDENTIALITY (0x10) also when only ISC_REQ_INTEGRITY was asked for; this package returns the confidentiality bit only when asked for it (both acceptors see the flag, which the GSS checksum always carries)",
		Pattern: regexp.MustCompile(`^(ISC\d SEC_\w+ attrs=|client FLAGS )0x10012\b`),
		Replace: "${1}0x10002",
	},
}

// wdNormalize applies the known differences to a copy of tr and returns
// it with the names of those that changed something.
func wdNormalize(tr []string, scenario string, wine, crossed bool, used map[string]bool) []string {
	out := append([]string(nil), tr...)
	for _, k := range wdKnownDifferences {
		if !wine || k.Crossed && !crossed || k.Scenario != "" && k.Scenario != scenario {
			continue
		}
		for i, s := range out {
			if r := k.Pattern.ReplaceAllString(s, k.Replace); r != s {
				out[i] = r
				used[k.Name] = true
			}
		}
	}
	kept := out[:0]
	for _, s := range out {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return kept
}

func wdRequireRealm(t *testing.T) {
	if os.Getenv(wdRealmEnv) == "" {
		t.Skipf("needs the MIT realm TestWineKerberos makes; it runs this binary under Wine (.ci/wine)")
	}
}

// TestNativeKerberosDifferential runs every scenario with the four pairs
// of client and acceptor (go/go, native/native, and the two crossed) and
// fails when their traces differ in anything not in wdKnownDifferences.
// The crossed pairs prove that each side authenticates to the other and
// that their Wrap and MIC tokens verify on the other.
func TestNativeKerberosDifferential(t *testing.T) {
	wdRequireRealm(t)
	if _, err := sspi.AcquireNativeCredentialsHandle(PackageName, sspi.SECPKG_CRED_OUTBOUND, nil); err != nil {
		peertest.Missing(t, fmt.Sprintf("secur32 has no usable Kerberos package (under Wine it needs MIT's libkrb5-3 and libgssapi-krb5-2): %v", err))
	}
	for _, sc := range wdScenarios {
		t.Run(sc.Name, func(t *testing.T) {
			used := map[string]bool{}
			var ref []string
			var refName string
			for _, client := range wdSides {
				for _, server := range wdSides {
					name := client.Name + "->" + server.Name
					raw := wdRun(t, client, server, sc)
					norm := wdNormalize(raw, sc.Name, client.Name == "native" || server.Name == "native", client.Name != server.Name, used)
					if testing.Verbose() {
						t.Logf("%s:\n  %s", name, strings.Join(raw, "\n  "))
					}
					if ref == nil {
						ref, refName = norm, name
						continue
					}
					if !wdSameTraces(ref, norm) {
						assert.Equal(t, strings.Join(ref, "\n"), strings.Join(norm, "\n"), "%s and %s differ (after the known differences)", refName, name)
					}
				}
			}
			for _, k := range wdKnownDifferences {
				if used[k.Name] && k.Reason != "" {
					t.Logf("known difference %s: %s", k.Name, k.Reason)
				}
			}
		})
	}
}

func TestNativeKerberosKnownDifferencesHaveReasons(t *testing.T) {
	reasons := map[string]bool{}
	for _, k := range wdKnownDifferences {
		reasons[k.Name] = reasons[k.Name] || k.Reason != ""
	}
	for name, ok := range reasons {
		assert.True(t, ok, "%s has no reason", name)
	}
}

// TestNativeKerberosAllocateMemory: Wine's Kerberos ignores
// ISC_REQ_ALLOCATE_MEMORY and ASC_REQ_ALLOCATE_MEMORY (its source has a
// FIXME), so with no output buffer of the caller's it has nowhere to put
// the token; Windows and this package allocate it.
func TestNativeKerberosAllocateMemory(t *testing.T) {
	wdRequireRealm(t)
	for _, side := range wdSides {
		t.Run(side.Name, func(t *testing.T) {
			cc, err := side.Cred(sspi.SECPKG_CRED_OUTBOUND)
			require.NoError(t, err)
			out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
			_, st, err := sspi.InitializeSecurityContext(cc, nil, "host/localhost@TEST.LOCAL", wdFullReq|sspi.ISC_REQ_ALLOCATE_MEMORY, nil, out)
			t.Logf("ISC with ISC_REQ_ALLOCATE_MEMORY: %v (%v), token %d bytes", st, err, len(out[0].Buffer))
			if side.Name == "native" {
				assert.Equal(t, sspi.SEC_E_INCOMPLETE_MESSAGE, st, "Wine 8.0; Windows allocates the token")
				return
			}
			require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
			require.NotEmpty(t, out[0].Buffer)

			// The acceptor: Wine's leaves the AP-REP nowhere.
			for _, acceptor := range wdSides {
				sc, err := acceptor.Cred(sspi.SECPKG_CRED_INBOUND)
				require.NoError(t, err)
				sout := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
				_, sst, err := sspi.AcceptSecurityContext(sc, nil, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, out[0].Buffer)}, sspi.ASC_REQ_ALLOCATE_MEMORY|sspi.ASC_REQ_MUTUAL_AUTH, sout)
				t.Logf("%s ASC with ASC_REQ_ALLOCATE_MEMORY: %v (%v), token %d bytes", acceptor.Name, sst, err, len(sout[0].Buffer))
				if acceptor.Name == "native" {
					assert.Equal(t, sspi.SEC_E_BUFFER_TOO_SMALL, sst, "Wine 8.0; Windows allocates the AP-REP")
					continue
				}
				assert.Equal(t, sspi.SEC_E_OK, sst)
				assert.NotEmpty(t, sout[0].Buffer)
			}
		})
	}
}

// TestNativeKerberosBindingsMismatch: an AP-REQ bound to one channel,
// accepted with other channel bindings. This package refuses it with
// SEC_E_BAD_BINDINGS; Wine's acceptor never sees the bindings (it passes
// GSS_C_NO_CHANNEL_BINDINGS to MIT) and accepts it.
func TestNativeKerberosBindingsMismatch(t *testing.T) {
	wdRequireRealm(t)
	cc, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, nil)
	require.NoError(t, err)
	for _, acceptor := range wdSides {
		t.Run(acceptor.Name, func(t *testing.T) {
			out := wdOutput(48000)
			in := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_CHANNEL_BINDINGS, channelBindings([]byte("tls-server-end-point:one")))}
			_, st, err := sspi.InitializeSecurityContext(cc, nil, "host/localhost@TEST.LOCAL", wdFullReq, in, out)
			require.NoError(t, err)
			require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
			sc, err := acceptor.Cred(sspi.SECPKG_CRED_INBOUND)
			require.NoError(t, err)
			sin := []sspi.SecBuffer{
				sspi.NewSecBuffer(sspi.SECBUFFER_CHANNEL_BINDINGS, channelBindings([]byte("tls-server-end-point:two"))),
				sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, out[0].Buffer),
			}
			_, sst, err := sspi.AcceptSecurityContext(sc, nil, sin, sspi.ASC_REQ_MUTUAL_AUTH, wdOutput(48000))
			t.Logf("%s acceptor, other channel bindings: %v (%v)", acceptor.Name, sst, err)
			if acceptor.Name == "native" {
				assert.Equal(t, sspi.SEC_E_OK, sst, "Wine 8.0 ignores SECBUFFER_CHANNEL_BINDINGS")
				return
			}
			assert.Equal(t, sspi.SEC_E_BAD_BINDINGS, sst)
		})
	}
}
