//go:build race

package kerberos

// raceEnabled: allocation counts are checked only without the race
// detector, as the root package's allocs_test.go does (.ci/run runs the
// Allocs tests once more without -race).
const raceEnabled = true
