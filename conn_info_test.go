package schannel_test

import (
	"crypto/tls"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConnectionInfoNamesTheGroup: SECPKG_ATTR_CONNECTION_INFO names the
// ECDHE group on both sides and both versions. A TLS 1.2 client once
// reported 0 here; this is the regression test.
func TestConnectionInfoNamesTheGroup(t *testing.T) {
	p := pki(t)
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			ccfg := p.clientConfig()
			ccfg.MaxVersion = version
			ccfg.CurvePreferences = []tls.CurveID{tls.CurveP256}
			client, server := connPair(t, connTransports[0], ccfg, p.serverConfig())
			for name, ctx := range map[string]*schannel.Context{"client": client.Context(), "server": server.Context()} {
				ci, err := ctx.ConnectionInfo()
				require.NoError(t, err)
				assert.Equal(t, tls.CurveP256, ci.KeyExchangeGroup, "%s, %s", name, tls.VersionName(version))
			}
		})
	}
}
