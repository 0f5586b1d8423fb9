package peertest

import "testing"

// SkipUnderRace skips a test that counts allocations when the race
// detector is on: it makes sync.Pool drop a share of what is put back on
// purpose, and instruments memory, so counts are exact only without it.
// .ci/run runs the Allocs tests once more without -race.
func SkipUnderRace(t testing.TB) {
	t.Helper()
	if raceEnabled {
		t.Skip("allocation counts are exact only without the race detector (.ci/run runs these without it)")
	}
}
