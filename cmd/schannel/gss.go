package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gosspi/schannel/internal/gsssample"
	"github.com/gosspi/schannel/kerberos"
	"github.com/gosspi/schannel/sspi"
)

// spnOf accepts MIT's GSS form service@host as well as an SPN
// (service/host[@REALM]), and returns the SPN SSPI takes.
func spnOf(name string) string {
	if !strings.Contains(name, "/") {
		if svc, host, ok := strings.Cut(name, "@"); ok {
			return svc + "/" + host
		}
	}
	return name
}

// wrapToken makes one whole Wrap token with EncryptMessage: the TOKEN
// buffer followed by the encrypted DATA.
func wrapToken(ctx *sspi.Context, msg []byte, encrypt bool) ([]byte, error) {
	v, err := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
	if err != nil {
		return nil, err
	}
	qop := uint32(0)
	if !encrypt {
		qop = sspi.SECQOP_WRAP_NO_ENCRYPT
	}
	data := append([]byte(nil), msg...)
	bufs := []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, v.(sspi.Sizes).SecurityTrailer)),
		sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data),
		sspi.NewSecBuffer(sspi.SECBUFFER_PADDING, make([]byte, v.(sspi.Sizes).BlockSize)),
	}
	if _, err := ctx.EncryptMessage(qop, bufs); err != nil {
		return nil, err
	}
	tok := append(append([]byte(nil), bufs[0].Buffer[:bufs[0].Size]...), bufs[1].Buffer...)
	// A DCE-style EncryptMessage token has EC 16 and RRC 28 but is
	// rotated by RRC+EC, as Windows lays it out for its buffers (MS-KILE
	// section 3.4.5.4.1). As one whole token in the samples' stream, MIT's
	// gss_unwrap reads it as RFC 4121 section 4.2.5 says, rotated by RRC
	// alone: so state the whole rotation. RRC is outside the token's
	// integrity protection, and our DecryptMessage reads either form.
	if encrypt && len(tok) >= 8 {
		if ec := binary.BigEndian.Uint16(tok[4:]); ec != 0 {
			binary.BigEndian.PutUint16(tok[6:], binary.BigEndian.Uint16(tok[6:])+ec)
		}
	}
	return tok, nil
}

// unwrapToken unwraps a whole token with DecryptMessage([STREAM, DATA]).
func unwrapToken(ctx *sspi.Context, tok []byte) ([]byte, bool, error) {
	bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, tok), {BufferType: sspi.SECBUFFER_DATA}}
	qop, _, err := ctx.DecryptMessage(bufs)
	if err != nil {
		return nil, false, err
	}
	return bufs[1].Buffer, qop != sspi.SECQOP_WRAP_NO_ENCRYPT, nil
}

func makeMIC(ctx *sspi.Context, msg []byte) ([]byte, error) {
	v, err := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
	if err != nil {
		return nil, err
	}
	bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, msg), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, v.(sspi.Sizes).MaxSignature))}
	if _, err := ctx.MakeSignature(0, bufs); err != nil {
		return nil, err
	}
	return bufs[1].Buffer[:bufs[1].Size], nil
}

func verifyMIC(ctx *sspi.Context, msg, mic []byte) error {
	_, _, err := ctx.VerifySignature([]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, msg), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, mic)})
	return err
}

