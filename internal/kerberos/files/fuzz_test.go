package files

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzKeytab holds ParseKeytab to the parser contract: no panic, only
// *Error, and whatever parses marshals to bytes that parse to the same
// keytab and marshal again to the same bytes.
func FuzzKeytab(f *testing.F) {
	if b, err := sampleKeytab().Marshal(); err == nil {
		f.Add(b)
	}
	f.Add([]byte{5, 2, 0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		kt, err := ParseKeytab(data)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("ParseKeytab returned %T: %v", err, err)
			}
			return
		}
		enc, err := kt.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed keytab: %v", err)
		}
		kt2, err := ParseKeytab(enc)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !reflect.DeepEqual(kt, kt2) {
			t.Fatalf("keytab changed across a round trip:\n%#v\n%#v", kt, kt2)
		}
		enc2, err := kt2.Marshal()
		if err != nil || string(enc) != string(enc2) {
			t.Fatalf("Marshal is not idempotent: %v", err)
		}
	})
}

// FuzzCCache is the same contract for ParseCCache; a version 3 file comes
// back as version 4, the only field Marshal does not keep.
func FuzzCCache(f *testing.F) {
	if b, err := sampleCCache().Marshal(); err == nil {
		f.Add(b)
	}
	f.Add([]byte{5, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		cc, err := ParseCCache(data)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("ParseCCache returned %T: %v", err, err)
			}
			return
		}
		enc, err := cc.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed cache: %v", err)
		}
		cc2, err := ParseCCache(enc)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		cc.Version = 4
		if !reflect.DeepEqual(cc, cc2) {
			t.Fatalf("cache changed across a round trip:\n%#v\n%#v", cc, cc2)
		}
		enc2, err := cc2.Marshal()
		if err != nil || string(enc) != string(enc2) {
			t.Fatalf("Marshal is not idempotent: %v", err)
		}
	})
}

// FuzzConfig checks that no krb5.conf makes the parser panic and that
// failures are *Error (a profile in memory cannot fail with an I/O error
// unless it includes a file, which the seed corpus avoids).
func FuzzConfig(f *testing.F) {
	f.Add([]byte(sampleConf))
	f.Add([]byte("[realms]\nR = {\nkdc = \"a\\tb\"\n}*\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ParseConfig("fuzz", data)
		if err == nil {
			return
		}
		var fe *Error
		if !errors.As(err, &fe) && !containsInclude(data) {
			t.Fatalf("ParseConfig returned %T: %v", err, err)
		}
	})
}

func containsInclude(b []byte) bool {
	return bytes.Contains(b, []byte("include")) || bytes.Contains(b, []byte("module"))
}
