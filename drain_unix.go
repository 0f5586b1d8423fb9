//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package schannel

import (
	"net"
	"syscall"
)

// drainReceived drops what the kernel has already received on a socket,
// without waiting for more, and reports whether it could (conn is a socket).
// The amount read is bounded: the peer may keep sending.
func drainReceived(conn net.Conn, limit int) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var buf [4096]byte
	readErr := raw.Read(func(fd uintptr) bool {
		for drained := 0; drained < limit; {
			n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_DONTWAIT)
			if n <= 0 || err != nil {
				break
			}
			drained += n
		}
		return true // never wait for readability
	})
	return readErr == nil
}
