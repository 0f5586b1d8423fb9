package files

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
)

// Defaults of krb5.conf(5) for MIT krb5 1.20.
const (
	DefaultConfigPath         = "/etc/krb5.conf"
	DefaultCCacheName         = "FILE:/tmp/krb5cc_%{uid}"
	DefaultKeytabName         = "FILE:/etc/krb5.keytab"
	DefaultUDPPreferenceLimit = 1465
	DefaultClockSkew          = 5 * time.Minute
	defaultTicketLifetime     = 24 * time.Hour
)

// Realm is one [realms] entry.
type Realm struct {
	// KDC lists "host" or "host:port" in file order.
	KDC []string
	// AdminServer and MasterKDC are kept for callers that change
	// passwords; the engine does not use them.
	AdminServer []string
	MasterKDC   []string
}

// Config is what our Kerberos package reads from krb5.conf.
type Config struct {
	DefaultRealm string
	// The enctype lists, parsed as MIT parses them; weak enctypes stay in
	// and are filtered by the caller (see AllowRC4).
	DefaultTktEnctypes []int32
	DefaultTGSEnctypes []int32
	PermittedEnctypes  []int32
	// AllowRC4 is allow_rc4 (MIT 1.21) or allow_weak_crypto: without it
	// RC4-HMAC is refused whatever the lists say.
	AllowRC4           bool
	DNSLookupKDC       bool
	DNSLookupRealm     bool
	UDPPreferenceLimit int
	ClockSkew          time.Duration
	TicketLifetime     time.Duration
	Forwardable        bool
	DefaultCCacheName  string
	DefaultKeytabName  string
	Realms             map[string]Realm
	// DomainRealm maps a host name (exact) or a domain (leading ".") to
	// a realm.
	DomainRealm map[string]string
}

// ParseConfig reads one krb5.conf from memory; name appears in errors.
func ParseConfig(name string, data []byte) (*Config, error) {
	var p profile
	if len(data) > maxProfileSize {
		return nil, errorf("%s is larger than %d bytes", name, maxProfileSize)
	}
	if err := p.parse(name, data, 0); err != nil {
		return nil, err
	}
	return fromProfile(&p)
}

// LoadConfig reads the files MIT would: the colon-separated list in
// KRB5_CONFIG, else /etc/krb5.conf. Files that do not exist are skipped,
// as MIT's profile library skips them; with none at all the result is
// the built-in defaults.
func LoadConfig() (*Config, error) {
	return LoadConfigFiles(ConfigPaths())
}

// ConfigPaths is the list of files LoadConfig reads.
func ConfigPaths() []string {
	if v := os.Getenv("KRB5_CONFIG"); v != "" {
		return strings.Split(v, ":")
	}
	return []string{DefaultConfigPath}
}

// LoadConfigFiles reads and merges krb5.conf files, the first file's
// values first.
func LoadConfigFiles(paths []string) (*Config, error) {
	var p profile
	for _, path := range paths {
		if path == "" {
			continue
		}
		if err := p.parseFile(path, 0); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
	}
	return fromProfile(&p)
}

func fromProfile(p *profile) (*Config, error) {
	c := &Config{
		DNSLookupKDC:       true,
		UDPPreferenceLimit: DefaultUDPPreferenceLimit,
		ClockSkew:          DefaultClockSkew,
		TicketLifetime:     defaultTicketLifetime,
		DefaultCCacheName:  DefaultCCacheName,
		DefaultKeytabName:  DefaultKeytabName,
		Realms:             map[string]Realm{},
		DomainRealm:        map[string]string{},
	}
	first := func(path ...string) (string, bool) {
		v := p.values(path...)
		if len(v) == 0 {
			return "", false
		}
		return v[0], true
	}
	lib := func(tag string) (string, bool) { return first("libdefaults", tag) }
	var err error
	if v, ok := lib("default_realm"); ok {
		c.DefaultRealm = v
	}
	enctypes := func(tag string) []int32 {
		if v, ok := lib(tag); ok {
			return crypto.ParseEnctypeList(v)
		}
		return crypto.ParseEnctypeList("DEFAULT")
	}
	c.DefaultTktEnctypes = enctypes("default_tkt_enctypes")
	c.DefaultTGSEnctypes = enctypes("default_tgs_enctypes")
	c.PermittedEnctypes = enctypes("permitted_enctypes")
	for _, tag := range []string{"allow_rc4", "allow_weak_crypto"} {
		if v, ok := lib(tag); ok {
			b, err := parseBool(tag, v)
			if err != nil {
				return nil, err
			}
			c.AllowRC4 = c.AllowRC4 || b
		}
	}
	bools := []struct {
		tag string
		dst *bool
	}{
		{"dns_lookup_kdc", &c.DNSLookupKDC},
		{"dns_lookup_realm", &c.DNSLookupRealm},
		{"forwardable", &c.Forwardable},
	}
	for _, b := range bools {
		if v, ok := lib(b.tag); ok {
			if *b.dst, err = parseBool(b.tag, v); err != nil {
				return nil, err
			}
		}
	}
	if v, ok := lib("udp_preference_limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errorf("udp_preference_limit %q is not a byte count", v)
		}
		c.UDPPreferenceLimit = n
	}
	if v, ok := lib("clockskew"); ok {
		if c.ClockSkew, err = parseDuration("clockskew", v); err != nil {
			return nil, err
		}
	}
	if v, ok := lib("ticket_lifetime"); ok {
		if c.TicketLifetime, err = parseDuration("ticket_lifetime", v); err != nil {
			return nil, err
		}
	}
	if v, ok := lib("default_ccache_name"); ok {
		c.DefaultCCacheName = v
	}
	if v, ok := lib("default_keytab_name"); ok {
		c.DefaultKeytabName = v
	}
	for _, name := range p.names("realms") {
		c.Realms[name] = Realm{
			KDC:         p.values("realms", name, "kdc"),
			AdminServer: p.values("realms", name, "admin_server"),
			MasterKDC:   p.values("realms", name, "master_kdc"),
		}
	}
	for _, host := range p.names("domain_realm") {
		if v, ok := first("domain_realm", host); ok {
			c.DomainRealm[strings.ToLower(host)] = v
		}
	}
	return c, nil
}