// gssClient is MIT's gss-client on the SSPI calls: it establishes a
// context with the server, sends the message wrapped, and checks the MIC
// the server sends back.
func (c *cli) gssClient(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("gss-client", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	port := fs.Int("port", 4444, "the server's port")
	noMutual := fs.Bool("nomutual", false, "do not ask for mutual authentication (one leg)")
	delegate := fs.Bool("d", false, "delegate the TGT (ISC_REQ_DELEGATE)")
	seq := fs.Bool("seq", false, "ask for sequence detection (ISC_REQ_SEQUENCE_DETECT)")
	dce := fs.Bool("dce", false, "DCE style (ISC_REQ_USE_DCE_STYLE): three legs, bare AP-REQ and AP-REPs")
	noWrap := fs.Bool("nw", false, "send the message unwrapped")
	noEncrypt := fs.Bool("nx", false, "wrap for integrity only (SECQOP_WRAP_NO_ENCRYPT)")
	noMIC := fs.Bool("nm", false, "do not ask the server for a MIC")
	verbose := fs.Bool("v", false, "print the SSPI log")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: schannel gss-client [flags] host service msg\n\nMIT's gss-client over InitializeSecurityContext (Kerberos): service is an\nSPN (host/localhost) or MIT's form (host@localhost).\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 3 {
		fs.Usage()
		return fmt.Errorf("gss-client takes host, service and msg")
	}
	host, target, msg := fs.Arg(0), spnOf(fs.Arg(1)), []byte(fs.Arg(2))
	cred, err := kerberos.AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, &kerberos.Config{Context: ctx})
	if err != nil {
		return err
	}
	if *verbose {
		cred.SetTrace((&sspiLog{w: c.stderr, records: true}).hook)
	}
	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(*port)))
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	req := uint32(sspi.ISC_REQ_MUTUAL_AUTH | sspi.ISC_REQ_REPLAY_DETECT | sspi.ISC_REQ_CONFIDENTIALITY | sspi.ISC_REQ_ALLOCATE_MEMORY)
	if *noMutual {
		req &^= sspi.ISC_REQ_MUTUAL_AUTH
	}
	if *delegate {
		req |= sspi.ISC_REQ_DELEGATE
	}
	if *seq {
		req |= sspi.ISC_REQ_SEQUENCE_DETECT
	}
	if *dce {
		req |= sspi.ISC_REQ_USE_DCE_STYLE
	}
	if err := gsssample.WriteToken(conn, gsssample.Noop|gsssample.ContextNext, nil); err != nil {
		return err
	}
	var sctx *sspi.Context
	var in []sspi.SecBuffer
	for {
		out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		var st sspi.Status
		sctx, st, err = sspi.InitializeSecurityContext(cred, sctx, target, req, in, out)
		if err != nil {
			return err
		}
		if len(out[0].Buffer) > 0 {
			if err := gsssample.WriteToken(conn, gsssample.Context, out[0].Buffer); err != nil {
				return err
			}
		}
		if st == sspi.SEC_E_OK {
			break
		}
		flags, tok, err := gsssample.ReadToken(conn)
		if err != nil {
			return fmt.Errorf("reading the server's context token: %w", err)
		}
		if flags != gsssample.Context {
			return fmt.Errorf("expected a context token, got flags %#x", flags)
		}
		in = []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok)}
	}
	names, _ := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NATIVE_NAMES)
	if nn, ok := names.(sspi.NativeNames); ok {
		fmt.Fprintf(c.stdout, "\"%s\" to \"%s\", flags %#x\n", nn.ClientName, nn.ServerName, sctx.Attributes())
	}

	payload, flags := msg, byte(gsssample.Data)
	if !*noWrap {
		if payload, err = wrapToken(sctx, msg, !*noEncrypt); err != nil {
			return err
		}
		flags |= gsssample.Wrapped
		if !*noEncrypt {
			flags |= gsssample.Encrypted
		}
	}
	if !*noMIC {
		flags |= gsssample.SendMIC
	}
	if err := gsssample.WriteToken(conn, flags, payload); err != nil {
		return err
	}
	rflags, mic, err := gsssample.ReadToken(conn)
	if err != nil {
		return fmt.Errorf("reading the server's answer: %w", err)
	}
	if !*noMIC {
		if rflags != gsssample.MIC {
			return fmt.Errorf("expected a MIC, got flags %#x", rflags)
		}
		if err := verifyMIC(sctx, msg, mic); err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, "Signature verified.")
	}
	if err := gsssample.WriteToken(conn, gsssample.Noop, nil); err != nil {
		return err
	}
	return sctx.DeleteSecurityContext()
}

