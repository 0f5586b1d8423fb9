package digest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gosspi/schannel/internal/peertest"
)

// cellFile is this package's file of interop cells
// (interop/testdata/cells/digest.json), merged into interop.md.
const cellFile = "digest"

// digestCell records the running interop test as a line of the Digest
// section of the interop table, with its outcome (peertest.RecordCell).
func digestCell(t *testing.T, ours, peer, alg, qop, feature string) {
	t.Helper()
	peertest.RecordCell(t, cellFile, peertest.Cell{Section: "Digest", Ours: ours, Peer: peer, Algorithm: alg, Qop: qop, Feature: feature})
}

// digestUnsupported records the running test as a cell the peer cannot
// play, with the reason observed, and skips it.
func digestUnsupported(t *testing.T, ours, peer, alg, qop, feature, why string) {
	t.Helper()
	peertest.RecordUnsupported(t, cellFile, peertest.Cell{Section: "Digest", Ours: ours, Peer: peer, Algorithm: alg, Qop: qop, Feature: feature}, why)
}

// apacheRefuses runs apache2 -t on a configuration with directive inside
// a Digest location and returns Apache's complaint, or "" when it takes it.
func apacheRefuses(t *testing.T, apache, directive string) string {
	t.Helper()
	dir := t.TempDir()
	const modules = "/usr/lib/apache2/modules"
	conf := "ServerRoot " + dir + "\nServerName localhost\nListen 127.0.0.1:1\nPidFile " + dir + "/pid\nErrorLog " + dir + "/err\n"
	for _, m := range []string{"mpm_prefork", "authn_core", "auth_digest", "authz_core"} {
		conf += "LoadModule " + m + "_module " + modules + "/mod_" + m + ".so\n"
	}
	conf += "<Location />\n AuthType Digest\n AuthName r\n " + directive + "\n</Location>\n"
	writeFile(t, dir+"/httpd.conf", conf)
	out, err := exec.Command(apache, "-t", "-f", dir+"/httpd.conf").CombinedOutput()
	if err == nil {
		return ""
	}
	return lastLine(string(out))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
