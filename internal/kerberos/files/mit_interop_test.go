package files

import (
	"encoding/hex"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/internal/kerberos/wire"
)

const (
	mitPassword = "correct horse battery"
	mitSalt     = mitrealm.Name + "user"
	// allEnctypes gives the user a key of every enctype we implement.
	allEnctypes = "aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal " +
		"aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal arcfour-hmac:normal"
)

// TestMITKeytab checks keytabs both ways against a throwaway MIT realm:
// MIT's ktadd output read by us, with every key equal to our string-to-key
// of the password and salt; and ours read by klist -k.
func TestMITKeytab(t *testing.T) {
	realm := mitrealm.New(t)
	mitrealm.Require(t, "klist")
	realm.Admin(t, "addprinc -e \""+allEnctypes+"\" -pw \""+mitPassword+"\" user")
	mitKT := filepath.Join(realm.Dir, "mit.keytab")
	realm.Admin(t, "ktadd -k "+mitKT+" -norandkey user")

	kt, err := ReadKeytab(mitKT)
	require.NoError(t, err)
	user := Principal{NameType: 1, Realm: mitrealm.Name, Components: []string{"user"}}
	var seen []int32
	for _, e := range kt.Entries {
		require.True(t, e.Principal.Equal(user), "%s", e.Principal)
		assert.Equal(t, int32(1), e.Principal.NameType)
		assert.Equal(t, uint32(1), e.KVNO)
		assert.WithinDuration(t, time.Now(), e.Timestamp, time.Hour)
		enc, ok := crypto.Lookup(e.EncType)
		require.True(t, ok, "MIT wrote enctype %d", e.EncType)
		want, err := enc.StringToKey(mitPassword, mitSalt, nil)
		require.NoError(t, err)
		assert.Equal(t, hex.EncodeToString(want), hex.EncodeToString(e.Key), "%s key", enc.Name)
		seen = append(seen, e.EncType)
	}
	assert.ElementsMatch(t, crypto.All(), seen, "one key per enctype we implement")

	// Our keytab, with a kvno above 255 that only the 32-bit field holds.
	ours := &Keytab{}
	for _, id := range crypto.All() {
		enc, _ := crypto.Lookup(id)
		key, err := enc.StringToKey(mitPassword, mitSalt, nil)
		require.NoError(t, err)
		ours.Entries = append(ours.Entries, KeytabEntry{
			Principal: Principal{NameType: 3, Realm: mitrealm.Name, Components: []string{"host", "localhost"}},
			Timestamp: time.Now().Truncate(time.Second), KVNO: 258, EncType: id, Key: key,
		})
	}
	ourKT := filepath.Join(realm.Dir, "ours.keytab")
	require.NoError(t, WriteKeytab(ourKT, ours))
	out := realm.Run(t, nil, "klist", "-k", "-t", "-e", "-K", ourKT)
	lines := 0
	for _, e := range ours.Entries {
		enc, _ := crypto.Lookup(e.EncType)
		// MIT 1.20 prints RC4 as "DEPRECATED:arcfour-hmac".
		want := "host/localhost@" + mitrealm.Name + " ("
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, want+enc.Name+")") || strings.Contains(line, want+"DEPRECATED:"+enc.Name+")") {
				lines++
				assert.True(t, strings.HasPrefix(strings.TrimSpace(line), "258 "), "kvno 258 in %q", line)
				assert.Contains(t, line, "(0x"+hex.EncodeToString(e.Key)+")")
			}
		}
	}
	assert.Equal(t, len(ours.Entries), lines, "klist -k listed every entry:\n%s", out)
}

