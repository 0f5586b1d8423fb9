//go:build !race

package kerberos

// raceEnabled: see race_on_test.go.
const raceEnabled = false
