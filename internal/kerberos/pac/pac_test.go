package pac

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
)

func readMIT(t testing.TB, name string) []byte {
	raw, err := os.ReadFile(filepath.Join("..", "wire", "testdata", "mit", name))
	require.NoError(t, err)
	var keep []string
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "#") {
			keep = append(keep, strings.TrimSpace(line))
		}
	}
	return []byte(strings.Join(keep, ""))
}

// mitPAC returns the PAC MIT krb5 1.20 put in the service ticket of the
// wire package's capture, the ticket part, and the service key.
func mitPAC(t testing.TB) ([]byte, wire.EncTicketPart, []byte) {
	var key []byte
	raw, err := os.ReadFile(filepath.Join("..", "wire", "testdata", "mit", "secrets.txt"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "host-key-aes256" {
			key, err = hex.DecodeString(f[1])
			require.NoError(t, err)
		}
	}
	tokHex, err := hex.DecodeString(string(readMIT(t, "gss-ap-req.hex")))
	require.NoError(t, err)
	var g wire.GSSToken
	require.NoError(t, g.Unmarshal(tokHex))
	var ap wire.APReq
	require.NoError(t, ap.Unmarshal(g.Message))
	e, _ := crypto.Lookup(crypto.AES256CTSHMACSHA196)
	plain, err := e.Decrypt(key, crypto.UsageKDCRepTicket, ap.Ticket.EncPart.Cipher)
	require.NoError(t, err)
	var etp wire.EncTicketPart
	require.NoError(t, etp.Unmarshal(plain))
	for _, ad := range etp.AuthorizationData {
		if ad.ADType != wire.ADIfRelevant {
			continue
		}
		var inner wire.AuthorizationData
		require.NoError(t, inner.Unmarshal(ad.ADData))
		for _, in := range inner {
			if in.ADType == wire.ADWin2KPAC {
				return in.ADData, etp, key
			}
		}
	}
	t.Fatal("the MIT ticket has no PAC")
	return nil, etp, nil
}

// TestMITPAC parses the PAC of an MIT 1.20 ticket: client info naming the
// ticket's client at its authtime, and a server signature that verifies
// with the service key and fails once any byte changes.
func TestMITPAC(t *testing.T) {
	raw, etp, key := mitPAC(t)
	p, err := Parse(raw)
	require.NoError(t, err)
	require.NotNil(t, p.ClientInfo)
	assert.Equal(t, "user", p.ClientInfo.Name)
	assert.True(t, p.ClientInfo.ClientID.Equal(etp.AuthTime), "%v vs %v", p.ClientInfo.ClientID, etp.AuthTime)
	assert.Equal(t, crypto.HMACSHA196AES256, p.ServerChecksum.Type)
	require.NoError(t, p.VerifyServerChecksum(key))

	for _, b := range p.Buffers {
		if b.Type != TypeClientInfo {
			continue
		}
		bad := append([]byte{}, raw...)
		bad[b.Offset+10] ^= 1 // a letter of the client name
		q, err := Parse(bad)
		require.NoError(t, err)
		assert.ErrorIs(t, q.VerifyServerChecksum(key), ErrBadSignature)
	}
	other := make([]byte, 32)
	assert.ErrorIs(t, p.VerifyServerChecksum(other), ErrBadSignature)
}

func u16(s string) []byte {
	var b []byte
	for _, r := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, r)
	}
	return b
}

// build makes a PAC of buffers, 8-aligned.
func build(bufs ...Buffer) []byte {
	head := 8 + 16*len(bufs)
	out := make([]byte, head)
	binary.LittleEndian.PutUint32(out, uint32(len(bufs)))
	for i, b := range bufs {
		for len(out)%8 != 0 {
			out = append(out, 0)
		}
		e := out[8+16*i:]
		binary.LittleEndian.PutUint32(e, b.Type)
		binary.LittleEndian.PutUint32(e[4:], uint32(len(b.Data)))
		binary.LittleEndian.PutUint64(e[8:], uint64(len(out)))
		out = append(out, b.Data...)
	}
	return out
}

func TestUPNDNSInfo(t *testing.T) {
	upn, dns, sam := u16("user@test.local"), u16("TEST.LOCAL"), u16("user")
	sid := []byte{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}
	b := make([]byte, 20)
	off := 20
	put := func(lenAt int, v []byte) {
		binary.LittleEndian.PutUint16(b[lenAt:], uint16(len(v)))
		binary.LittleEndian.PutUint16(b[lenAt+2:], uint16(off))
		off += len(v)
	}
	put(0, upn)
	put(4, dns)
	binary.LittleEndian.PutUint32(b[8:], 2)
	put(12, sam)
	put(16, sid)
	b = append(append(append(append(b, upn...), dns...), sam...), sid...)
	p, err := Parse(build(Buffer{Type: TypeUPNDNSInfo, Data: b}))
	require.NoError(t, err)
	require.NotNil(t, p.UPNDNSInfo)
	assert.Equal(t, "user@test.local", p.UPNDNSInfo.UPN)
	assert.Equal(t, "TEST.LOCAL", p.UPNDNSInfo.DNSDomainName)
	assert.Equal(t, "user", p.UPNDNSInfo.SAMName)
	assert.Equal(t, sid, p.UPNDNSInfo.SID)
	assert.Error(t, p.VerifyServerChecksum(make([]byte, 32)), "no signatures to verify")
}

func TestParseHostile(t *testing.T) {
	raw, _, _ := mitPAC(t)
	tests := map[string][]byte{
		"empty":           nil,
		"header only":     make([]byte, 8),
		"version 1":       append([]byte{1, 0, 0, 0, 1, 0, 0, 0}, make([]byte, 16)...),
		"buffer outside":  build(Buffer{Type: TypeClientInfo, Data: make([]byte, 12)})[:30],
		"truncated":       raw[:len(raw)-1],
		"odd name":        build(Buffer{Type: TypeClientInfo, Data: append(make([]byte, 8), 1, 0, 'x')}),
		"name overrun":    build(Buffer{Type: TypeClientInfo, Data: append(make([]byte, 8), 40, 0)}),
		"short signature": build(Buffer{Type: TypeServerChecksum, Data: []byte{16, 0, 0, 0, 1, 2}}),
		"two client infos": build(Buffer{Type: TypeClientInfo, Data: make([]byte, 10)},
			Buffer{Type: TypeClientInfo, Data: make([]byte, 10)}),
		"UPN overrun": build(Buffer{Type: TypeUPNDNSInfo, Data: []byte{8, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0}}),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(in)
			var pe *Error
			assert.True(t, errors.As(err, &pe), "%v", err)
		})
	}
	// Misaligned offset.
	b := build(Buffer{Type: TypeClientInfo, Data: make([]byte, 10)})
	binary.LittleEndian.PutUint64(b[16:], 25)
	_, err := Parse(b)
	assert.Error(t, err)
}

func FuzzPAC(f *testing.F) {
	raw, _, key := mitPAC(f)
	f.Add(raw)
	f.Add(readHex(f, "samba-w2k3-pac.hex"))
	f.Add(readHex(f, "ad-pac.hex"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse returned %T: %v", err, err)
			}
			return
		}
		_ = p.VerifyServerChecksum(key)
	})
}
