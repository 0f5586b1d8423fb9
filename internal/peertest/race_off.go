//go:build !race

package peertest

// raceEnabled: see race_on.go.
const raceEnabled = false
