//go:build race

package schannel_test

// raceEnabled: under the race detector sync.Pool drops a share of what is
// put back on purpose, so pooled buffers are sometimes allocated afresh.
const raceEnabled = true