// RealmForHost is HostRealm, else the default realm (false if there is
// none): the realm a client that follows no referrals would use.
func (c *Config) RealmForHost(host string) (string, bool) {
	if r, ok := c.HostRealm(host); ok {
		return r, true
	}
	return c.DefaultRealm, c.DefaultRealm != ""
}

// HostRealm maps a host to its realm with [domain_realm] alone, as
// krb5_get_host_realm does when dns_lookup_realm is off: progressively
// shorter suffixes, first match wins. For a.b.c that is a.b.c, .b.c, b.c,
// .c, c (MIT's search_domain_realm), so an entry "b.c" covers b.c and its
// subdomains unless ".b.c" says otherwise, and ".b.c" covers only the
// subdomains. Without a match the realm is unknown (false), and MIT asks
// the client realm's KDC for a referral.
func (c *Config) HostRealm(host string) (string, bool) {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	for p := h; p != ""; {
		if r, ok := c.DomainRealm[p]; ok {
			return r, true
		}
		if p[0] == '.' {
			p = p[1:]
		} else if i := strings.IndexByte(p, '.'); i >= 0 {
			p = p[i:]
		} else {
			break
		}
	}
	return "", false
}

// FallbackRealm is the realm tried for a host when [domain_realm] has no
// entry and referrals fail, as MIT's krb5_get_fallback_host_realm without
// DNS: the host's domain (all but its first label) in upper case, or the
// default realm for a host without a dot.
func (c *Config) FallbackRealm(host string) string {
	h := strings.TrimSuffix(host, ".")
	if _, domain, ok := strings.Cut(h, "."); ok && domain != "" {
		return strings.ToUpper(domain)
	}
	return c.DefaultRealm
}

// parseBool reads a profile boolean as MIT's profile_parse_boolean does.
func parseBool(tag, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "y", "yes", "true", "t", "1", "on":
		return true, nil
	case "n", "no", "false", "nil", "0", "off":
		return false, nil
	}
	return false, errorf("%s = %q is not a boolean", tag, v)
}

// parseDuration reads krb5_string_to_deltat's common forms: seconds,
// "h:m[:s]", and unit-suffixed numbers such as "10h30m" or "1d".
func parseDuration(tag, v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	if strings.Contains(v, ":") {
		parts := strings.Split(v, ":")
		if len(parts) > 3 {
			return 0, errorf("%s = %q is not a duration", tag, v)
		}
		var d time.Duration
		units := []time.Duration{time.Hour, time.Minute, time.Second}
		for i, p := range parts {
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 {
				return 0, errorf("%s = %q is not a duration", tag, v)
			}
			d += time.Duration(n) * units[i]
		}
		return d, nil
	}
	s := strings.ReplaceAll(strings.ToLower(v), " ", "")
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, errorf("%s = %q is not a duration", tag, v)
		}
		n, _ := strconv.Atoi(s[:i])
		unit := map[byte]time.Duration{'d': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}[s[i]]
		if unit == 0 {
			return 0, errorf("%s = %q is not a duration", tag, v)
		}
		total += time.Duration(n) * unit
		s = s[i+1:]
	}
	return total, nil
}

// KDCAddresses returns the realm's kdc entries as "host:port" for
// net.Dial, with MIT's defaults: port 88 when none is given, IPv6
// literals bracketed. A "tcp/" or "udp/" prefix is not MIT 1.20 syntax
// and is refused, as MIT cannot contact such a KDC either.
func (c *Config) KDCAddresses(realm string) ([]string, error) {
	r, ok := c.Realms[realm]
	if !ok || len(r.KDC) == 0 {
		return nil, errorf("no kdc for realm %q in krb5.conf", realm)
	}
	out := make([]string, 0, len(r.KDC))
	for _, k := range r.KDC {
		if strings.Contains(k, "/") {
			return nil, errorf("kdc %q: a transport prefix is not supported", k)
		}
		host, port := k, "88"
		switch {
		case strings.HasPrefix(k, "["):
			end := strings.IndexByte(k, ']')
			if end < 0 {
				return nil, errorf("kdc %q: unterminated [", k)
			}
			host = k[1:end]
			if rest := k[end+1:]; rest != "" {
				if !strings.HasPrefix(rest, ":") {
					return nil, errorf("kdc %q: text after ]", k)
				}
				port = rest[1:]
			}
		case strings.Count(k, ":") == 1:
			host, port, _ = strings.Cut(k, ":")
		case strings.Count(k, ":") > 1:
			host = k // a bare IPv6 literal
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 || host == "" {
			return nil, errorf("kdc %q is not host[:port]", k)
		}
		out = append(out, net.JoinHostPort(host, port))
	}
	return out, nil
}
