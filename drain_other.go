//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package schannel

import "net"

// drainReceived has no non-blocking socket read here; Close falls back to a
// short bounded wait.
func drainReceived(net.Conn, int) bool { return false }
