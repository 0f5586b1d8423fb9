package engine

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// readCapture reads a message captured from MIT by the wire package's
// testdata/mit/capture.sh.
func readCapture(t testing.TB, name string) []byte {
	raw, err := os.ReadFile(filepath.Join("..", "wire", "testdata", "mit", name))
	require.NoError(t, err)
	var keep []string
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "#") {
			keep = append(keep, strings.TrimSpace(line))
		}
	}
	b, err := hex.DecodeString(strings.Join(keep, ""))
	require.NoError(t, err)
	return b
}

// TestAcceptMITCapture accepts the AP-REQ MIT's gss-client sent in the
// capture, at the capture's time, with the host key capture.sh recorded;
// replayed a second time through the same cache it is refused, and an
// hour later it is skewed.
func TestAcceptMITCapture(t *testing.T) {
	secrets := map[string]string{}
	raw, err := os.ReadFile(filepath.Join("..", "wire", "testdata", "mit", "secrets.txt"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) == 2 && !strings.HasPrefix(line, "#") {
			secrets[f[0]] = f[1]
		}
	}
	hostKey, err := hex.DecodeString(secrets["host-key-aes256"])
	require.NoError(t, err)
	var kerr wire.KRBError
	require.NoError(t, kerr.Unmarshal(readCapture(t, "krb-error.hex")))
	captured := kerr.STime // the KDC's clock during the capture

	cfg := AcceptorConfig{
		Keys: func(svc wire.PrincipalName, realm string, etype int32, kvno uint32) ([]byte, bool) {
			return hostKey, realm == "TEST.LOCAL" && etype == crypto.AES256CTSHMACSHA196 &&
				len(svc.NameString) == 2 && svc.NameString[0] == "host" && svc.NameString[1] == "localhost"
		},
		Replay: NewReplayCache(16, 10*time.Minute),
		Now:    func() time.Time { return captured },
	}
	tok := readCapture(t, "gss-ap-req.hex")
	acc, err := Accept(cfg, tok)
	require.NoError(t, err)
	assert.Equal(t, []string{"user"}, acc.Client.NameString)
	assert.Equal(t, "TEST.LOCAL", acc.CRealm)
	assert.NotZero(t, acc.Keys.Flags&GSSMutualFlag)
	assert.NotNil(t, acc.Reply)

	require.NotNil(t, acc.PAC)
	assert.Equal(t, "user", acc.PAC.ClientInfo.Name)

	_, err = Accept(cfg, tok)
	assert.ErrorIs(t, err, sspi.SEC_E_INVALID_TOKEN, "the replay cache remembers it")

	// The same ticket with one byte of its PAC changed and re-encrypted
	// in the service key: only the PAC's signature can tell.
	forged := retoken(t, tok, func(r *wire.APReq) {
		aes256, _ := crypto.Lookup(crypto.AES256CTSHMACSHA196)
		plain, err := aes256.Decrypt(hostKey, crypto.UsageKDCRepTicket, r.Ticket.EncPart.Cipher)
		require.NoError(t, err)
		var etp wire.EncTicketPart
		require.NoError(t, etp.Unmarshal(plain))
		var inner wire.AuthorizationData
		require.NoError(t, inner.Unmarshal(etp.AuthorizationData[0].ADData))
		inner[0].ADData[len(inner[0].ADData)-70] ^= 1 // inside the client info buffer
		etp.AuthorizationData[0].ADData, err = inner.Marshal()
		require.NoError(t, err)
		plain, err = etp.Marshal()
		require.NoError(t, err)
		r.Ticket.EncPart.Cipher, err = aes256.Encrypt(hostKey, crypto.UsageKDCRepTicket, plain)
		require.NoError(t, err)
	})
	cfg.Replay = nil
	_, err = Accept(cfg, forged)
	assert.ErrorIs(t, err, sspi.SEC_E_MESSAGE_ALTERED)

	cfg.Replay = nil
	cfg.Now = func() time.Time { return captured.Add(time.Hour) }
	_, err = Accept(cfg, tok)
	assert.ErrorIs(t, err, SEC_E_TIME_SKEW)
}
