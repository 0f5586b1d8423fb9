package wire

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mitSeeds reads messages captured from MIT krb5 (testdata/mit/NAME.hex,
// made by testdata/mit/capture.sh) for use as fuzz seeds.
func mitSeeds(tb testing.TB, names ...string) [][]byte {
	var out [][]byte
	for _, n := range names {
		b, err := readMIT(n)
		if err != nil {
			tb.Fatalf("testdata/mit/%s.hex: %v", n, err)
		}
		out = append(out, b)
	}
	return out
}

func readMIT(name string) ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join("testdata", "mit", name+".hex"))
	if err != nil {
		return nil, err
	}
	var keep []string
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		keep = append(keep, strings.TrimSpace(line))
	}
	return hex.DecodeString(strings.Join(keep, ""))
}

// mitInner returns the messages inside captured GSS-API tokens.
func mitInner(tb testing.TB, names ...string) [][]byte {
	var out [][]byte
	for _, raw := range mitSeeds(tb, names...) {
		var tok GSSToken
		if err := tok.Unmarshal(raw); err != nil {
			tb.Fatal(err)
		}
		out = append(out, tok.Message)
	}
	return out
}

// mitEData is the METHOD-DATA of the captured PREAUTH_REQUIRED error.
func mitEData(tb testing.TB) [][]byte {
	var e KRBError
	if err := e.Unmarshal(mitSeeds(tb, "krb-error")[0]); err != nil {
		tb.Fatal(err)
	}
	return [][]byte{e.EData}
}

// mitETypeInfo2 is the PA-ETYPE-INFO2 value inside that METHOD-DATA.
func mitETypeInfo2(tb testing.TB) [][]byte {
	var md MethodData
	if err := md.Unmarshal(mitEData(tb)[0]); err != nil {
		tb.Fatal(err)
	}
	p, ok := md.Find(PAETypeInfo2)
	if !ok {
		tb.Fatal("no PA-ETYPE-INFO2 in the captured error")
	}
	return [][]byte{p.Value}
}

// mitSecrets reads testdata/mit/secrets.txt: "name value" lines.
func mitSecrets(tb testing.TB) map[string]string {
	raw, err := os.ReadFile(filepath.Join("testdata", "mit", "secrets.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && !strings.HasPrefix(line, "#") {
			out[f[0]] = f[1]
		}
	}
	return out
}
