package keys_test

import (
	"bytes"
	"crypto"
	"testing"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRFC8448KeyExchange checks that injected private keys reproduce the
// trace's key shares and shared secret from both ends.
func TestRFC8448KeyExchange(t *testing.T) {
	client, err := keys.NewPrivateShare(keys.GroupX25519, bytes.NewReader(mustHex(rfc8448ClientPrivate)))
	require.NoError(t, err)
	assert.Equal(t, mustHex(rfc8448ClientPublic), client.Public())

	serverShare, serverSecret, err := keys.RespondToShare(keys.GroupX25519, client.Public(), bytes.NewReader(mustHex(rfc8448ServerPrivate)))
	require.NoError(t, err)
	assert.Equal(t, mustHex(rfc8448ServerPublic), serverShare)
	assert.Equal(t, mustHex(rfc8448SharedSecret), serverSecret)

	clientSecret, err := client.SharedSecret(mustHex(rfc8448ServerPublic))
	require.NoError(t, err)
	assert.Equal(t, mustHex(rfc8448SharedSecret), clientSecret)
}

// TestRFC8448KeySchedule walks section 3's key schedule from the shared
// secret to the resumption PSK, feeding the transcript the trace's messages.
func TestRFC8448KeySchedule(t *testing.T) {
	const h = crypto.SHA256
	suite := keys.Suite13(0x1301)
	require.NotNil(t, suite)
	flight := mustHex(rfc8448ServerFlight)
	serverFinished := mustHex(rfc8448ServerFinished)
	require.True(t, bytes.HasSuffix(flight, serverFinished), "the flight ends with the server Finished")

	schedule := keys.NewSchedule13(h, nil)
	assert.Equal(t, mustHex(rfc8448EarlySecret), schedule.EarlySecret())
	assert.Equal(t, mustHex(rfc8448DerivedForHandshake),
		keys.DeriveSecret(h, schedule.EarlySecret(), "derived", hashOf(h)))

	schedule.SetSharedSecret(mustHex(rfc8448SharedSecret))
	assert.Equal(t, mustHex(rfc8448HandshakeSecret), schedule.HandshakeSecret())

	// The hash is unknown until the ServerHello names the suite.
	transcript := keys.NewTranscript(0)
	transcript.Write(mustHex(rfc8448ClientHello))
	transcript.SetHash(suite.Hash)
	transcript.Write(mustHex(rfc8448ServerHello))
	helloHash := transcript.Sum()
	assert.Equal(t, mustHex(rfc8448HelloHash), helloHash)

	clientHS := schedule.ClientHandshakeTrafficSecret(helloHash)
	serverHS := schedule.ServerHandshakeTrafficSecret(helloHash)
	assert.Equal(t, mustHex(rfc8448ClientHandshakeTraffic), clientHS)
	assert.Equal(t, mustHex(rfc8448ServerHandshakeTraffic), serverHS)

	transcript.Write(flight[:len(flight)-len(serverFinished)])
	serverFinishedKey := keys.FinishedKey(h, serverHS)
	assert.Equal(t, mustHex(rfc8448ServerVerifyData), keys.FinishedMAC(h, serverFinishedKey, transcript.Sum()))
	assert.True(t, keys.VerifyFinishedMAC(h, serverFinishedKey, transcript.Sum(), mustHex(rfc8448ServerVerifyData)))

	transcript.Write(serverFinished)
	serverFinishedHash := transcript.Sum()
	assert.Equal(t, mustHex(rfc8448ServerFinishedHash), serverFinishedHash)

	assert.Equal(t, mustHex(rfc8448DerivedForMaster),
		keys.DeriveSecret(h, schedule.HandshakeSecret(), "derived", hashOf(h)))
	schedule.SetMaster()
	assert.Equal(t, mustHex(rfc8448MasterSecret), schedule.MasterSecret())
	assert.Equal(t, mustHex(rfc8448ClientApplicationTraffic), schedule.ClientApplicationTrafficSecret(serverFinishedHash))
	assert.Equal(t, mustHex(rfc8448ServerApplicationTraffic), schedule.ServerApplicationTrafficSecret(serverFinishedHash))
	assert.Equal(t, mustHex(rfc8448ExporterMaster), schedule.ExporterMasterSecret(serverFinishedHash))

	clientFinishedKey := keys.FinishedKey(h, clientHS)
	assert.Equal(t, mustHex(rfc8448ClientVerifyData), keys.FinishedMAC(h, clientFinishedKey, serverFinishedHash))
	assert.False(t, keys.VerifyFinishedMAC(h, clientFinishedKey, serverFinishedHash, mustHex(rfc8448ServerVerifyData)))

	transcript.Write(mustHex(rfc8448ClientFinished))
	clientFinishedHash := transcript.Sum()
	assert.Equal(t, mustHex(rfc8448ClientFinishedHash), clientFinishedHash)
	resumptionMaster := schedule.ResumptionMasterSecret(clientFinishedHash)
	assert.Equal(t, mustHex(rfc8448ResumptionMasterSecret), resumptionMaster)
	psk := keys.ResumptionPSK(h, resumptionMaster, mustHex(rfc8448TicketNonce))
	assert.Equal(t, mustHex(rfc8448ResumptionPSK), psk)

	// Section 4 resumes with that PSK; its binder proves the schedule's PSK
	// path as well.
	resumed := keys.NewSchedule13(h, psk)
	assert.Equal(t, mustHex(rfc8448ResumedEarlySecret), resumed.EarlySecret())
	binderKey := resumed.BinderKey(true)
	assert.Equal(t, mustHex(rfc8448ResumedBinderKey), binderKey)
	binderFinishedKey := keys.FinishedKey(h, binderKey)
	assert.Equal(t, mustHex(rfc8448ResumedBinderFinishedKey), binderFinishedKey)
	assert.Equal(t, mustHex(rfc8448ResumedBinder),
		keys.FinishedMAC(h, binderFinishedKey, mustHex(rfc8448ResumedTruncatedHelloHash)))
	assert.NotEqual(t, binderKey, resumed.BinderKey(false), "external and resumption binders must differ")
}

func TestRFC8448TrafficKeys(t *testing.T) {
	suite := keys.Suite13(0x1301)
	require.NotNil(t, suite)
	tests := []struct {
		name            string
		secret          string
		wantKey, wantIV string
	}{
		{"server handshake", rfc8448ServerHandshakeTraffic, rfc8448ServerHandshakeKey, rfc8448ServerHandshakeIV},
		{"client handshake", rfc8448ClientHandshakeTraffic, rfc8448ClientHandshakeKey, rfc8448ClientHandshakeIV},
		{"server application", rfc8448ServerApplicationTraffic, rfc8448ServerApplicationKey, rfc8448ServerApplicationIV},
		{"client application", rfc8448ClientApplicationTraffic, rfc8448ClientApplicationKey, rfc8448ClientApplicationIV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, iv := keys.TrafficKeys(suite, mustHex(tt.secret))
			assert.Equal(t, mustHex(tt.wantKey), key)
			assert.Equal(t, mustHex(tt.wantIV), iv)
		})
	}
}

