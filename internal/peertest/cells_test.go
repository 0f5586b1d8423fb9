package peertest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRecordCell: with SCHANNEL_WRITE_INTEROP=1 cells land, with their
// outcome, in interop/testdata/cells under the module root; a later run
// keeps the cells of tests it did not run.
func TestRecordCell(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644))
	sub := filepath.Join(dir, "pkg")
	require.NoError(t, os.Mkdir(sub, 0o755))
	t.Chdir(sub)
	path := filepath.Join(dir, "interop", "testdata", "cells", "cells-test.json")

	t.Setenv(WriteCellsEnv, "")
	t.Run("not written", func(t *testing.T) { RecordCell(t, "cells-test", Cell{Feature: "f"}) })
	_, err := os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist)

	t.Setenv(WriteCellsEnv, "1")
	t.Run("passes", func(t *testing.T) {
		RecordCell(t, "cells-test", Cell{Section: "S", Peer: "p", Feature: "f"})
	})
	t.Run("unsupported", func(t *testing.T) {
		RecordUnsupported(t, "cells-test", Cell{Section: "S", Peer: "p", Feature: "g"}, "the peer has no g")
	})
	t.Run("skipped", func(t *testing.T) {
		RecordCell(t, "cells-test", Cell{Section: "S", Peer: "p", Feature: "h"})
		t.Skip("peer missing")
	})
	cells, err := ReadCells(path)
	require.NoError(t, err)
	require.Len(t, cells, 3)
	assert.Equal(t, "TestRecordCell/passes", cells[0].Test)
	assert.Equal(t, ResultOK, cells[0].Result)
	assert.Equal(t, ResultSkipped, cells[1].Result)
	assert.Equal(t, ResultUnsupported, cells[2].Result)
	assert.Equal(t, "the peer has no g", cells[2].Notes)

	// A new process (the cache forgotten) keeps what it does not redo.
	cellFiles.cells = nil
	require.NoError(t, writeCell("cells-test", Cell{Section: "S", Peer: "p2", Feature: "f", Result: ResultOK, Test: "TestRecordCell/passes"}))
	cells, err = ReadCells(path)
	require.NoError(t, err)
	require.Len(t, cells, 3)
	assert.Equal(t, "p2", cells[0].Peer)
}

func TestVersion(t *testing.T) {
	assert.Equal(t, "hello", Version("sh", "-c", "echo '  hello '; echo second"))
	assert.Empty(t, Version("no-such-program-schannel"))
}

func TestDescribe(t *testing.T) {
	if path, err := Path("curl"); err == nil {
		assert.Regexp(t, `^curl \d+\.\d+`, Describe("curl", path))
	}
	assert.Equal(t, "no-such-peer", Describe("no-such-peer", "/nonexistent"))
}
