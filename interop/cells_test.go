//go:build linux

package interop_test

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gosspi/schannel/internal/peertest"
)

// renderCellSections renders, after the TLS table, the sections whose cells
// other packages' interop tests recorded in testdata/cells/*.json
// (peertest.RecordCell, written when they run with
// SCHANNEL_WRITE_INTEROP=1): the Digest tests of package digest and of
// internal/digest/engine. Those files come from real runs as this table
// does; regenerate them before it:
//
//	SCHANNEL_WRITE_INTEROP=1 go test ./digest ./internal/digest/engine -run Interop
//	go test ./interop -update
func renderCellSections() (string, error) {
	files, err := filepath.Glob(filepath.Join("testdata", "cells", "*.json"))
	if err != nil {
		return "", err
	}
	sections := map[string][]peertest.Cell{}
	var order []string
	for _, f := range files {
		cells, err := peertest.ReadCells(f)
		if err != nil {
			return "", err
		}
		for _, c := range cells {
			if _, ok := sections[c.Section]; !ok {
				order = append(order, c.Section)
			}
			sections[c.Section] = append(sections[c.Section], c)
		}
	}
	slices.Sort(order)
	var b strings.Builder
	for _, name := range order {
		cells := sections[name]
		slices.SortStableFunc(cells, func(x, y peertest.Cell) int {
			return cmp.Or(
				cmp.Compare(x.Ours, y.Ours),
				cmp.Compare(strings.ToLower(x.Peer), strings.ToLower(y.Peer)),
				cmp.Compare(x.Algorithm, y.Algorithm),
				cmp.Compare(x.Qop, y.Qop),
				cmp.Compare(x.Feature, y.Feature),
				cmp.Compare(x.Test, y.Test),
			)
		})
		count := map[string]int{}
		for _, c := range cells {
			count[c.Result]++
		}
		fmt.Fprintf(&b, "\n## %s\n\n", name)
		fmt.Fprintf(&b, "Recorded by the %s interop tests (`SCHANNEL_WRITE_INTEROP=1 go test ./digest ./internal/digest/engine -run Interop`).\n", name)
		fmt.Fprintf(&b, "%d cells: %d ok, %d failed, %d not supported by the peer, %d skipped.\n\n",
			len(cells), count[resultOK], count[resultFail], count[resultUnsupported], count[resultSkipped])
		b.WriteString("| our side | peer | algorithm | qop | scenario | result | notes | test |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|\n")
		for _, c := range cells {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | `%s` |\n",
				c.Ours, mdEscape(c.Peer), dash(c.Algorithm), dash(c.Qop), mdEscape(c.Feature), resultMark(c.Result), mdEscape(c.Notes), c.Test)
		}
	}
	return b.String(), nil
}

// resultMark is the table's word for a result.
func resultMark(result string) string {
	switch result {
	case resultOK:
		return "✅ ok"
	case resultFail:
		return "❌ FAIL"
	case resultUnsupported:
		return "➖ n/a"
	}
	return result
}
