package kerberos

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/pac"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// pacLogonInfo is the Active Directory logon info (with resource groups)
// of the pac package's testdata; see the comment in the file for its origin.
func pacLogonInfo(t testing.TB) []byte {
	raw, err := os.ReadFile(filepath.Join("..", "internal", "kerberos", "pac", "testdata", "ad-trust-logon-info.hex"))
	require.NoError(t, err)
	var sb strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "#") {
			sb.WriteString(strings.TrimSpace(line))
		}
	}
	b, err := hex.DecodeString(sb.String())
	require.NoError(t, err)
	return b
}

// signedPAC builds a PAC as a KDC would for etp's client (MS-PAC section
// 2.3): logon info, client info, then the server signature under the
// service key and a KDC signature that the acceptor cannot check.
func signedPAC(t testing.TB, etp *wire.EncTicketPart, svcKey []byte, logon []byte) []byte {
	e, ok := crypto.Lookup(etp.Key.KeyType)
	require.True(t, ok)
	ck, ok := crypto.LookupChecksum(e.ChecksumType)
	require.True(t, ok)

	var name []byte
	for _, u := range utf16.Encode([]rune(strings.Join(etp.CName.NameString, "/"))) {
		name = binary.LittleEndian.AppendUint16(name, u)
	}
	ft := uint64(etp.AuthTime.Unix()+11644473600) * 1e7
	client := binary.LittleEndian.AppendUint64(nil, ft)
	client = binary.LittleEndian.AppendUint16(client, uint16(len(name)))
	client = append(client, name...)
	sig := binary.LittleEndian.AppendUint32(nil, uint32(e.ChecksumType))
	sig = append(sig, make([]byte, ck.Size)...)

	bufs := []struct {
		typ  uint32
		data []byte
	}{{pac.TypeLogonInfo, logon}, {pac.TypeClientInfo, client}, {pac.TypeServerChecksum, sig}, {pac.TypePrivSvrChecksum, sig}}
	out := make([]byte, 8+16*len(bufs))
	binary.LittleEndian.PutUint32(out, uint32(len(bufs)))
	sigAt := 0
	for i, b := range bufs {
		for len(out)%8 != 0 {
			out = append(out, 0)
		}
		binary.LittleEndian.PutUint32(out[8+16*i:], b.typ)
		binary.LittleEndian.PutUint32(out[8+16*i+4:], uint32(len(b.data)))
		binary.LittleEndian.PutUint64(out[8+16*i+8:], uint64(len(out)))
		if b.typ == pac.TypeServerChecksum {
			sigAt = len(out) + 4
		}
		out = append(out, b.data...)
	}
	sum, err := ck.Checksum(svcKey, 17, out) // KERB_NON_KERB_CKSUM_SALT, MS-PAC section 2.8
	require.NoError(t, err)
	copy(out[sigAt:], sum)
	return out
}

// TestContextPACLogonInfo: a ticket whose PAC carries Active Directory
// logon info; the acceptor's ContextPAC gives the user's and groups' SIDs.
func TestContextPACLogonInfo(t *testing.T) {
	logon := pacLogonInfo(t)
	r := newOfflineRealmTicket(t, crypto.AES256CTSHMACSHA196, func(etp *wire.EncTicketPart, svcKey []byte) {
		p := signedPAC(t, etp, svcKey, logon)
		inner, err := (&wire.AuthorizationData{{ADType: wire.ADWin2KPAC, ADData: p}}).Marshal()
		require.NoError(t, err)
		etp.AuthorizationData = wire.AuthorizationData{{ADType: wire.ADIfRelevant, ADData: inner}}
	})
	cctx, sctx, _, err := r.pair()
	require.NoError(t, err)
	_, err = ContextPAC(cctx)
	assert.Equal(t, sspi.SEC_E_NO_CREDENTIALS, sspi.StatusOf(err))

	p, err := ContextPAC(sctx)
	require.NoError(t, err)
	assert.Equal(t, "user", p.ClientName)
	require.NotNil(t, p.LogonInfo)
	assert.Equal(t, "testuser1", p.LogonInfo.EffectiveName)
	assert.Equal(t, "USER", p.LogonInfo.LogonDomainName)
	assert.Equal(t, "S-1-5-21-2284869408-3503417140-1141177250-1106", p.LogonInfo.UserSID().String())
	var sids []string
	for _, s := range p.LogonInfo.GroupSIDs() {
		sids = append(sids, s.String())
	}
	assert.Contains(t, sids, "S-1-18-1")
	assert.Contains(t, sids, "S-1-5-21-3062750306-1230139592-1973306805-1108")
	assert.Equal(t, logon, p.Buffers[pac.TypeLogonInfo])

	// ContextPAC hands out a copy.
	p.LogonInfo.GroupIDs[0].RID = 1
	p.LogonInfo.LogonDomainID.SubAuthorities[0] = 1
	again, err := ContextPAC(sctx)
	require.NoError(t, err)
	assert.Equal(t, uint32(1110), again.LogonInfo.GroupIDs[0].RID)
	assert.Equal(t, "S-1-5-21-2284869408-3503417140-1141177250", again.LogonInfo.LogonDomainID.String())
}

// TestContextPACBadLogonInfo: a signed PAC whose logon info does not
// decode fails the AP-REQ with SEC_E_INVALID_TOKEN.
func TestContextPACBadLogonInfo(t *testing.T) {
	logon := pacLogonInfo(t)
	binary.LittleEndian.PutUint32(logon[20+108:], 0xFFFFFFFF) // GroupCount
	r := newOfflineRealmTicket(t, crypto.AES128CTSHMACSHA196, func(etp *wire.EncTicketPart, svcKey []byte) {
		p := signedPAC(t, etp, svcKey, logon)
		inner, err := (&wire.AuthorizationData{{ADType: wire.ADWin2KPAC, ADData: p}}).Marshal()
		require.NoError(t, err)
		etp.AuthorizationData = wire.AuthorizationData{{ADType: wire.ADIfRelevant, ADData: inner}}
	})
	_, _, _, err := r.pair()
	assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, sspi.StatusOf(err), "%v", err)
	assert.ErrorContains(t, err, "GroupIds")
}
