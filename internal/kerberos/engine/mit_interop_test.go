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
	"github.com/gosspi/schannel/sspi"
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
			assert.True(t, res.RequestVerified, "MIT's KDC answered PA-REQ-ENC-PA-REP and the checksum matched")

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

// TestMITTGSExchange gets a TGT and then a service ticket from MIT's
// krb5kdc with our TGS-REQ (authenticator checksum and subkey), and opens
// the ticket with the service's key from an MIT keytab read by the files
// package: the session key inside is the one the TGS-REP gave us.
func TestMITTGSExchange(t *testing.T) {
	realm := mitrealm.New(t)
	realm.Admin(t, "addprinc +requires_preauth -pw secret user")
	realm.Admin(t, "addprinc -randkey host/localhost")
	kt := filepath.Join(realm.Dir, "service.keytab")
	realm.Admin(t, "ktadd -k "+kt+" host/localhost")
	realm.Start(t)

	as, _, err := runAgainst(t, realm.Port, ASConfig{
		Client:   wire.PrincipalName{NameType: wire.NTPrincipal, NameString: []string{"user"}},
		Realm:    mitrealm.Name,
		Password: "secret",
	})
	require.NoError(t, err)

	tgs := func(service ...string) (*TGSResult, error) {
		x, err := NewTGS(TGSConfig{
			Client: as.CName, CRealm: as.CRealm, TGT: as.Ticket, TGTKey: as.Part.Key,
			Service:   wire.PrincipalName{NameType: wire.NTSrvHst, NameString: service},
			KDCOffset: as.KDCOffset,
		})
		require.NoError(t, err)
		step, err := x.Start()
		require.NoError(t, err)
		step, err = x.Receive(sendTCP(t, realm.Port, step.Send.Message))
		if err != nil {
			return nil, err
		}
		require.Nil(t, step.Send)
		return step.Result, nil
	}

	res, err := tgs("host", "localhost")
	require.NoError(t, err)
	keytab, err := files.ReadKeytab(kt)
	require.NoError(t, err)
	host := files.Principal{Realm: mitrealm.Name, Components: []string{"host", "localhost"}}
	entry, ok := keytab.Key(host, res.Ticket.EncPart.EType, 0)
	require.True(t, ok, "the keytab has a key of the ticket's enctype %d", res.Ticket.EncPart.EType)
	enc, _ := crypto.Lookup(entry.EncType)
	plain, err := enc.Decrypt(entry.Key, crypto.UsageKDCRepTicket, res.Ticket.EncPart.Cipher)
	require.NoError(t, err)
	var etp wire.EncTicketPart
	require.NoError(t, etp.Unmarshal(plain))
	assert.Equal(t, res.Part.Key, etp.Key)
	assert.Equal(t, []string{"user"}, etp.CName.NameString)

	_, err = tgs("HTTP", "nowhere.invalid")
	assert.ErrorIs(t, err, sspi.SEC_E_TARGET_UNKNOWN)
}