// gssServer is MIT's gss-server on the SSPI calls: for each connection it
// accepts a context, unwraps each message and answers with a MIC of it.
// ready, when not nil, receives the listening address (for tests).
func (c *cli) gssServer(ctx context.Context, args []string, ready func(addr string)) error {
	fs := flag.NewFlagSet("gss-server", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	port := fs.Int("port", 4444, "the port to listen on, on all addresses (0: any free port)")
	once := fs.Bool("once", false, "serve one connection and exit")
	keytab := fs.String("keytab", "", "the keytab (default: KRB5_KTNAME, then default_keytab_name)")
	verbose := fs.Bool("v", false, "print the SSPI log")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: schannel gss-server [flags] [service]\n\nMIT's gss-server over AcceptSecurityContext (Kerberos). service (an SPN,\nor MIT's host@localhost) restricts the keytab to that principal; without\nit any principal of the keytab is accepted.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return fmt.Errorf("gss-server takes at most one service")
	}
	principal := ""
	if fs.NArg() == 1 {
		principal = spnOf(fs.Arg(0))
	}
	cred, err := kerberos.AcquireCredentialsHandle(principal, sspi.SECPKG_CRED_INBOUND, &kerberos.Config{Keytab: *keytab})
	if err != nil {
		return err
	}
	if *verbose {
		cred.SetTrace((&sspiLog{w: c.stderr, records: true}).hook)
	}
	l, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(*port)))
	if err != nil {
		return err
	}
	defer l.Close()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	if ready != nil {
		ready(l.Addr().String())
	}
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		err = c.gssServe(ctx, cred, conn)
		conn.Close()
		if err != nil {
			fmt.Fprintln(c.stderr, "gss-server:", err)
		}
		if *once {
			return err
		}
	}
}

func (c *cli) gssServe(ctx context.Context, cred *sspi.Credentials, conn net.Conn) error {
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	flags, _, err := gsssample.ReadToken(conn)
	if err != nil {
		return err
	}
	if flags&gsssample.Noop == 0 {
		return fmt.Errorf("expected a NOOP token, got flags %#x", flags)
	}
	if flags&gsssample.ContextNext == 0 {
		return errors.New("the client wants no context; this server only does Kerberos")
	}
	var sctx *sspi.Context
	for {
		flags, tok, err := gsssample.ReadToken(conn)
		if err != nil {
			return err
		}
		if flags != gsssample.Context {
			return fmt.Errorf("expected a context token, got flags %#x", flags)
		}
		out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		var st sspi.Status
		sctx, st, err = sspi.AcceptSecurityContext(cred, sctx, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok)}, sspi.ASC_REQ_ALLOCATE_MEMORY, out)
		if err != nil {
			return err
		}
		if len(out[0].Buffer) > 0 {
			if err := gsssample.WriteToken(conn, gsssample.Context, out[0].Buffer); err != nil {
				return err
			}
		}
		if st == sspi.SEC_E_OK {
			break
		}
	}
	defer sctx.DeleteSecurityContext()
	if names, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES); err == nil {
		fmt.Fprintf(c.stdout, "Accepted connection: \"%s\"\n", names.(sspi.Names).UserName)
	}
	if sctx.Attributes()&sspi.ASC_RET_DELEGATE != 0 {
		if _, err := kerberos.DelegatedCredentials(sctx); err == nil {
			fmt.Fprintln(c.stdout, "Delegated credentials received.")
		}
	}
	for {
		flags, tok, err := gsssample.ReadToken(conn)
		if err != nil {
			return err
		}
		if flags&gsssample.Noop != 0 {
			return nil
		}
		msg := tok
		if flags&gsssample.Wrapped != 0 {
			var conf bool
			if msg, conf, err = unwrapToken(sctx, tok); err != nil {
				return err
			}
			if conf {
				fmt.Fprintln(c.stdout, "Received a sealed message.")
			} else {
				fmt.Fprintln(c.stdout, "Received an integrity-only message.")
			}
		}
		fmt.Fprintf(c.stdout, "Received message: \"%s\"\n", strings.TrimRight(string(msg), "\x00"))
		if flags&gsssample.SendMIC != 0 {
			mic, err := makeMIC(sctx, msg)
			if err != nil {
				return err
			}
			if err := gsssample.WriteToken(conn, gsssample.MIC, mic); err != nil {
				return err
			}
		} else if err := gsssample.WriteToken(conn, gsssample.Noop, nil); err != nil {
			return err
		}
	}
}
