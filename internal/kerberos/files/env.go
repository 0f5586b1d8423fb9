package files

import (
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// CCacheName is the credential cache MIT would use: KRB5CCNAME when set
// and not empty, else default_ccache_name, else FILE:/tmp/krb5cc_%{uid}
// (krb5_cc_default_name). cfg may be nil.
func CCacheName(cfg *Config) string {
	if v := os.Getenv("KRB5CCNAME"); v != "" {
		return v
	}
	if cfg != nil && cfg.DefaultCCacheName != "" {
		return cfg.DefaultCCacheName
	}
	return DefaultCCacheName
}

// KeytabName is the keytab MIT would use for accepting: KRB5_KTNAME when
// set and not empty, else default_keytab_name, else FILE:/etc/krb5.keytab
// (krb5_kt_default_name). cfg may be nil.
func KeytabName(cfg *Config) string {
	if v := os.Getenv("KRB5_KTNAME"); v != "" {
		return v
	}
	if cfg != nil && cfg.DefaultKeytabName != "" {
		return cfg.DefaultKeytabName
	}
	return DefaultKeytabName
}

// ResolveFile turns a cache or keytab name into a file path: "FILE:path",
// "WRFILE:path" (keytabs), or a bare path, with MIT's %{...} tokens
// expanded. Any other type (DIR:, KEYRING:, KCM:, MEMORY:, API:, MSLSA:)
// is an error naming it. As in MIT, a one-letter prefix is a Windows
// drive, not a type.
func ResolveFile(name string) (string, error) {
	typ, rest, found := strings.Cut(name, ":")
	switch {
	case !found || len(typ) == 1:
		rest = name
	case typ == "FILE" || typ == "WRFILE":
	default:
		return "", errorf("%q: the %s type is not supported, only FILE", name, typ)
	}
	if rest == "" {
		return "", errorf("%q names no file", name)
	}
	return expandTokens(rest)
}

// expandTokens replaces the path tokens of krb5.conf(5) "PARAMETER
// EXPANSION" that apply on Unix and Windows.
func expandTokens(s string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "%{")
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", errorf("unterminated %%{ in %q", s)
		}
		tok := s[i+2 : i+end]
		s = s[i+end+1:]
		switch tok {
		case "uid", "USERID":
			b.WriteString(strconv.Itoa(os.Getuid()))
		case "euid":
			b.WriteString(strconv.Itoa(os.Geteuid()))
		case "username":
			u, err := user.Current()
			if err != nil {
				return "", errorf("%%{username}: %v", err)
			}
			b.WriteString(u.Username)
		case "TEMP":
			b.WriteString(filepath.Clean(os.TempDir()))
		case "null":
		default:
			return "", errorf("unknown token %%{%s}", tok)
		}
	}
	out := b.String()
	if runtime.GOOS != "windows" && !filepath.IsAbs(out) {
		// MIT opens relative names relative to the working directory;
		// keep that, but make it explicit for the caller.
		abs, err := filepath.Abs(out)
		if err != nil {
			return "", err
		}
		out = abs
	}
	return out, nil
}
