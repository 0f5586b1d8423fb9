package files

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
)

var when = time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)

func sampleKeytab() *Keytab {
	host := Principal{NameType: 3, Realm: "TEST.LOCAL", Components: []string{"host", "localhost"}}
	return &Keytab{Entries: []KeytabEntry{
		{Principal: host, Timestamp: when, KVNO: 2, EncType: crypto.AES256CTSHMACSHA196, Key: make([]byte, 32)},
		{Principal: host, Timestamp: when, KVNO: 300, EncType: crypto.AES128CTSHMACSHA196, Key: make([]byte, 16)},
		{Principal: Principal{NameType: 1, Realm: "TEST.LOCAL", Components: []string{"user"}}, Timestamp: when, KVNO: 1, EncType: crypto.RC4HMAC, Key: []byte("0123456789abcdef")},
	}}
}

func sampleCCache() *CCache {
	user := Principal{NameType: 1, Realm: "TEST.LOCAL", Components: []string{"user"}}
	tgt := Principal{NameType: 2, Realm: "TEST.LOCAL", Components: []string{"krbtgt", "TEST.LOCAL"}}
	return &CCache{
		Version: 4, KDCOffset: -3*time.Second - 250*time.Microsecond, HasKDCOffset: true,
		Principal: user,
		Credentials: []Credential{
			{
				Client: user, Server: tgt, KeyType: crypto.AES256CTSHMACSHA196, Key: make([]byte, 32),
				AuthTime: when, StartTime: when, EndTime: when.Add(10 * time.Hour), RenewTill: when.Add(24 * time.Hour),
				Flags:     0x50e10000,
				Addresses: []Address{{AddrType: 2, Address: []byte{127, 0, 0, 1}}},
				AuthData:  []AuthData{{ADType: 1, Data: []byte{0x30, 0}}},
				Ticket:    []byte{0x61, 0x00}, SecondTicket: []byte{},
			},
			{
				Client: user, Server: Principal{Realm: ConfigRealm, Components: []string{"krb5_ccache_conf_data", "fast_avail", tgt.String()}},
				Key: []byte{}, Ticket: []byte("yes"), SecondTicket: []byte{},
			},
		},
	}
}

func TestKeytabRoundTrip(t *testing.T) {
	kt := sampleKeytab()
	b, err := kt.Marshal()
	require.NoError(t, err)
	assert.Equal(t, []byte{5, 2}, b[:2])
	got, err := ParseKeytab(b)
	require.NoError(t, err)
	assert.Equal(t, kt, got)

	e, ok := got.Key(kt.Entries[0].Principal, crypto.AES128CTSHMACSHA196, 0)
	require.True(t, ok)
	assert.Equal(t, uint32(300), e.KVNO, "the 32-bit kvno supersedes the 8-bit one")
	_, ok = got.Key(kt.Entries[0].Principal, crypto.AES128CTSHMACSHA196, 44)
	assert.False(t, ok)
	assert.Len(t, got.Find(kt.Entries[0].Principal), 2)

	path := filepath.Join(t.TempDir(), "keytab")
	require.NoError(t, WriteKeytab(path, kt))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	fromDisk, err := ReadKeytab(path)
	require.NoError(t, err)
	assert.Equal(t, kt, fromDisk)
}

// TestKeytabHolesAndEnd reads the layouts MIT leaves behind: a hole from
// a deleted entry, an entry without the 32-bit kvno, and a zero length
// that ends the file early.
func TestKeytabHolesAndEnd(t *testing.T) {
	one := &Keytab{Entries: sampleKeytab().Entries[:1]}
	b, err := one.Marshal()
	require.NoError(t, err)
	rec := b[2:]
	size := int(binary.BigEndian.Uint32(rec))
	// Drop the trailing vno32: the record is 4 bytes shorter.
	short := append(binary.BigEndian.AppendUint32(nil, uint32(size-4)), rec[4:4+size-4]...)

	var file []byte
	file = append(file, 5, 2)
	file = binary.BigEndian.AppendUint32(file, uint32(0xfffffff0)) // hole of 16
	file = append(file, make([]byte, 16)...)
	file = append(file, short...)
	file = binary.BigEndian.AppendUint32(file, 0) // end
	file = append(file, 0xde, 0xad)               // ignored after the end
	kt, err := ParseKeytab(file)
	require.NoError(t, err)
	require.Len(t, kt.Entries, 1)
	assert.Equal(t, uint32(2), kt.Entries[0].KVNO)
}