// TestMITCCache checks credential caches both ways: a cache kinit made is
// read by us (its TGT decodes as a Ticket) and re-written byte for byte;
// and a cache we write is listed by klist.
func TestMITCCache(t *testing.T) {
	realm := mitrealm.New(t)
	mitrealm.Require(t, "kinit")
	mitrealm.Require(t, "klist")
	realm.Admin(t, "addprinc -pw \""+mitPassword+"\" user")
	realm.Start(t)
	mitCC := filepath.Join(realm.Dir, "mit.ccache")
	realm.Run(t, []byte(mitPassword+"\n"), "kinit", "-c", "FILE:"+mitCC, "user")

	raw, err := readCapped(mitCC)
	require.NoError(t, err)
	cc, err := ParseCCache(raw)
	require.NoError(t, err)
	assert.Equal(t, 4, cc.Version)
	assert.Equal(t, "user@"+mitrealm.Name, cc.Principal.String())
	var tgt *Credential
	for i := range cc.Credentials {
		c := &cc.Credentials[i]
		if c.IsConfig() {
			continue
		}
		require.Nil(t, tgt, "one ticket")
		tgt = c
	}
	require.NotNil(t, tgt, "kinit stored a TGT")
	assert.Equal(t, "krbtgt/"+mitrealm.Name+"@"+mitrealm.Name, tgt.Server.String())
	assert.True(t, tgt.Client.Equal(cc.Principal))
	enc, ok := crypto.Lookup(tgt.KeyType)
	require.True(t, ok)
	assert.Len(t, tgt.Key, enc.KeySize)
	assert.WithinDuration(t, time.Now(), tgt.AuthTime, time.Hour)
	assert.True(t, tgt.EndTime.After(tgt.AuthTime))
	assert.NotZero(t, tgt.Flags&wire.TktFlagInitial, "flags %#x", tgt.Flags)
	var ticket wire.Ticket
	require.NoError(t, ticket.Unmarshal(tgt.Ticket))
	assert.Equal(t, []string{"krbtgt", mitrealm.Name}, ticket.SName.NameString)

	again, err := cc.Marshal()
	require.NoError(t, err)
	assert.Equal(t, hex.EncodeToString(raw), hex.EncodeToString(again), "our encoding of kinit's cache is kinit's bytes")

	// A cache we make from scratch, listed by klist.
	ours := &CCache{
		Version: 4, HasKDCOffset: true,
		Principal: cc.Principal,
		Credentials: []Credential{{
			Client: cc.Principal, Server: tgt.Server, KeyType: tgt.KeyType, Key: tgt.Key,
			AuthTime: tgt.AuthTime, StartTime: tgt.StartTime, EndTime: tgt.EndTime, RenewTill: tgt.RenewTill,
			Flags: tgt.Flags, Ticket: tgt.Ticket, SecondTicket: []byte{},
		}},
	}
	ourCC := filepath.Join(realm.Dir, "ours.ccache")
	require.NoError(t, WriteCCache(ourCC, ours))
	out := realm.Run(t, nil, "klist", "-c", "FILE:"+ourCC)
	assert.Contains(t, out, "Default principal: user@"+mitrealm.Name)
	assert.Contains(t, out, "krbtgt/"+mitrealm.Name+"@"+mitrealm.Name)

	// kvno uses our cache for a TGS exchange: MIT accepts our TGT entry.
	realm.Admin(t, "addprinc -randkey host/localhost")
	out = realm.Run(t, nil, "kvno", "-c", "FILE:"+ourCC, "host/localhost")
	assert.Contains(t, out, "host/localhost@"+mitrealm.Name+": kvno = 1")
	after, err := ReadCCache(ourCC)
	require.NoError(t, err)
	var names []string
	for _, c := range after.Credentials {
		if !c.IsConfig() {
			names = append(names, c.Server.String())
		}
	}
	assert.Contains(t, names, "host/localhost@"+mitrealm.Name, "we read back what kvno appended")
}

// TestMITConfig reads the krb5.conf the realm helper wrote through
// KRB5_CONFIG, and resolves KRB5CCNAME and KRB5_KTNAME as MIT does.
func TestMITConfig(t *testing.T) {
	realm := mitrealm.New(t)
	cfg, err := LoadConfig()
	require.NoError(t, err)
	assert.Equal(t, mitrealm.Name, cfg.DefaultRealm)
	assert.False(t, cfg.DNSLookupKDC)
	assert.True(t, cfg.AllowRC4)
	assert.Equal(t, []string{"127.0.0.1:" + strconv.Itoa(realm.Port)}, cfg.Realms[mitrealm.Name].KDC)
	cc, err := ResolveFile(CCacheName(cfg))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(realm.Dir, "ccache"), cc)
	kt, err := ResolveFile(KeytabName(cfg))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(realm.Dir, "keytab"), kt)
}
