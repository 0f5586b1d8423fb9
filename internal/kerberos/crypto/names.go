package crypto

import "strings"

// defaultEnctypes is MIT's default for default_tkt_enctypes,
// default_tgs_enctypes and permitted_enctypes (krb5.conf(5), 1.21),
// restricted to the enctypes this package implements.
var defaultEnctypes = []int32{
	AES256CTSHMACSHA196, AES128CTSHMACSHA196,
	AES256CTSHMACSHA384192, AES128CTSHMACSHA256128,
	RC4HMAC,
}

// families are the group names MIT's enctype lists accept.
var families = map[string][]int32{
	"aes":      {AES256CTSHMACSHA196, AES128CTSHMACSHA196, AES256CTSHMACSHA384192, AES128CTSHMACSHA256128},
	"rc4":      {RC4HMAC},
	"default":  defaultEnctypes,
	"des":      nil, // recognised, not implemented
	"des3":     nil,
	"camellia": nil,
}

// ParseEnctypeList reads an enctype list as MIT's krb5.conf does
// (krb5.conf(5), "Encryption types"): names, aliases and family names
// separated by white space or commas, a leading "-" removing and an
// optional "+" adding, order kept, duplicates dropped. Names this package
// does not implement are ignored, as MIT ignores unknown ones. Weak
// enctypes stay in the list; refusing them is the caller's policy.
func ParseEnctypeList(s string) []int32 {
	var out []int32
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	for _, f := range fields {
		remove := false
		switch f[0] {
		case '-':
			remove, f = true, f[1:]
		case '+':
			f = f[1:]
		}
		var ids []int32
		if fam, ok := families[strings.ToLower(f)]; ok {
			ids = fam
		} else if e, ok := LookupName(f); ok {
			ids = []int32{e.ID}
		}
		for _, id := range ids {
			at := -1
			for i, have := range out {
				if have == id {
					at = i
				}
			}
			switch {
			case remove && at >= 0:
				out = append(out[:at], out[at+1:]...)
			case !remove && at < 0:
				out = append(out, id)
			}
		}
	}
	return out
}
