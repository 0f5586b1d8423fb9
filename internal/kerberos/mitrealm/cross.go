package mitrealm

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// CrossEnctypes are the enctypes of the cross-realm keys: both databases
// must hold the same keys for krbtgt/B@A (and krbtgt/A@B), which the same
// password, salt (the principal's name) and enctype list give.
const CrossEnctypes = "aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal"

// Cross is two throwaway realms whose KDCs trust each other both ways,
// each on its own loopback port with its own database, krb5.conf and
// kdc.conf; nothing is put in the test's environment.
type Cross struct {
	A, B *Realm
}

// NewCross creates realms a and b, the cross-realm principals krbtgt/b@a
// and krbtgt/a@b in both databases, and starts both KDCs. hostReferrals
// maps domains (".b.test") to realms in the [domain_realm] of every KDC's
// profile, which makes MIT's KDC (1.7 and later) answer a canonicalize
// request for a host-based service (NT-SRV-HST) of such a domain with a
// referral TGT for that realm instead of KDC_ERR_S_PRINCIPAL_UNKNOWN.
func NewCross(t testing.TB, a, b string, hostReferrals map[string]string) *Cross {
	t.Helper()
	for _, p := range []string{"kdb5_util", "kadmin.local", "krb5kdc"} {
		Require(t, p)
	}
	c := &Cross{A: newBare(t, a), B: newBare(t, b)}
	// freePort closes what it probed, so the second pick may repeat the
	// first.
	for i := 0; c.B.Port == c.A.Port && i < 10; i++ {
		c.B.Port = freePort(t)
	}
	for _, r := range []*Realm{c.A, c.B} {
		write(t, r.ConfigPath, c.Profile(r.Name, hostReferrals))
		write(t, filepath.Join(r.Dir, "kdc.conf"), fmt.Sprintf(`[kdcdefaults]
	kdc_ports = %[3]d
	kdc_tcp_listen = %[3]d
[logging]
	kdc = FILE:%[2]s/kdc.log
[realms]
	%[1]s = {
		database_name = %[2]s/principal
		key_stash_file = %[2]s/stash
		acl_file = %[2]s/kadm5.acl
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
	}
`, r.Name, r.Dir, r.Port))
		r.env = []string{"KRB5_CONFIG=" + r.ConfigPath, "KRB5_KDC_PROFILE=" + filepath.Join(r.Dir, "kdc.conf")}
		r.Run(t, nil, "kdb5_util", "create", "-s", "-r", r.Name, "-P", "masterpw")
	}
	for _, r := range []*Realm{c.A, c.B} {
		for _, tgs := range []string{"krbtgt/" + b + "@" + a, "krbtgt/" + a + "@" + b} {
			r.Admin(t, fmt.Sprintf("addprinc -pw cross-%s -e %s %s", strings.ReplaceAll(tgs, "/", "-"), CrossEnctypes, tgs))
		}
	}
	c.A.Start(t)
	c.B.Start(t)
	return c
}

// KDCLog returns what the realm's KDC has logged so far (one line per
// request: "AS_REQ ..." or "TGS_REQ ... for SERVER"), which shows what a
// client asked and how often.
func (r *Realm) KDCLog(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.Dir, "kdc.log"))
	if err != nil {
		t.Fatalf("KDC log of %s: %v", r.Name, err)
	}
	return string(b)
}

// newBare is a realm's directory and port, with nothing in them yet.
func newBare(t testing.TB, name string) *Realm {
	dir := t.TempDir()
	return &Realm{Dir: dir, ConfigPath: filepath.Join(dir, "krb5.conf"), Port: freePort(t), Name: name}
}

// Profile is a krb5.conf naming both realms' KDCs, with defaultRealm as
// default_realm and domainRealm as [domain_realm]; a client's profile
// usually has no [domain_realm] (the KDCs refer) or one entry (the client
// knows the service's realm).
func (c *Cross) Profile(defaultRealm string, domainRealm map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `[libdefaults]
	default_realm = %s
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
[realms]
`, defaultRealm)
	for _, r := range []*Realm{c.A, c.B} {
		fmt.Fprintf(&b, "\t%s = {\n\t\tkdc = 127.0.0.1:%d\n\t}\n", r.Name, r.Port)
	}
	b.WriteString("[domain_realm]\n")
	var keys []string
	for k := range domainRealm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "\t%s = %s\n", k, domainRealm[k])
	}
	return b.String()
}

// WriteProfile writes Profile into a new file of the test's and returns
// its path.
func (c *Cross) WriteProfile(t testing.TB, defaultRealm string, domainRealm map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "krb5.conf")
	write(t, path, c.Profile(defaultRealm, domainRealm))
	return path
}
