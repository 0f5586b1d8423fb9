//go:build linux

package interop_test

import (
	"context"
	"crypto/tls"
	"regexp"
	"strings"
	"sync"
	"time"
)

// tlsVersion is a protocol version in the names each peer uses.
type tlsVersion struct {
	Name    string // "TLS 1.3"
	ID      uint16
	OpenSSL string // s_client/s_server switch
	GnuTLS  string // priority keyword
	Curl    string // curl's minimum-version switch ("--tlsv1.3"); --tls-max goes with it
	CurlMax string
}

var (
	tls13 = tlsVersion{"TLS 1.3", tls.VersionTLS13, "-tls1_3", "VERS-TLS1.3", "--tlsv1.3", "1.3"}
	tls12 = tlsVersion{"TLS 1.2", tls.VersionTLS12, "-tls1_2", "VERS-TLS1.2", "--tlsv1.2", "1.2"}
)

var versions = []tlsVersion{tls13, tls12}

// group is a key exchange group.
type group struct {
	Name    string // as the table shows it
	ID      tls.CurveID
	OpenSSL string
	GnuTLS  string
	TLS13   bool // only in TLS 1.3 (the hybrid)
}

var (
	groupX25519MLKEM768 = group{"X25519MLKEM768", tls.X25519MLKEM768, "X25519MLKEM768", "GROUP-X25519-MLKEM768", true}
	groupX25519         = group{"X25519", tls.X25519, "X25519", "GROUP-X25519", false}
	groupP256           = group{"P-256", tls.CurveP256, "P-256", "GROUP-SECP256R1", false}
	groupP384           = group{"P-384", tls.CurveP384, "P-384", "GROUP-SECP384R1", false}
	groupP521           = group{"P-521", tls.CurveP521, "P-521", "GROUP-SECP521R1", false}
)

var groups = []group{groupX25519MLKEM768, groupX25519, groupP256, groupP384, groupP521}

// suite is a cipher suite this engine implements.
type suite struct {
	ID       uint16
	OpenSSL  string // OpenSSL's name (TLS 1.3 suites use the IANA name)
	GnuTLS   string // GnuTLS cipher keyword
	GnuTLSKX string // GnuTLS key exchange keyword, TLS 1.2 only
	RSA      bool   // needs an RSA server certificate
	TLS13    bool
}

func (s suite) Name() string { return tls.CipherSuiteName(s.ID) }

