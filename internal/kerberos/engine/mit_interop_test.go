package engine

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/files"
	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/internal/sspi"
)

// sendTCP is the test's stand-in for the KDC transport: RFC 4120 section
// 7.2.2 framing, a 4-byte length and the message, over TCP to port.
func sendTCP(t *testing.T, port int, msg []byte) []byte {
	t.Helper()
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
	_, err = c.Write(binary.BigEndian.AppendUint32(nil, uint32(len(msg))))
	require.NoError(t, err)
	_, err = c.Write(msg)
	require.NoError(t, err)
	var n [4]byte
	_, err = io.ReadFull(c, n[:])
	require.NoError(t, err)
	size := binary.BigEndian.Uint32(n[:])
	require.Less(t, size, uint32(1<<20))
	reply := make([]byte, size)
	_, err = io.ReadFull(c, reply)
	require.NoError(t, err)
	return reply
}

func runAgainst(t *testing.T, port int, cfg ASConfig) (*ASResult, int, error) {
	x, err := NewAS(cfg)
	if err != nil {
		return nil, 0, err
	}
	step, err := x.Start()
	trips := 0
	for err == nil && step.Send != nil && trips < 5 {
		trips++
		step, err = x.Receive(sendTCP(t, port, step.Send.Message))
	}
	if err != nil {
		return nil, trips, err
	}
	return step.Result, trips, nil
}

// TestMITASExchange runs our AS exchange against MIT's krb5kdc for a
// principal of each enctype, pre-authentication required, then stores
// the TGT in a cache with the files package and has MIT's klist and kvno
// use it: the KDC accepted our PA-ENC-TIMESTAMP, we decrypted its reply,
// and the ticket we kept is one MIT can spend.
func TestMITASExchange(t *testing.T) {
	realm := mitrealm.New(t)
	mitrealm.Require(t, "klist")
	mitrealm.Require(t, "kvno")
	realm.Admin(t, "addprinc -randkey host/localhost")
	for _, id := range crypto.All() {
		e, _ := crypto.Lookup(id)
		realm.Admin(t, fmt.Sprintf("addprinc +requires_preauth -e %s:normal -pw pw-%d user%d", e.Name, id, id))
	}
	realm.Start(t)

	for _, id := range crypto.All() {
		e, _ := crypto.Lookup(id)
		t.Run(e.Name, func(t *testing.T) {
			user := fmt.Sprintf("user%d", id)
			cfg := ASConfig{
				Client:    wire.PrincipalName{NameType: wire.NTPrincipal, NameString: []string{user}},
				Realm:     mitrealm.Name,
				Password:  fmt.Sprintf("pw-%d", id),
				AllowWeak: e.Weak,
			}
			res, trips, err := runAgainst(t, realm.Port, cfg)
			require.NoError(t, err)
			assert.Equal(t, 2, trips, "PREAUTH_REQUIRED, then the AS-REP")
			assert.Equal(t, id, res.ClientEnctype)
			assert.Less(t, res.KDCOffset.Abs(), time.Minute, "same machine, same clock")

			cname := files.Principal{NameType: wire.NTPrincipal, Realm: mitrealm.Name, Components: []string{user}}
			server := files.Principal{NameType: wire.NTSrvInst, Realm: mitrealm.Name, Components: []string{"krbtgt", mitrealm.Name}}
			cc := &files.CCache{
				Version: 4, HasKDCOffset: true, KDCOffset: res.KDCOffset, Principal: cname,
				Credentials: []files.Credential{{
					Client: cname, Server: server,
					KeyType: res.Part.Key.KeyType, Key: res.Part.Key.KeyValue,
					AuthTime: res.Part.AuthTime, StartTime: res.Part.StartTime, EndTime: res.Part.EndTime,
					RenewTill: res.Part.RenewTill, Flags: res.Part.Flags,
					Ticket: res.TicketBytes, SecondTicket: []byte{},
				}},
			}
			path := filepath.Join(realm.Dir, "cc-"+user)
			require.NoError(t, files.WriteCCache(path, cc))
			out := realm.Run(t, nil, "klist", "-c", "FILE:"+path)
			assert.Contains(t, out, "Default principal: "+user+"@"+mitrealm.Name)
			out = realm.Run(t, nil, "kvno", "-c", "FILE:"+path, "host/localhost")
			assert.Contains(t, out, "host/localhost@"+mitrealm.Name+": kvno = 1")
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		_, _, err := runAgainst(t, realm.Port, ASConfig{
			Client:   wire.PrincipalName{NameType: wire.NTPrincipal, NameString: []string{"user18"}},
			Realm:    mitrealm.Name,
			Password: "not the password",
		})
		assert.ErrorIs(t, err, SEC_E_LOGON_DENIED)
	})
	t.Run("unknown client", func(t *testing.T) {
		_, _, err := runAgainst(t, realm.Port, ASConfig{
			Client:   wire.PrincipalName{NameType: wire.NTPrincipal, NameString: []string{"nobody"}},
			Realm:    mitrealm.Name,
			Password: "x",
		})
		assert.ErrorIs(t, err, SEC_E_LOGON_DENIED)
	})
	t.Run("RC4-only principal without AllowWeak", func(t *testing.T) {
		_, _, err := runAgainst(t, realm.Port, ASConfig{
			Client:   wire.PrincipalName{NameType: wire.NTPrincipal, NameString: []string{fmt.Sprintf("user%d", crypto.RC4HMAC)}},
			Realm:    mitrealm.Name,
			Password: fmt.Sprintf("pw-%d", crypto.RC4HMAC),
		})
		require.Error(t, err)
		var se *sspi.Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, SEC_E_KDC_UNKNOWN_ETYPE, se.Status, "%v", err)
	})
}
