package peertest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Cell is one line of the interop table (interop/testdata/interop.md) for
// a test outside package interop, such as the Digest interop tests: what
// ran against which peer, and how it ended.
type Cell struct {
	Section   string `json:"section"`             // the table section: "Digest"
	Ours      string `json:"ours"`                // our side: "HTTP client (Transport)"...
	Peer      string `json:"peer"`                // the peer and its version
	Algorithm string `json:"algorithm,omitempty"` // MD5, SHA-256...
	Qop       string `json:"qop,omitempty"`       // auth, auth-int, auth-conf (rc4)...
	Feature   string `json:"feature"`             // what was exercised
	Result    string `json:"result"`              // ok, FAIL, not supported by peer, skipped
	Notes     string `json:"notes,omitempty"`     // why n/a, or what was checked
	Test      string `json:"test"`                // the test that produced the cell
}

// The results a Cell records, the words of the interop table.
const (
	ResultOK          = "ok"
	ResultFail        = "FAIL"
	ResultUnsupported = "not supported by peer"
	ResultSkipped     = "skipped"
)

// WriteCellsEnv, set to 1, makes RecordCell write its cells (the variable
// the interop package's table writer also obeys).
const WriteCellsEnv = "SCHANNEL_WRITE_INTEROP"

// cellFiles caches the cell files this process has touched.
var cellFiles struct {
	sync.Mutex
	cells map[string]map[string]Cell // file -> Test -> cell
}

// RecordCell records c with t's outcome when t ends: ok, FAIL, or skipped
// (a missing peer). With SCHANNEL_WRITE_INTEROP=1 the cell replaces the
// one of the same test in interop/testdata/cells/<file>.json, which the
// interop table generator merges into interop.md; without it nothing is
// written. The cells come only from real runs: nothing here makes up a
// result.
func RecordCell(t *testing.T, file string, c Cell) {
	t.Helper()
	c.Test = t.Name()
	t.Cleanup(func() {
		switch {
		case t.Failed():
			c.Result = ResultFail
		case t.Skipped():
			c.Result = ResultSkipped
		default:
			c.Result = ResultOK
		}
		if err := writeCell(file, c); err != nil {
			t.Errorf("peertest: recording the interop cell: %v", err)
		}
	})
}

// RecordUnsupported records, under t, a cell that is not run because the
// peer lacks the feature (why says how that was established), and skips t.
func RecordUnsupported(t *testing.T, file string, c Cell, why string) {
	t.Helper()
	c.Test, c.Result, c.Notes = t.Name(), ResultUnsupported, why
	if err := writeCell(file, c); err != nil {
		t.Errorf("peertest: recording the interop cell: %v", err)
	}
	t.Skip(why)
}

func writeCell(file string, c Cell) error {
	if os.Getenv(WriteCellsEnv) != "1" {
		return nil
	}
	dir, err := cellDir()
	if err != nil {
		return err
	}
	path := filepath.Join(dir, file+".json")
	cellFiles.Lock()
	defer cellFiles.Unlock()
	if cellFiles.cells == nil {
		cellFiles.cells = map[string]map[string]Cell{}
	}
	m, ok := cellFiles.cells[path]
	if !ok {
		// The first cell of this run for the file: start from the
		// cells of earlier runs, so that a run of some tests keeps
		// the others'.
		m = map[string]Cell{}
		old, err := ReadCells(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, o := range old {
			m[o.Test] = o
		}
		cellFiles.cells[path] = m
	}
	m[c.Test] = c
	all := make([]Cell, 0, len(m))
	for _, v := range m {
		all = append(all, v)
	}
	slices.SortFunc(all, func(a, b Cell) int { return cmp.Compare(a.Test, b.Test) })
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadCells reads a cell file RecordCell wrote.
func ReadCells(path string) ([]Cell, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cells []Cell
	if err := json.Unmarshal(b, &cells); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cells, nil
}

// cellDir is interop/testdata/cells at the module's root, found by walking
// up from the test's directory to go.mod.
func cellDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "interop", "testdata", "cells"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Version returns the first line a program prints with args (its version),
// trimmed, or "" when it cannot be run: for naming peers in cells.
func Version(program string, args ...string) string {
	out, err := exec.Command(program, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line)
}

// Describe names a peer program with its version for a cell ("curl
// 7.88.1", "Apache/2.4.71 mod_auth_digest", "lighttpd/1.4.69 mod_auth",
// "Cyrus SASL 2.1.28 sasl-sample-server"), from the program itself or,
// for Cyrus's samples, which print none, the Debian package's version.
func Describe(program, path string) string {
	field := func(s string, i int) string {
		if f := strings.Fields(s); len(f) > i {
			return f[i]
		}
		return ""
	}
	name := filepath.Base(program)
	switch name {
	case "curl":
		if v := field(Version(path, "--version"), 1); v != "" {
			return "curl " + v
		}
	case "apache2":
		if v := field(Version(path, "-v"), 2); v != "" {
			return v + " mod_auth_digest"
		}
	case "lighttpd":
		if v := field(Version(path, "-v"), 0); v != "" {
			return v + " mod_auth"
		}
	default:
		if strings.HasPrefix(name, "sasl-sample-") || strings.HasPrefix(name, "libsasl2") {
			v, _, _ := strings.Cut(Version("dpkg-query", "-W", "-f", "${Version}", "libsasl2-2"), "+")
			if v != "" && !strings.Contains(v, " ") {
				return "Cyrus SASL " + v + " " + name
			}
			return "Cyrus SASL " + name
		}
	}
	return name
}
