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

// Cross is throwaway realms whose KDCs trust each other as asked, each on
// its own loopback port with its own database, krb5.conf and kdc.conf;
// nothing is put in the test's environment. A and B are the first two.
type Cross struct {
	A, B   *Realm
	Realms []*Realm
}

// NewCross creates realms a and b, the cross-realm principals krbtgt/b@a
// and krbtgt/a@b in both databases, and starts both KDCs. hostReferrals
// maps domains (".b.test") to realms in the [domain_realm] of every KDC's
// profile, which makes MIT's KDC (1.7 and later) answer a canonicalize
// request for a host-based service (NT-SRV-HST) of such a domain with a
// referral TGT for that realm instead of KDC_ERR_S_PRINCIPAL_UNKNOWN.
func NewCross(t testing.TB, a, b string, hostReferrals map[string]string) *Cross {
	t.Helper()
	return NewTrust(t, Trust{Realms: []string{a, b}, Pairs: [][2]string{{a, b}}, DomainRealm: hostReferrals})
}

// Trust describes realms for NewTrust.
type Trust struct {
	Realms []string
	// Pairs trust each other both ways: krbtgt/Y@X and krbtgt/X@Y in both
	// databases.
	Pairs [][2]string
	// DomainRealm is every KDC's [domain_realm] (host referrals).
	DomainRealm map[string]string
	// KDCProfile is more of every KDC's krb5.conf, such as a [capaths]
	// section for realms that trust through others.
	KDCProfile string
}

// NewTrust creates and starts the realms tr describes.
func NewTrust(t testing.TB, tr Trust) *Cross {
	t.Helper()
	for _, p := range []string{"kdb5_util", "kadmin.local", "krb5kdc"} {
		Require(t, p)
	}
	c := &Cross{}
	used := map[int]bool{}
	for _, name := range tr.Realms {
		r := newBare(t, name)
		// freePort closes what it probed, so a later pick may repeat an
		// earlier one.
		for i := 0; used[r.Port] && i < 10; i++ {
			r.Port = freePort(t)
		}
		used[r.Port] = true
		c.Realms = append(c.Realms, r)
	}
	c.A, c.B = c.Realms[0], c.Realms[1]
	for _, r := range c.Realms {
		write(t, r.ConfigPath, c.Profile(r.Name, tr.DomainRealm)+tr.KDCProfile)
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
	byName := map[string]*Realm{}
	for _, r := range c.Realms {
		byName[r.Name] = r
	}
	for _, p := range tr.Pairs {
		for _, tgs := range []string{"krbtgt/" + p[1] + "@" + p[0], "krbtgt/" + p[0] + "@" + p[1]} {
			for _, r := range []*Realm{byName[p[0]], byName[p[1]]} {
				r.Admin(t, fmt.Sprintf("addprinc -pw cross-%s -e %s %s", strings.ReplaceAll(tgs, "/", "-"), CrossEnctypes, tgs))
			}
		}
	}
	for _, r := range c.Realms {
		r.Start(t)
	}
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

// Profile is a krb5.conf naming every realm's KDC, with defaultRealm as
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
	for _, r := range c.Realms {
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
