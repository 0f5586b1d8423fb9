//go:build !race

package schannel_test

// raceEnabled: see race_on_test.go.
const raceEnabled = false