func TestCCacheRoundTrip(t *testing.T) {
	cc := sampleCCache()
	b, err := cc.Marshal()
	require.NoError(t, err)
	assert.Equal(t, []byte{5, 4}, b[:2])
	got, err := ParseCCache(b)
	require.NoError(t, err)
	assert.Equal(t, cc, got)
	assert.False(t, got.Credentials[0].IsConfig())
	assert.True(t, got.Credentials[1].IsConfig())

	path := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, WriteCCache(path, cc))
	fromDisk, err := ReadCCache(path)
	require.NoError(t, err)
	assert.Equal(t, cc, fromDisk)
}

// TestCCacheVersion3 reads a version 3 file: no header, the enctype twice.
func TestCCacheVersion3(t *testing.T) {
	cc := sampleCCache()
	cc.Credentials = cc.Credentials[:1]
	w := &writer{}
	w.u16(ccacheV3)
	require.NoError(t, writeCCPrincipal(w, cc.Principal))
	c := cc.Credentials[0]
	require.NoError(t, writeCCPrincipal(w, c.Client))
	require.NoError(t, writeCCPrincipal(w, c.Server))
	w.u16(uint16(c.KeyType))
	w.u16(uint16(c.KeyType))
	w.data32(c.Key)
	for _, tm := range []time.Time{c.AuthTime, c.StartTime, c.EndTime, c.RenewTill} {
		writeTime32(w, tm)
	}
	w.u8(0)
	w.u32(c.Flags)
	w.u32(1)
	w.u16(2)
	w.data32([]byte{127, 0, 0, 1})
	w.u32(1)
	w.u16(1)
	w.data32([]byte{0x30, 0})
	w.data32(c.Ticket)
	w.data32(c.SecondTicket)
	got, err := ParseCCache(w.b)
	require.NoError(t, err)
	assert.Equal(t, 3, got.Version)
	assert.False(t, got.HasKDCOffset)
	assert.Equal(t, cc.Principal, got.Principal)
	assert.Equal(t, cc.Credentials, got.Credentials)
}

func TestHostileFiles(t *testing.T) {
	kt, err := sampleKeytab().Marshal()
	require.NoError(t, err)
	cc, err := sampleCCache().Marshal()
	require.NoError(t, err)
	tests := []struct {
		name  string
		parse func([]byte) error
		in    []byte
	}{
		{"keytab empty", keytabErr, nil},
		{"keytab v1", keytabErr, []byte{5, 1}},
		{"keytab truncated", keytabErr, kt[:len(kt)-3]},
		{"keytab length past end", keytabErr, append([]byte{5, 2}, 0, 0, 1, 0)},
		{"keytab hole past end", keytabErr, append([]byte{5, 2}, 0xff, 0xff, 0xff, 0)},
		{"keytab hole min int", keytabErr, append([]byte{5, 2}, 0x80, 0, 0, 0)},
		{"keytab short length", keytabErr, append([]byte{5, 2}, 0, 0)},
		{"keytab 1000 components", keytabErr, append([]byte{5, 2, 0, 0, 0, 4}, 0x03, 0xe8, 0, 0)},
		{"ccache empty", ccacheErr, nil},
		{"ccache v2", ccacheErr, []byte{5, 2}},
		{"ccache truncated", ccacheErr, cc[:len(cc)-1]},
		{"ccache header past end", ccacheErr, []byte{5, 4, 0, 20, 0, 1}},
		{"ccache DeltaTime of 4 bytes", ccacheErr, []byte{5, 4, 0, 8, 0, 1, 0, 4, 0, 0, 0, 0}},
		{"ccache huge realm", ccacheErr, []byte{5, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}},
		{"ccache 4 billion components", ccacheErr, []byte{5, 3, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.in)
			require.Error(t, err)
			var fe *Error
			assert.True(t, errors.As(err, &fe), "%T: %v", err, err)
		})
	}
}

func keytabErr(b []byte) error { _, err := ParseKeytab(b); return err }
func ccacheErr(b []byte) error { _, err := ParseCCache(b); return err }

