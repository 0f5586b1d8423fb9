//go:build race

package peertest

// raceEnabled is whether the race detector is on (SkipUnderRace).
const raceEnabled = true
