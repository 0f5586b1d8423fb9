// Command schannel shows this module's TLS stack at work, the way Schannel
// programmers look at theirs: as a log of SSPI calls.
//
//	schannel [demo]            a local server and client: SSPI log, HTTP, SMTP banner
//	schannel connect host:port like openssl s_client: log, chain, parameters, then stdin <-> conn
//	schannel serve addr        a TLS echo (or -http) server with a generated certificate
//	schannel packages          the security packages, as EnumerateSecurityPackages lists them
//	schannel get URL           an HTTP client like curl: HTTP/2 or HTTP/1.1 by ALPN
//	schannel kinit|klist|kdestroy  MIT's credential cache, as MIT's tools
//	schannel gss-client|gss-server MIT's krb5-gss-samples over the Kerberos package
//
// Run "schannel <command> -h" for the flags of each command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// cli carries the standard streams, so the commands can run inside tests.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	if err := c.run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h: the usage was printed
		}
		fmt.Fprintln(os.Stderr, "schannel:", err)
		os.Exit(1)
	}
}

func (c *cli) run(ctx context.Context, args []string) error {
	cmd := "demo"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "demo":
		return c.demo(ctx, args)
	case "connect":
		return c.connect(ctx, args)
	case "serve":
		return c.serve(ctx, args, nil)
	case "packages":
		return c.packages(ctx, args)
	case "get":
		return c.get(ctx, args)
	case "kinit":
		return c.kinit(ctx, args)
	case "klist":
		return c.klist(ctx, args)
	case "kdestroy":
		return c.kdestroy(ctx, args)
	case "gss-client":
		return c.gssClient(ctx, args)
	case "gss-server":
		return c.gssServer(ctx, args, nil)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(c.stdout, usage)
		return nil
	}
	fmt.Fprint(c.stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

const usage = `usage: schannel [command] [flags]

commands:
  demo             (default) run a local server and client on 127.0.0.1 and show
                   the SSPI log of the handshake, an HTTP request, an SMTP-style
                   banner exchange and the negotiated parameters
  connect host:port
                   connect like openssl s_client: SSPI log, certificate chain and
                   parameters on stderr, then stdin -> connection -> stdout
  serve addr       a TLS echo server (-http: an HTTP/2 and HTTP/1.1 server) with
                   -cert/-key or a generated certificate whose CA it prints
  packages         list the security packages (EnumerateSecurityPackages): name,
                   capabilities, cbMaxToken
  get URL          fetch URL like curl (HTTP/2 when the server chooses h2); -v
                   shows the SSPI log, the chain and the negotiated parameters
  kinit [-k [-t keytab]] [-E] principal
                   get a TGT into MIT's credential cache (password from the
                   terminal or stdin)
  klist, kdestroy  list or remove MIT's credential cache
  gss-client [flags] host service msg
  gss-server [flags] [service]
                   MIT's krb5-gss-samples over the Kerberos package, so either
                   side can be swapped with MIT's

run "schannel <command> -h" for the flags of a command
`