const sampleConf = `
# a comment
; another
[libdefaults]
	default_realm = TEST.LOCAL
	default_tkt_enctypes = aes256-cts-hmac-sha1-96 aes128-cts rc4-hmac
	permitted_enctypes = aes -aes128-sha2
	dns_lookup_kdc = false
	udp_preference_limit = 1
	clockskew = 120
	ticket_lifetime = 10h30m
	default_ccache_name = FILE:/tmp/cc_%{uid}
	allow_weak_crypto = yes

[realms]
	TEST.LOCAL = {
		kdc = 127.0.0.1:88
		kdc = kdc2.test.local
		admin_server = kdc1.test.local
	}
	OTHER.REALM = {
		kdc = "other.example:750"
	}

[domain_realm]
	.test.local = TEST.LOCAL
	test.local = TEST.LOCAL
	special.test.local = OTHER.REALM
`

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig("krb5.conf", []byte(sampleConf))
	require.NoError(t, err)
	assert.Equal(t, "TEST.LOCAL", c.DefaultRealm)
	assert.Equal(t, []int32{18, 17, 23}, c.DefaultTktEnctypes)
	assert.Equal(t, []int32{18, 17, 20}, c.PermittedEnctypes)
	assert.Equal(t, crypto.ParseEnctypeList("DEFAULT"), c.DefaultTGSEnctypes)
	assert.False(t, c.DNSLookupKDC)
	assert.Equal(t, 1, c.UDPPreferenceLimit)
	assert.Equal(t, 2*time.Minute, c.ClockSkew)
	assert.Equal(t, 10*time.Hour+30*time.Minute, c.TicketLifetime)
	assert.True(t, c.AllowRC4)
	assert.Equal(t, "FILE:/tmp/cc_%{uid}", c.DefaultCCacheName)
	assert.Equal(t, []string{"127.0.0.1:88", "kdc2.test.local"}, c.Realms["TEST.LOCAL"].KDC)
	assert.Equal(t, []string{"kdc1.test.local"}, c.Realms["TEST.LOCAL"].AdminServer)
	assert.Equal(t, []string{"other.example:750"}, c.Realms["OTHER.REALM"].KDC)

	for host, want := range map[string]string{
		"www.test.local":     "TEST.LOCAL",
		"a.b.test.local":     "TEST.LOCAL",
		"test.local":         "TEST.LOCAL",
		"Special.Test.Local": "OTHER.REALM",
		// A bare entry covers the domain's hosts too, after any dotted
		// one (MIT's search_domain_realm: x.a.b, .a.b, a.b, .b, b).
		"x.special.test.local": "OTHER.REALM",
		"elsewhere.example":    "TEST.LOCAL", // no match: the default realm
	} {
		got, ok := c.RealmForHost(host)
		assert.True(t, ok, host)
		assert.Equal(t, want, got, host)
	}

	_, ok := c.HostRealm("elsewhere.example")
	assert.False(t, ok, "no [domain_realm] match: the KDC is asked for a referral")
	got, ok := c.HostRealm("WWW.test.local.")
	assert.True(t, ok)
	assert.Equal(t, "TEST.LOCAL", got)
	dr, err := ParseConfig("domain_realm", []byte("[domain_realm]\n\t.x.example = DOTTED\n\tx.example = BARE\n"))
	require.NoError(t, err)
	for host, want := range map[string]string{"h.x.example": "DOTTED", "a.h.x.example": "DOTTED", "x.example": "BARE"} {
		got, ok := dr.HostRealm(host)
		assert.True(t, ok, host)
		assert.Equal(t, want, got, host)
	}
	for host, want := range map[string]string{
		"svc.b.example": "B.EXAMPLE", // MIT's fallback: the domain in upper case
		"a.b.c.example": "B.C.EXAMPLE",
		"localhost":     "TEST.LOCAL", // no domain: the default realm
	} {
		assert.Equal(t, want, c.FallbackRealm(host), host)
	}

	d, err := ParseConfig("empty", nil)
	require.NoError(t, err)
	assert.True(t, d.DNSLookupKDC, "MIT's default")
	assert.Equal(t, DefaultUDPPreferenceLimit, d.UDPPreferenceLimit)
	assert.Equal(t, DefaultClockSkew, d.ClockSkew)
	assert.False(t, d.AllowRC4)
	_, ok = d.RealmForHost("x")
	assert.False(t, ok)
}

func TestParseConfigErrors(t *testing.T) {
	for name, conf := range map[string]string{
		"relation outside section": "a = b\n",
		"unclosed group":           "[realms]\nR = {\nkdc = x\n",
		"stray brace":              "[realms]\n}\n",
		"no equals":                "[libdefaults]\njunk\n",
		"bad boolean":              "[libdefaults]\ndns_lookup_kdc = maybe\n",
		"bad udp limit":            "[libdefaults]\nudp_preference_limit = -1\n",
		"bad clockskew":            "[libdefaults]\nclockskew = soon\n",
		"unterminated quote":       "[realms]\nR = {\nkdc = \"x\n}\n",
		"module":                   "module foo:bar\n",
		"missing include":          "include /nonexistent/krb5.conf\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfig(name, []byte(conf))
			assert.Error(t, err)
		})
	}
}