// TestRFC8448Records seals the trace's plaintexts into byte-exact copies of
// its protected records, in the order each direction sends them, and opens
// the published records back.
func TestRFC8448Records(t *testing.T) {
	suite := keys.Suite13(0x1301)
	require.NotNil(t, suite)
	type record struct {
		name        string
		contentType uint8
		plaintext   string
		wire        string
	}
	directions := []struct {
		name    string
		secret  string
		records []record
	}{
		{"server handshake", rfc8448ServerHandshakeTraffic, []record{
			{"EncryptedExtensions..Finished", 22, rfc8448ServerFlight, rfc8448ServerFlightRecord},
		}},
		{"client handshake", rfc8448ClientHandshakeTraffic, []record{
			{"Finished", 22, rfc8448ClientFinished, rfc8448ClientFinishedRecord},
		}},
		{"server application", rfc8448ServerApplicationTraffic, []record{
			{"NewSessionTicket", 22, rfc8448NewSessionTicket, rfc8448TicketRecord},
			{"application data", 23, rfc8448ApplicationData, rfc8448ServerDataRecord},
			{"close_notify", 21, rfc8448CloseNotify, rfc8448ServerAlertRecord},
		}},
		{"client application", rfc8448ClientApplicationTraffic, []record{
			{"application data", 23, rfc8448ApplicationData, rfc8448ClientDataRecord},
			{"close_notify", 21, rfc8448CloseNotify, rfc8448ClientAlertRecord},
		}},
	}
	for _, dir := range directions {
		t.Run(dir.name, func(t *testing.T) {
			sealer, err := keys.NewRecordProtection13(suite, mustHex(dir.secret))
			require.NoError(t, err)
			opener, err := keys.NewRecordProtection13(suite, mustHex(dir.secret))
			require.NoError(t, err)
			for i, rec := range dir.records {
				plaintext := mustHex(rec.plaintext)
				wire := mustHex(rec.wire)

				assert.Equal(t, wire, seal(t, sealer, rec.contentType, plaintext), "sealing %s", rec.name)

				contentType, opened, err := opener.Open(bytes.Clone(wire))
				require.NoError(t, err, "opening %s", rec.name)
				assert.Equal(t, rec.contentType, contentType, rec.name)
				assert.Equal(t, plaintext, opened, rec.name)

				assert.Equal(t, uint64(i+1), sealer.Sequence())
				assert.Equal(t, uint64(i+1), opener.Sequence())
			}
		})
	}
}
