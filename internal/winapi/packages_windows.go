package winapi

import (
	"syscall"
	"unsafe"
)

// The calls every security package shares, beyond Schannel's.
var (
	procMakeSignature              = secur32.NewProc("MakeSignature")
	procVerifySignature            = secur32.NewProc("VerifySignature")
	procCompleteAuthToken          = secur32.NewProc("CompleteAuthToken")
	procQuerySecurityPackageInfoW  = secur32.NewProc("QuerySecurityPackageInfoW")
	procEnumerateSecurityPackagesW = secur32.NewProc("EnumerateSecurityPackagesW")
)

// SEC_WINNT_AUTH_IDENTITY_UNICODE is the Flags value of an
// AuthIdentity whose strings are UTF-16.
const SEC_WINNT_AUTH_IDENTITY_UNICODE = 2

// AuthIdentity is SEC_WINNT_AUTH_IDENTITY_W: the pAuthData of Kerberos,
// NTLM, Negotiate and WDigest. Lengths are in characters, without the NUL.
type AuthIdentity struct {
	User           *uint16
	UserLength     uint32
	Domain         *uint16
	DomainLength   uint32
	Password       *uint16
	PasswordLength uint32
	Flags          uint32
}

// SecPkgInfo is SecPkgInfoW.
type SecPkgInfo struct {
	Capabilities uint32
	Version      uint16
	RPCID        uint16
	MaxToken     uint32
	Name         *uint16
	Comment      *uint16
}

// Sizes is SecPkgContext_Sizes.
type Sizes struct {
	MaxToken, MaxSignature, BlockSize, SecurityTrailer uint32
}

// Lifespan is SecPkgContext_Lifespan (FILETIME-style 100 ns ticks).
type Lifespan struct {
	Start, Expiry int64
}

// SessionKey is SecPkgContext_SessionKey.
type SessionKey struct {
	Length uint32
	Key    *byte
}

// NativeNames is SecPkgContext_NativeNamesW.
type NativeNames struct {
	ClientName, ServerName *uint16
}

// NegotiationInfo is SecPkgContext_NegotiationInfoW.
type NegotiationInfo struct {
	PackageInfo      *SecPkgInfo
	NegotiationState uint32
}

// AcquireCredentialsHandleFor calls AcquireCredentialsHandleW for any
// package; principal may be nil.
func AcquireCredentialsHandleFor(principal *uint16, pkg string, use uint32, authData unsafe.Pointer, cred *SecHandle, expiry *int64) uint32 {
	name, _ := syscall.UTF16PtrFromString(pkg)
	r, _, _ := procAcquireCredentialsHandleW.Call(uintptr(unsafe.Pointer(principal)), uintptr(unsafe.Pointer(name)), uintptr(use), 0,
		uintptr(authData), 0, 0, uintptr(unsafe.Pointer(cred)), uintptr(unsafe.Pointer(expiry)))
	return status(r)
}

// DecryptMessageQOP calls DecryptMessage and returns pfQOP.
func DecryptMessageQOP(ctx *SecHandle, msg *SecBufferDesc, qop *uint32) uint32 {
	r, _, _ := procDecryptMessage.Call(uintptr(unsafe.Pointer(ctx)), uintptr(unsafe.Pointer(msg)), 0, uintptr(unsafe.Pointer(qop)))
	return status(r)
}

// MakeSignature calls MakeSignature (MessageSeqNo 0).
func MakeSignature(ctx *SecHandle, qop uint32, msg *SecBufferDesc) uint32 {
	r, _, _ := procMakeSignature.Call(uintptr(unsafe.Pointer(ctx)), uintptr(qop), uintptr(unsafe.Pointer(msg)), 0)
	return status(r)
}

// VerifySignature calls VerifySignature (MessageSeqNo 0) and returns pfQOP.
func VerifySignature(ctx *SecHandle, msg *SecBufferDesc, qop *uint32) uint32 {
	r, _, _ := procVerifySignature.Call(uintptr(unsafe.Pointer(ctx)), uintptr(unsafe.Pointer(msg)), 0, uintptr(unsafe.Pointer(qop)))
	return status(r)
}

// CompleteAuthToken calls CompleteAuthToken.
func CompleteAuthToken(ctx *SecHandle, token *SecBufferDesc) uint32 {
	r, _, _ := procCompleteAuthToken.Call(uintptr(unsafe.Pointer(ctx)), uintptr(unsafe.Pointer(token)))
	return status(r)
}

// QuerySecurityPackageInfo calls QuerySecurityPackageInfoW; the result is
// freed with FreeContextBuffer.
func QuerySecurityPackageInfo(name string) (*SecPkgInfo, uint32) {
	n, _ := syscall.UTF16PtrFromString(name)
	var info *SecPkgInfo
	r, _, _ := procQuerySecurityPackageInfoW.Call(uintptr(unsafe.Pointer(n)), uintptr(unsafe.Pointer(&info)))
	return info, status(r)
}

// EnumerateSecurityPackages calls EnumerateSecurityPackagesW; the array is
// freed with FreeContextBuffer on its first element.
func EnumerateSecurityPackages() ([]SecPkgInfo, *SecPkgInfo, uint32) {
	var count uint32
	var first *SecPkgInfo
	r, _, _ := procEnumerateSecurityPackagesW.Call(uintptr(unsafe.Pointer(&count)), uintptr(unsafe.Pointer(&first)))
	if status(r) != 0 || first == nil {
		return nil, nil, status(r)
	}
	return unsafe.Slice(first, count), first, 0
}

// UTF16PtrToString copies a NUL-terminated UTF-16 string owned by Windows.
func UTF16PtrToString(p *uint16) string {
	if p == nil {
		return ""
	}
	n := 0
	for ptr := unsafe.Pointer(p); *(*uint16)(ptr) != 0; n++ {
		ptr = unsafe.Add(ptr, 2)
	}
	return syscall.UTF16ToString(unsafe.Slice(p, n))
}
