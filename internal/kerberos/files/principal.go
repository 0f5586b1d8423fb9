package files

import (
	"fmt"
	"strings"
)

// Error is every parsing failure of this package.
type Error struct {
	msg string
}

// Error returns the message, prefixed "kerberos: ".
func (e *Error) Error() string { return "kerberos: " + e.msg }

func errorf(format string, args ...any) *Error {
	return &Error{msg: fmt.Sprintf(format, args...)}
}

// Caps on what a file can make a parser hold.
const (
	// MaxFileSize bounds a keytab or credential cache read whole.
	MaxFileSize = 16 << 20
	// maxComponents bounds the components of one principal.
	maxComponents = 32
	// maxEntries bounds keytab entries and cache credentials.
	maxEntries = 1 << 16
	// maxAddresses bounds addresses and authdata elements of a credential.
	maxAddresses = 1024
)

// Principal is a Kerberos principal name as the files store it.
type Principal struct {
	NameType   int32
	Realm      string
	Components []string
}

// String renders the principal as MIT's krb5_unparse_name does, without
// escaping: "comp1/comp2@REALM".
func (p Principal) String() string {
	return strings.Join(p.Components, "/") + "@" + p.Realm
}

// Equal compares realm and components; the name type is advisory
// (RFC 4120 section 6.2), as MIT's krb5_principal_compare treats it.
func (p Principal) Equal(o Principal) bool {
	if p.Realm != o.Realm || len(p.Components) != len(o.Components) {
		return false
	}
	for i := range p.Components {
		if p.Components[i] != o.Components[i] {
			return false
		}
	}
	return true
}

// ParsePrincipal reads "a/b@REALM"; without "@" the realm is defaultRealm.
// Backslash escapes a following "/", "@" or "\" as in MIT's parser.
func ParsePrincipal(s, defaultRealm string) (Principal, error) {
	var comps []string
	var cur strings.Builder
	realm, haveRealm := "", false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '/' && !haveRealm:
			comps = append(comps, cur.String())
			cur.Reset()
		case c == '@' && !haveRealm:
			comps = append(comps, cur.String())
			cur.Reset()
			haveRealm = true
		default:
			cur.WriteByte(c)
		}
	}
	if haveRealm {
		realm = cur.String()
	} else {
		comps = append(comps, cur.String())
		realm = defaultRealm
	}
	if len(comps) == 0 || comps[0] == "" {
		return Principal{}, errorf("principal %q has no name", s)
	}
	if realm == "" {
		return Principal{}, errorf("principal %q has no realm and there is no default realm", s)
	}
	nt := int32(1) // KRB5_NT_PRINCIPAL
	return Principal{NameType: nt, Realm: realm, Components: comps}, nil
}
