package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPackagesListsSchannelAsWindowsDoes(t *testing.T) {
	c, stdout, _ := testCLI("")
	require.NoError(t, c.run(context.Background(), []string{"packages"}))
	out := stdout.String()
	for _, want := range []string{
		"Name        : Microsoft Unified Security Protocol Provider\n",
		"Name        : Schannel\n",
		"Comment     : Schannel Security Package\n",
		"Capabilities: 0x004107b3 (INTEGRITY PRIVACY CONNECTION MULTI_REQUIRED EXTENDED_ERROR IMPERSONATION ACCEPT_WIN32_NAME STREAM MUTUAL_AUTH APPCONTAINER_PASSTHROUGH)\n",
		"MaxToken    : 24576\n",
		"RPCID       : 14\n",
	} {
		assert.Contains(t, out, want)
	}
	assert.Error(t, c.run(context.Background(), []string{"packages", "extra"}))
}
