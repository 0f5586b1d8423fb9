package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/gosspi/schannel/sspi"
)

// packages prints what EnumerateSecurityPackages returns, one block per
// package, in the layout Windows tools use for SecPkgInfo.
func (c *cli) packages(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("packages", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: schannel packages\n\nlists the security packages of this module (EnumerateSecurityPackages)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("packages takes no arguments")
	}
	infos, err := sspi.EnumerateSecurityPackages()
	if err != nil {
		return err
	}
	for i, info := range infos {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		fmt.Fprintf(c.stdout, "Name        : %s\n", info.Name)
		fmt.Fprintf(c.stdout, "Comment     : %s\n", info.Comment)
		fmt.Fprintf(c.stdout, "Capabilities: 0x%08x (%s)\n", info.Capabilities, strings.Join(info.CapabilityNames(), " "))
		fmt.Fprintf(c.stdout, "MaxToken    : %d\n", info.MaxToken)
		fmt.Fprintf(c.stdout, "RPCID       : %d\n", info.RPCID)
		fmt.Fprintf(c.stdout, "Version     : %d\n", info.Version)
	}
	return nil
}
