package schannel_test

import (
	"testing"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandshakeSplits(t *testing.T) {
	splits := map[string]splitter{
		"all at once": allAtOnce,
		"one byte":    oneByte,
		"random 1":    randomSplits(1),
		"random 2":    randomSplits(2),
		"random 3":    randomSplits(3),
	}
	for name, split := range splits {
		t.Run(name, func(t *testing.T) {
			p := pki(t)
			client, server := newPeers(t, p.clientConfig(), p.serverConfig())
			require.NoError(t, handshakePair(t, client, server, split))
			absorbPostHandshake(t, client, append(client.inbox, client.wire...))
			ci, err := client.ctx.ConnectionInfo()
			require.NoError(t, err)
			assert.Equal(t, uint32(schannel.SP_PROT_TLS1_3_CLIENT), ci.Protocol)

			msg := []byte("hello over SSPI")
			rec := encrypt(t, client.ctx, msg)
			plain, status := decryptAll(t, server.ctx, rec)
			assert.Equal(t, schannel.SEC_E_OK, status)
			assert.Equal(t, msg, plain)
			rec = encrypt(t, server.ctx, []byte("and back"))
			plain, status = decryptAll(t, client.ctx, rec)
			assert.Equal(t, schannel.SEC_E_OK, status)
			assert.Equal(t, "and back", string(plain))
		})
	}
}