// TestLoadConfigEnv checks KRB5_CONFIG as MIT reads it: a colon-separated
// list, the first file's values first, missing files skipped, includes
// followed, a final "*" section closing it to later files.
func TestLoadConfigEnv(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "conf.d")
	require.NoError(t, os.Mkdir(inc, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(inc, "realm.conf"), []byte("[realms]\nA = {\nkdc = from-include\n}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(inc, "skip.bak~"), []byte("garbage {"), 0o644))
	first := filepath.Join(dir, "first.conf")
	second := filepath.Join(dir, "second.conf")
	require.NoError(t, os.WriteFile(first, []byte("includedir "+inc+"\n[libdefaults]\ndefault_realm = A\n[domain_realm]*\nh = A\n"), 0o644))
	require.NoError(t, os.WriteFile(second, []byte("[libdefaults]\ndefault_realm = B\nudp_preference_limit = 7\n[domain_realm]\nh2 = B\n"), 0o644))
	t.Setenv("KRB5_CONFIG", first+":"+filepath.Join(dir, "missing.conf")+":"+second)
	assert.Equal(t, []string{first, filepath.Join(dir, "missing.conf"), second}, ConfigPaths())
	c, err := LoadConfig()
	require.NoError(t, err)
	assert.Equal(t, "A", c.DefaultRealm, "the first file wins")
	assert.Equal(t, 7, c.UDPPreferenceLimit, "later files fill what earlier ones lack")
	assert.Equal(t, []string{"from-include"}, c.Realms["A"].KDC)
	assert.Equal(t, map[string]string{"h": "A"}, c.DomainRealm, "a final section ignores later files")

	t.Setenv("KRB5_CONFIG", "")
	assert.Equal(t, []string{DefaultConfigPath}, ConfigPaths())
}

func TestNamesFromEnv(t *testing.T) {
	cfg := &Config{DefaultCCacheName: "FILE:/tmp/from-conf", DefaultKeytabName: "/etc/from-conf.keytab"}
	t.Setenv("KRB5CCNAME", "")
	t.Setenv("KRB5_KTNAME", "")
	assert.Equal(t, "FILE:/tmp/from-conf", CCacheName(cfg))
	assert.Equal(t, "/etc/from-conf.keytab", KeytabName(cfg))
	assert.Equal(t, DefaultCCacheName, CCacheName(nil))
	assert.Equal(t, DefaultKeytabName, KeytabName(nil))
	t.Setenv("KRB5CCNAME", "FILE:/tmp/env-cc")
	t.Setenv("KRB5_KTNAME", "WRFILE:/tmp/env.keytab")
	assert.Equal(t, "FILE:/tmp/env-cc", CCacheName(cfg))
	assert.Equal(t, "WRFILE:/tmp/env.keytab", KeytabName(cfg))

	uid := os.Getuid()
	for in, want := range map[string]string{
		"FILE:/tmp/a":             "/tmp/a",
		"/tmp/b":                  "/tmp/b",
		"WRFILE:/tmp/c":           "/tmp/c",
		"FILE:/tmp/krb5cc_%{uid}": "/tmp/krb5cc_" + strconv.Itoa(uid),
		"FILE:%{TEMP}/x":          filepath.Join(os.TempDir(), "x"),
	} {
		got, err := ResolveFile(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"KEYRING:persistent:1000", "KCM:", "DIR:/tmp/d", "MEMORY:x", "FILE:", "FILE:/tmp/%{nope}", "FILE:/tmp/%{uid"} {
		_, err := ResolveFile(bad)
		assert.Error(t, err, bad)
	}
}

func TestKDCAddresses(t *testing.T) {
	c, err := ParseConfig("krb5.conf", []byte("[realms]\nR = {\nkdc = kdc1\nkdc = 127.0.0.1:750\nkdc = [::1]:88\nkdc = [fe80::1]\nkdc = ::2\n}\nBAD = {\nkdc = tcp/x:1\n}\nBADPORT = {\nkdc = x:99999\n}\n"))
	require.NoError(t, err)
	got, err := c.KDCAddresses("R")
	require.NoError(t, err)
	assert.Equal(t, []string{"kdc1:88", "127.0.0.1:750", "[::1]:88", "[fe80::1]:88", "[::2]:88"}, got)
	for _, realm := range []string{"BAD", "BADPORT", "MISSING"} {
		_, err := c.KDCAddresses(realm)
		assert.Error(t, err, realm)
	}
}
