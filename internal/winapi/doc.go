// Package winapi holds the few secur32.dll and crypt32.dll bindings the
// native Schannel provider needs: plain syscall and unsafe, no cgo, no
// golang.org/x/sys. Everything but this comment builds on Windows only.
package winapi
