//go:build linux

package engine

import (
	"testing"

	"github.com/gosspi/schannel/internal/peertest"
)

// cellFile is this package's file of interop cells
// (interop/testdata/cells/digest-engine.json), merged into interop.md.
const cellFile = "digest-engine"

// cell records the running interop test as a line of the Digest section of
// the interop table, with its outcome (peertest.RecordCell).
func cell(t *testing.T, ours, peer, alg, qop, feature string) {
	t.Helper()
	peertest.RecordCell(t, cellFile, peertest.Cell{Section: "Digest", Ours: ours, Peer: peer, Algorithm: alg, Qop: qop, Feature: feature})
}

// cellUnsupported records the running test as a cell the peer cannot play,
// with the reason observed, and skips it.
func cellUnsupported(t *testing.T, ours, peer, alg, qop, feature, why string) {
	t.Helper()
	peertest.RecordUnsupported(t, cellFile, peertest.Cell{Section: "Digest", Ours: ours, Peer: peer, Algorithm: alg, Qop: qop, Feature: feature}, why)
}

// qopName is the qop column: the qop, with the cipher for auth-conf.
func qopName(qop, cipher string) string {
	if qop == QopAuthConf {
		return qop + " " + cipher
	}
	return qop
}
