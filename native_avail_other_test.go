//go:build !windows

package schannel

// nativeAvailable says whether secur32.dll can be tested here.
const nativeAvailable = false
