package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gosspi/schannel/internal/kerberos/files"
	"github.com/gosspi/schannel/kerberos"
	"github.com/gosspi/schannel/sspi"
)

// kinit gets a TGT into MIT's credential cache, with a password read
// from the terminal (without echo) or stdin, or with -k from a keytab.
func (c *cli) kinit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("kinit", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	useKeytab := fs.Bool("k", false, "use a keytab instead of a password")
	keytab := fs.String("t", "", "with -k, the keytab (default: KRB5_KTNAME, then default_keytab_name)")
	cache := fs.String("c", "", "the credential cache (default: KRB5CCNAME, then default_ccache_name)")
	enterprise := fs.Bool("E", false, "the principal is an enterprise name, user@domain[@REALM] (as MIT's kinit -E)")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: schannel kinit [-k [-t keytab]] [-E] [-c cache] principal\n\nGets a ticket-granting ticket into MIT's credential cache, as MIT's kinit.\nThe password is read from the terminal, or from stdin when it is not one.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 || (fs.NArg() == 0 && !*useKeytab) {
		fs.Usage()
		return fmt.Errorf("kinit takes one principal")
	}
	principal := fs.Arg(0)
	cfg := &kerberos.Config{CCache: *cache}
	if *useKeytab {
		if *enterprise {
			return fmt.Errorf("kinit: -E needs a password, not -k")
		}
		cfg.ClientKeytab = *keytab
		if cfg.ClientKeytab == "" {
			cfg.ClientKeytab = kerberos.DefaultKeytab()
		}
	} else {
		password, err := c.readPassword(fmt.Sprintf("Password for %s: ", principal))
		if err != nil {
			return err
		}
		cfg.Identity = &sspi.AuthIdentity{User: principal, Password: password}
		if *enterprise {
			// user@domain goes to default_realm's KDC, user@domain@REALM
			// to REALM's, as an NT-ENTERPRISE name (Identity with a
			// Domain and a User with "@").
			user, realm := principal, ""
			if strings.Count(principal, "@") > 1 {
				i := strings.LastIndexByte(principal, '@')
				user, realm = principal[:i], principal[i+1:]
			} else if kc, err := files.LoadConfig(); err == nil {
				realm = kc.DefaultRealm
			}
			if !strings.Contains(user, "@") || realm == "" {
				return fmt.Errorf("kinit -E: %q is not user@domain[@REALM] (or there is no default_realm)", principal)
			}
			cfg.Identity.User, cfg.Identity.Domain = user, realm
			principal = ""
		}
	}
	_, err := kerberos.InitCredentialCache(ctx, principal, cfg)
	return err
}

// readPassword prompts on stderr and reads one line: from the terminal
// with echo off when stdin is one, else from stdin as it comes.
func (c *cli) readPassword(prompt string) (string, error) {
	fmt.Fprint(c.stderr, prompt)
	if f, ok := c.stdin.(*os.File); ok {
		if restore, err := noEcho(f); err == nil {
			defer func() {
				restore()
				fmt.Fprintln(c.stderr)
			}()
		}
	}
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// klist lists a credential cache as MIT's klist does.
func (c *cli) klist(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("klist", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	cache := fs.String("c", "", "the credential cache (default: KRB5CCNAME, then default_ccache_name)")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: schannel klist [-c cache]\n\nLists the tickets of MIT's credential cache, as MIT's klist.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("klist takes no arguments")
	}
	path, who, tickets, err := kerberos.ListCredentialCache(*cache, nil)
	if err != nil {
		return err
	}
	const layout = "01/02/06 15:04:05"
	fmt.Fprintf(c.stdout, "Ticket cache: FILE:%s\nDefault principal: %s\n\n", path, who)
	fmt.Fprintf(c.stdout, "%-18s %-18s %s\n", "Valid starting", "Expires", "Service principal")
	for _, t := range tickets {
		start := t.StartTime
		if start.IsZero() {
			start = t.AuthTime
		}
		line := fmt.Sprintf("%-18s %-18s %s", start.Local().Format(layout), t.EndTime.Local().Format(layout), t.Server)
		if t.Expired {
			line += " (expired)"
		}
		fmt.Fprintln(c.stdout, line)
		if !t.RenewTill.IsZero() {
			fmt.Fprintf(c.stdout, "\trenew until %s\n", t.RenewTill.Local().Format(layout))
		}
	}
	return nil
}

// kdestroy removes the credential cache, as MIT's kdestroy.
func (c *cli) kdestroy(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("kdestroy", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	cache := fs.String("c", "", "the credential cache (default: KRB5CCNAME, then default_ccache_name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("kdestroy takes no arguments")
	}
	_, err := kerberos.DestroyCredentialCache(*cache, nil)
	return err
}