var suites = []suite{
	{tls.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", "AES-128-GCM", "", false, true},
	{tls.TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", "AES-256-GCM", "", false, true},
	{tls.TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305", "", false, true},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE-ECDSA-AES128-GCM-SHA256", "AES-128-GCM", "ECDHE-ECDSA", false, false},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE-ECDSA-AES256-GCM-SHA384", "AES-256-GCM", "ECDHE-ECDSA", false, false},
	{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305", "CHACHA20-POLY1305", "ECDHE-ECDSA", false, false},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256", "AES-128-GCM", "ECDHE-RSA", true, false},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384", "AES-256-GCM", "ECDHE-RSA", true, false},
	{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-RSA-CHACHA20-POLY1305", "CHACHA20-POLY1305", "ECDHE-RSA", true, false},
}

// combo is one (version, group, suite) cell of the handshake matrix.
type combo struct {
	V tlsVersion
	G group
	S suite
}

// combos is every combination both sides could share: TLS 1.3 suites with
// every group, TLS 1.2 suites with the classical groups.
func combos() []combo {
	var out []combo
	for _, v := range versions {
		for _, g := range groups {
			if g.TLS13 && v.ID != tls.VersionTLS13 {
				continue
			}
			for _, s := range suites {
				if s.TLS13 != (v.ID == tls.VersionTLS13) {
					continue
				}
				out = append(out, combo{v, g, s})
			}
		}
	}
	return out
}

func (c combo) cell(peer, ours string) cell {
	return cell{Peer: peer, Ours: ours, Version: c.V.Name, Group: c.G.Name, Suite: c.S.Name(), Feature: "handshake"}
}

// groupsFor is the group list of one side. In TLS 1.2 the client's
// supported_groups also names the curves it accepts in ECDSA signatures (RFC
// 8422 5.1.1), and OpenSSL refuses an ECDSA certificate whose curve the client
// did not list; so a TLS 1.2 client in an ECDSA cell adds P-256 (the curve of
// the server certificate) after the group under test, while the server is
// held to that group alone.
func (c combo) groupsFor(client bool) []group {
	if client && !c.V.isTLS13() && !c.S.RSA && c.G.ID != tls.CurveP256 {
		return []group{c.G, groupP256}
	}
	return []group{c.G}
}

// noteGroups says in the notes when a client listed more than the group
// under test.
func (c combo) noteGroups(n *notes) {
	if g := c.groupsFor(true); len(g) > 1 {
		n.add("client lists %s then %s (the ECDSA certificate's curve); server allows %s only", g[0].Name, g[1].Name, c.G.Name)
	}
}

func (v tlsVersion) isTLS13() bool { return v.ID == tls.VersionTLS13 }

// gnutlsPriority restricts GnuTLS to one version, group and suite.
func (c combo) gnutlsPriority(client bool) string {
	p := "NORMAL:-VERS-ALL:+" + c.V.GnuTLS + ":-GROUP-ALL"
	for _, g := range c.groupsFor(client) {
		p += ":+" + g.GnuTLS
	}
	p += ":-CIPHER-ALL:+" + c.S.GnuTLS
	if c.S.GnuTLSKX != "" {
		p += ":-KX-ALL:+" + c.S.GnuTLSKX
	}
	return p
}

// opensslGroups is the -groups (or curl --curves) list of one side.
func (c combo) opensslGroups(client bool) string {
	var names []string
	for _, g := range c.groupsFor(client) {
		names = append(names, g.OpenSSL)
	}
	return strings.Join(names, ":")
}

// opensslArgs restricts OpenSSL to one version, group and suite.
func (c combo) opensslArgs(client bool) []string {
	args := []string{c.V.OpenSSL, "-groups", c.opensslGroups(client)}
	if c.S.TLS13 {
		return append(args, "-ciphersuites", c.S.OpenSSL)
	}
	return append(args, "-cipher", c.S.OpenSSL)
}

// restrict holds our side to the same.
func (c combo) restrict(cfg *tls.Config, client bool) *tls.Config {
	cfg.MinVersion, cfg.MaxVersion = c.V.ID, c.V.ID
	cfg.CurvePreferences = nil
	for _, g := range c.groupsFor(client) {
		cfg.CurvePreferences = append(cfg.CurvePreferences, g.ID)
	}
	cfg.CipherSuites = []uint16{c.S.ID}
	return cfg
}

// Peer capabilities, probed once.
var (
	probeOnce       sync.Once
	opensslVer      string // "OpenSSL 3.0.22 ..."
	opensslMLKEM    bool
	gnutlsVer       string
	gnutlsMLKEM     bool
	curlVer         string
	curlMLKEM       bool
	opensslVersionR = regexp.MustCompile(`OpenSSL (\d+)\.(\d+)`)
)

func probePeers() {
	probeOnce.Do(func() {
		opensslVer = peerVersion("openssl", "version")
		// The hybrid group came with OpenSSL 3.5; older versions reject it
		// in a group list.
		opensslMLKEM = acceptsGroups("openssl", "X25519MLKEM768")
		gnutlsVer = peerVersion("gnutls-cli", "--version")
		out := runQuiet("gnutls-cli", "--list")
		gnutlsMLKEM = strings.Contains(out, "GROUP-X25519-MLKEM768")
		curlVer = peerVersion("curl", "--version")
		// curl passes --curves to the OpenSSL it links.
		curlMLKEM = strings.Contains(curlVer, "OpenSSL/") && opensslMLKEM && sameOpenSSL(curlVer, opensslVer)
	})
}

// acceptsGroups asks OpenSSL whether it knows a group list.
func acceptsGroups(program, list string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// s_client parses -groups before it connects; the bad port makes it stop there.
	out, _ := peerCommand(ctx, program, "s_client", "-groups", list, "-connect", "127.0.0.1:1").CombinedOutput()
	s := string(out)
	return !strings.Contains(s, "SSL_CONF_cmd") && !strings.Contains(s, "cannot be set")
}

func sameOpenSSL(curl, openssl string) bool {
	m := opensslVersionR.FindStringSubmatch(openssl)
	return m != nil && strings.Contains(curl, "OpenSSL/"+m[1]+"."+m[2])
}

func runQuiet(program string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, _ := peerCommand(ctx, program, args...).CombinedOutput()
	return string(out)
}

// shortVersion is "OpenSSL 3.0.22" from "OpenSSL 3.0.22 25 Aug 2026 (...)".
func shortVersion(v string) string {
	f := strings.Fields(v)
	if len(f) >= 2 {
		return f[0] + " " + f[1]
	}
	return v
}
