package schannel_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/sspi"
)

// sspiStep is one handshake call through the package-neutral surface; it
// returns the output token and the status.
func sspiStep(t *testing.T, cred *sspi.Credentials, ctx **sspi.Context, server bool, target string, inbox []byte) ([]byte, sspi.Status) {
	t.Helper()
	var input []sspi.SecBuffer
	if server || *ctx != nil {
		input = []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, inbox), sspi.NewSecBuffer(sspi.SECBUFFER_EMPTY, nil)}
	}
	output := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}, {BufferType: sspi.SECBUFFER_ALERT}}
	var status sspi.Status
	var err error
	if server {
		*ctx, status, err = sspi.AcceptSecurityContext(cred, *ctx, input, sspi.ASC_REQ_ALLOCATE_MEMORY, output)
	} else {
		*ctx, status, err = sspi.InitializeSecurityContext(cred, *ctx, target, sspi.ISC_REQ_ALLOCATE_MEMORY, input, output)
	}
	require.NoError(t, err)
	if len(input) > 1 {
		require.NotEqual(t, sspi.SECBUFFER_EXTRA, input[1].BufferType, "whole flights leave nothing over")
	}
	return output[0].Buffer, status
}

// sspiHandshake drives a client and a server context to SEC_E_OK through the
// package-neutral calls alone, one whole flight at a time.
func sspiHandshake(t *testing.T, ccred, scred *sspi.Credentials, target string) (client, server *sspi.Context) {
	t.Helper()
	var toServer, toClient []byte
	clientDone, serverDone := false, false
	for range 10 {
		if !clientDone {
			var out []byte
			var status sspi.Status
			out, status = sspiStep(t, ccred, &client, false, target, toClient)
			toClient, toServer = nil, append(toServer, out...)
			clientDone = status == sspi.SEC_E_OK
		}
		if !serverDone && len(toServer) > 0 {
			var out []byte
			var status sspi.Status
			out, status = sspiStep(t, scred, &server, true, "", toServer)
			toServer, toClient = nil, append(toClient, out...)
			serverDone = status == sspi.SEC_E_OK
		}
		if clientDone && serverDone {
			return client, server
		}
	}
	t.Fatal("the handshake did not finish")
	return nil, nil
}

// Schannel is reached by name through the package-neutral surface, with the
// same statuses, attributes and data path as through the root package.
func TestSchannelThroughTheSSPISurface(t *testing.T) {
	p := pki(t)
	for _, name := range []string{"Schannel", schannel.PackageName, "default tls ssp"} {
		t.Run(name, func(t *testing.T) {
			ccred, err := sspi.AcquireCredentialsHandle("", name, sspi.SECPKG_CRED_OUTBOUND, p.clientConfig())
			require.NoError(t, err)
			scred, err := sspi.AcquireCredentialsHandle("", name, sspi.SECPKG_CRED_INBOUND, p.serverConfig())
			require.NoError(t, err)
			var events []sspi.TraceEvent
			ccred.SetTrace(func(e sspi.TraceEvent) { events = append(events, e) })

			client, server := sspiHandshake(t, ccred, scred, p.clientConfig().ServerName)

			info, err := client.QueryContextAttributes(sspi.SECPKG_ATTR_PACKAGE_INFO)
			require.NoError(t, err)
			assert.Equal(t, uint16(14), info.(sspi.PackageInfo).RPCID)
			nego, err := server.QueryContextAttributes(sspi.SECPKG_ATTR_NEGOTIATION_INFO)
			require.NoError(t, err)
			assert.Equal(t, uint32(sspi.SECPKG_NEGOTIATION_COMPLETE), nego.(sspi.NegotiationInfo).NegotiationState)
			flags, err := client.QueryContextAttributes(sspi.SECPKG_ATTR_FLAGS)
			require.NoError(t, err)
			assert.Equal(t, client.Attributes(), flags.(sspi.Flags).Flags)
			sizes, err := client.QueryContextAttributes(sspi.SECPKG_ATTR_STREAM_SIZES)
			require.NoError(t, err)
			assert.Equal(t, 16384, sizes.(schannel.StreamSizes).MaximumMessage)

			// Data goes through, in place, through the neutral calls.
			record := make([]byte, 5+5+17)
			copy(record[5:], "hello")
			bufs := []sspi.SecBuffer{
				sspi.NewSecBuffer(sspi.SECBUFFER_STREAM_HEADER, record[:5]),
				sspi.NewSecBuffer(sspi.SECBUFFER_DATA, record[5:10]),
				sspi.NewSecBuffer(sspi.SECBUFFER_STREAM_TRAILER, record[10:]),
				sspi.NewSecBuffer(sspi.SECBUFFER_EMPTY, nil),
			}
			status, err := client.EncryptMessage(0, bufs)
			require.NoError(t, err)
			require.Equal(t, sspi.SEC_E_OK, status)
			sent := record[:bufs[0].Size+bufs[1].Size+bufs[2].Size]
			in := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, sent), {}, {}, {}}
			qop, status, err := server.DecryptMessage(in)
			require.NoError(t, err)
			assert.Equal(t, sspi.SEC_E_OK, status)
			assert.Zero(t, qop)
			assert.Equal(t, "hello", string(in[1].Buffer))

			// Schannel has no signatures, as on Windows.
			status, err = client.MakeSignature(0, nil)
			assert.Equal(t, sspi.SEC_E_UNSUPPORTED_FUNCTION, status)
			assert.Error(t, err)

			// The credentials' trace hook saw every call, named by package.
			require.NotEmpty(t, events)
			assert.Equal(t, "InitializeSecurityContext", events[0].Func)
			assert.Equal(t, "EncryptMessage", events[len(events)-2].Func)
			assert.Equal(t, "MakeSignature", events[len(events)-1].Func)
			for _, e := range events {
				assert.True(t, strings.EqualFold(name, e.Package), "events name the package as registered: %q", e.Package)
			}
		})
	}
}

// A context from the neutral surface and one from the root package are the
// same thing: the root's names are aliases, and the root Context adds TLS.
func TestRootNamesAreTheSSPINames(t *testing.T) {
	var b schannel.SecBuffer = sspi.NewSecBuffer(schannel.SECBUFFER_TOKEN, nil)
	var s schannel.Status = sspi.SEC_E_OK
	var c *schannel.Credentials
	c, err := sspi.AcquireCredentialsHandle("", "Schannel", schannel.SECPKG_CRED_OUTBOUND, nil)
	require.NoError(t, err)
	assert.Equal(t, sspi.SECBUFFER_TOKEN, b.BufferType)
	assert.Equal(t, schannel.SEC_E_OK, s)
	assert.Equal(t, schannel.PackageName, func() string {
		cred, _ := schannel.AcquireCredentialsHandle(schannel.SECPKG_CRED_OUTBOUND, nil)
		return cred.PackageInfo().Name
	}())
	assert.Equal(t, "Schannel", c.PackageInfo().Name)
	// Auth data that is not a *tls.Config is refused.
	_, err = sspi.AcquireCredentialsHandle("", "Schannel", schannel.SECPKG_CRED_OUTBOUND, "not a config")
	assert.ErrorIs(t, err, sspi.SEC_E_UNKNOWN_CREDENTIALS)
}
