package sspi

import (
	"fmt"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"github.com/gosspi/schannel/internal/winapi"
)

// AuthIdentity is SEC_WINNT_AUTH_IDENTITY_W, the auth data of Kerberos,
// NTLM, Negotiate and WDigest on Windows: a user, a domain and a password.
// A nil *AuthIdentity means the logged-on user (single sign-on).
type AuthIdentity struct {
	User, Domain, Password string
}

// NativeAuthData is auth data in the form secur32.dll takes, for packages
// whose pAuthData is neither nil nor SEC_WINNT_AUTH_IDENTITY_W (Schannel's
// SCHANNEL_CRED). AuthDataPointer returns the pointer to pass, pinning what
// it points to with pin.
type NativeAuthData interface {
	AuthDataPointer(pin *runtime.Pinner) (unsafe.Pointer, error)
}

// NativeCredential owns a secur32.dll credential handle. It is freed
// (FreeCredentialsHandle) when neither the Credentials nor any context made
// from them can reach it any more.
type NativeCredential struct {
	handle  winapi.SecHandle
	pkgName string
}

// AcquireNativeCredentialsHandle returns credentials whose contexts run on
// an installed Windows package (secur32.dll's AcquireCredentialsHandleW):
// "Kerberos", "Negotiate", "NTLM", "WDigest", "CREDSSP", or Schannel by its
// names, though schannel.AcquireNativeCredentialsHandle is the way to
// Schannel with TLS's extras. authData is nil (the logged-on user), an
// *AuthIdentity, or a NativeAuthData. The contexts are driven with the same
// calls as this module's packages; statuses and buffers are secur32's.
//
// It exists on Windows only; elsewhere it fails with
// SEC_E_UNSUPPORTED_FUNCTION.
func AcquireNativeCredentialsHandle(packageName string, use CredentialUse, authData any) (*Credentials, error) {
	nc, err := AcquireNativeCredential("", packageName, use, authData)
	if err != nil {
		return nil, err
	}
	info, err := NativeSecurityPackageInfo(packageName)
	if err != nil {
		return nil, err
	}
	return NewCredentials(nativePackage{info: info}, info, "", use, nc)
}

// AcquireNativeCredential is the handle behind AcquireNativeCredentialsHandle,
// for a package of this module that wraps secur32 with extras of its own
// (schannel does, for TLS's queries).
func AcquireNativeCredential(principal, packageName string, use CredentialUse, authData any) (*NativeCredential, error) {
	if err := winapi.Available(); err != nil {
		return nil, Errorf(SEC_E_UNSUPPORTED_FUNCTION, "sspi: secur32.dll: %v", err)
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	var ptr unsafe.Pointer
	switch a := authData.(type) {
	case nil:
	case *AuthIdentity:
		if a != nil {
			id := &winapi.AuthIdentity{Flags: winapi.SEC_WINNT_AUTH_IDENTITY_UNICODE}
			id.User, id.UserLength = utf16(a.User, &pin)
			id.Domain, id.DomainLength = utf16(a.Domain, &pin)
			id.Password, id.PasswordLength = utf16(a.Password, &pin)
			pin.Pin(id)
			ptr = unsafe.Pointer(id)
		}
	case NativeAuthData:
		var err error
		if ptr, err = a.AuthDataPointer(&pin); err != nil {
			return nil, err
		}
	default:
		return nil, Errorf(SEC_E_UNKNOWN_CREDENTIALS, "sspi: native auth data is a %T, not an *AuthIdentity or a NativeAuthData", authData)
	}
	var principal16 *uint16
	if principal != "" {
		principal16, _ = syscall.UTF16PtrFromString(principal)
	}
	nc := &NativeCredential{pkgName: packageName}
	var expiry int64
	st := Status(winapi.AcquireCredentialsHandleFor(principal16, packageName, uint32(use), ptr, &nc.handle, &expiry))
	if st.Failed() {
		return nil, Errorf(st, "secur32: AcquireCredentialsHandleW(%s) failed", packageName)
	}
	runtime.AddCleanup(nc, func(h winapi.SecHandle) { winapi.FreeCredentialsHandle(&h) }, nc.handle)
	return nc, nil
}

func utf16(s string, pin *runtime.Pinner) (*uint16, uint32) {
	if s == "" {
		return nil, 0
	}
	u, _ := syscall.UTF16FromString(s)
	pin.Pin(&u[0])
	return &u[0], uint32(len(u) - 1)
}

// NativeSecurityPackageInfo is secur32.dll's QuerySecurityPackageInfoW.
func NativeSecurityPackageInfo(name string) (PackageInfo, error) {
	if err := winapi.Available(); err != nil {
		return PackageInfo{}, Errorf(SEC_E_UNSUPPORTED_FUNCTION, "sspi: secur32.dll: %v", err)
	}
	info, st := winapi.QuerySecurityPackageInfo(name)
	if Status(st).Failed() || info == nil {
		return PackageInfo{}, Errorf(Status(st), "secur32: QuerySecurityPackageInfoW(%s) failed", name)
	}
	defer winapi.FreeContextBuffer((*byte)(unsafe.Pointer(info)))
	return packageInfoOf(info), nil
}

// EnumerateNativeSecurityPackages is secur32.dll's
// EnumerateSecurityPackagesW: the packages installed on this Windows.
func EnumerateNativeSecurityPackages() ([]PackageInfo, error) {
	if err := winapi.Available(); err != nil {
		return nil, Errorf(SEC_E_UNSUPPORTED_FUNCTION, "sspi: secur32.dll: %v", err)
	}
	list, first, st := winapi.EnumerateSecurityPackages()
	if Status(st).Failed() {
		return nil, Errorf(Status(st), "secur32: EnumerateSecurityPackagesW failed")
	}
	defer winapi.FreeContextBuffer((*byte)(unsafe.Pointer(first)))
	infos := make([]PackageInfo, len(list))
	for i := range list {
		infos[i] = packageInfoOf(&list[i])
	}
	return infos, nil
}

func packageInfoOf(info *winapi.SecPkgInfo) PackageInfo {
	return PackageInfo{Capabilities: info.Capabilities, Version: info.Version, RPCID: info.RPCID,
		MaxToken: info.MaxToken, Name: winapi.UTF16PtrToString(info.Name), Comment: winapi.UTF16PtrToString(info.Comment)}
}

// nativePackage is an installed Windows package; its credentials hold a
// *NativeCredential.
type nativePackage struct{ info PackageInfo }

func (p nativePackage) Info() PackageInfo { return p.info }

func (nativePackage) AcquireCredentials(_ string, _ CredentialUse, authData any) (any, error) {
	nc, ok := authData.(*NativeCredential)
	if !ok {
		return nil, Errorf(SEC_E_UNKNOWN_CREDENTIALS, "sspi: native credentials come from AcquireNativeCredentialsHandle")
	}
	return nc, nil
}

func (nativePackage) NewContext(cred *Credentials, server bool, targetName string, _ uint32, _ []SecBuffer) (Provider, error) {
	return NewNativeContext(cred.AuthData().(*NativeCredential), server, targetName), nil
}

// NativeContext drives one secur32.dll security context: every call of the
// SSPI surface, with the buffers mapped to Windows' and back.
type NativeContext struct {
	cred   *NativeCredential
	ctx    winapi.SecHandle
	server bool
	target string
	done   bool
}

// NewNativeContext starts a context on a native credential; the first
// Handshake call creates the secur32 context.
func NewNativeContext(cred *NativeCredential, server bool, targetName string) *NativeContext {
	return &NativeContext{cred: cred, server: server, target: targetName}
}

// Handle is the secur32 CtxtHandle, for a package's own
// QueryContextAttributesW calls; zero before the first Handshake.
func (p *NativeContext) Handle() *winapi.SecHandle { return &p.ctx }

// Target is the target name the context was started with.
func (p *NativeContext) Target() string { return p.target }

func nativeError(status Status, call string) error {
	if !status.Failed() {
		return nil
	}
	return &Error{Status: status, Alert: -1, Err: fmt.Errorf("secur32: %s failed", call)}
}

// Handshake is InitializeSecurityContextW or AcceptSecurityContext.
func (p *NativeContext) Handshake(input, output []SecBuffer, contextReq uint32) (Status, uint32, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	others := slicesOf(input, output)
	var token []byte
	if i := IndexOf(input, SECBUFFER_TOKEN); i >= 0 {
		token = input[i].Buffer
	}
	in, out := newNativeBuffers(input, &pin), newNativeBuffers(output, &pin)
	var ctx *winapi.SecHandle
	if !p.ctx.IsZero() {
		ctx = &p.ctx
	}
	var newCtx winapi.SecHandle
	var attrs uint32
	var expiry int64
	var st Status
	call := "InitializeSecurityContextW"
	if p.server {
		call = "AcceptSecurityContext"
		st = Status(winapi.AcceptSecurityContext(&p.cred.handle, ctx, in.ptr(), contextReq, &newCtx, out.ptr(), &attrs, &expiry))
	} else {
		var target *uint16
		if p.target != "" {
			target, _ = syscall.UTF16PtrFromString(p.target)
		}
		st = Status(winapi.InitializeSecurityContext(&p.cred.handle, ctx, target, contextReq, in.ptr(), &newCtx, out.ptr(), &attrs, &expiry))
	}
	if ctx == nil && !newCtx.IsZero() {
		p.ctx = newCtx
	}
	in.mapBack(token, others)
	out.mapBack(nil, others)
	runtime.KeepAlive(p.cred)
	if st == SEC_E_OK {
		p.done = true
	}
	if st == SEC_E_INCOMPLETE_MESSAGE {
		missing := 0
		if i := IndexOf(input, SECBUFFER_MISSING); i >= 0 {
			missing = input[i].Size
		}
		return st, attrs, Errorf(st, "secur32: %s: %d more bytes needed", call, missing)
	}
	return st, attrs, nativeError(st, call)
}

// Established reports whether a handshake call returned SEC_E_OK.
func (p *NativeContext) Established() bool { return p.done }

// EncryptMessage is EncryptMessage.
func (p *NativeContext) EncryptMessage(qop uint32, buffers []SecBuffer) (Status, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	others := slicesOf(buffers)
	nb := newNativeBuffers(buffers, &pin)
	st := Status(winapi.EncryptMessage(&p.ctx, qop, nb.ptr()))
	nb.mapBack(nil, others)
	return st, nativeError(st, "EncryptMessage")
}

var errNativeIncomplete = Errorf(SEC_E_INCOMPLETE_MESSAGE, "secur32: the message is incomplete; see the SECBUFFER_MISSING count")

// DecryptMessage is DecryptMessage.
func (p *NativeContext) DecryptMessage(buffers []SecBuffer) (uint32, Status, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	others := slicesOf(buffers)
	var data []byte
	if i := IndexOf(buffers, SECBUFFER_DATA); i >= 0 {
		data = buffers[i].Buffer
	} else if i := IndexOf(buffers, SECBUFFER_STREAM); i >= 0 {
		data = buffers[i].Buffer
	}
	nb := newNativeBuffers(buffers, &pin)
	var qop uint32
	st := Status(winapi.DecryptMessageQOP(&p.ctx, nb.ptr(), &qop))
	nb.mapBack(data, others)
	if st == SEC_E_INCOMPLETE_MESSAGE {
		return qop, st, errNativeIncomplete
	}
	return qop, st, nativeError(st, "DecryptMessage")
}

// MakeSignature is MakeSignature.
func (p *NativeContext) MakeSignature(qop uint32, buffers []SecBuffer) (Status, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	others := slicesOf(buffers)
	nb := newNativeBuffers(buffers, &pin)
	st := Status(winapi.MakeSignature(&p.ctx, qop, nb.ptr()))
	nb.mapBack(nil, others)
	return st, nativeError(st, "MakeSignature")
}

// VerifySignature is VerifySignature.
func (p *NativeContext) VerifySignature(buffers []SecBuffer) (uint32, Status, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	others := slicesOf(buffers)
	nb := newNativeBuffers(buffers, &pin)
	var qop uint32
	st := Status(winapi.VerifySignature(&p.ctx, nb.ptr(), &qop))
	nb.mapBack(nil, others)
	return qop, st, nativeError(st, "VerifySignature")
}

// CompleteAuthToken is CompleteAuthToken.
func (p *NativeContext) CompleteAuthToken(buffers []SecBuffer) (Status, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	others := slicesOf(buffers)
	nb := newNativeBuffers(buffers, &pin)
	st := Status(winapi.CompleteAuthToken(&p.ctx, nb.ptr()))
	nb.mapBack(nil, others)
	return st, nativeError(st, "CompleteAuthToken")
}

// ApplyControlToken is ApplyControlToken.
func (p *NativeContext) ApplyControlToken(buffers []SecBuffer) (Status, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	nb := newNativeBuffers(buffers, &pin)
	st := Status(winapi.ApplyControlToken(&p.ctx, nb.ptr()))
	return st, nativeError(st, "ApplyControlToken")
}

// Query calls QueryContextAttributesW into buf.
func (p *NativeContext) Query(attribute uint32, buf unsafe.Pointer) error {
	st := Status(winapi.QueryContextAttributes(&p.ctx, attribute, buf))
	if st.Failed() {
		return &Error{Status: st, Alert: -1, Err: fmt.Errorf("secur32: QueryContextAttributesW(%d) failed", attribute)}
	}
	return nil
}

// fileTime converts a TimeStamp (100 ns ticks since 1601) to a time.
func fileTime(ticks int64) time.Time {
	const epochDiff = 116444736000000000 // 1601-01-01 to 1970-01-01 in 100 ns ticks
	if ticks <= 0 || ticks >= 0x7FFFFFFFFFFFFFFF {
		return time.Time{}
	}
	return time.Unix(0, (ticks-epochDiff)*100)
}

// QueryContextAttributes answers the package-neutral attributes from
// secur32: SIZES, NAMES, NATIVE_NAMES, LIFESPAN, SESSION_KEY, FLAGS and
// NEGOTIATION_INFO.
func (p *NativeContext) QueryContextAttributes(attribute uint32) (any, error) {
	switch attribute {
	case SECPKG_ATTR_SIZES:
		var s winapi.Sizes
		if err := p.Query(attribute, unsafe.Pointer(&s)); err != nil {
			return nil, err
		}
		return Sizes{MaxToken: s.MaxToken, MaxSignature: s.MaxSignature, BlockSize: s.BlockSize, SecurityTrailer: s.SecurityTrailer}, nil
	case SECPKG_ATTR_NAMES:
		var name *uint16
		if err := p.Query(attribute, unsafe.Pointer(&name)); err != nil {
			return nil, err
		}
		defer winapi.FreeContextBuffer((*byte)(unsafe.Pointer(name)))
		return Names{UserName: winapi.UTF16PtrToString(name)}, nil
	case SECPKG_ATTR_NATIVE_NAMES:
		var n winapi.NativeNames
		if err := p.Query(attribute, unsafe.Pointer(&n)); err != nil {
			return nil, err
		}
		defer winapi.FreeContextBuffer((*byte)(unsafe.Pointer(n.ClientName)))
		defer winapi.FreeContextBuffer((*byte)(unsafe.Pointer(n.ServerName)))
		return NativeNames{ClientName: winapi.UTF16PtrToString(n.ClientName), ServerName: winapi.UTF16PtrToString(n.ServerName)}, nil
	case SECPKG_ATTR_LIFESPAN:
		var l winapi.Lifespan
		if err := p.Query(attribute, unsafe.Pointer(&l)); err != nil {
			return nil, err
		}
		return Lifespan{Start: fileTime(l.Start), Expiry: fileTime(l.Expiry)}, nil
	case SECPKG_ATTR_SESSION_KEY:
		var k winapi.SessionKey
		if err := p.Query(attribute, unsafe.Pointer(&k)); err != nil {
			return nil, err
		}
		defer winapi.FreeContextBuffer(k.Key)
		return SessionKey{Key: append([]byte(nil), unsafe.Slice(k.Key, k.Length)...)}, nil
	case SECPKG_ATTR_FLAGS:
		var f uint32
		if err := p.Query(attribute, unsafe.Pointer(&f)); err != nil {
			return nil, err
		}
		return Flags{Flags: f}, nil
	case SECPKG_ATTR_NEGOTIATION_INFO:
		var n winapi.NegotiationInfo
		if err := p.Query(attribute, unsafe.Pointer(&n)); err != nil {
			return nil, err
		}
		info := NegotiationInfo{NegotiationState: n.NegotiationState}
		if n.PackageInfo != nil {
			info.PackageInfo = packageInfoOf(n.PackageInfo)
			winapi.FreeContextBuffer((*byte)(unsafe.Pointer(n.PackageInfo)))
		}
		return info, nil
	}
	return nil, Errorf(SEC_E_UNSUPPORTED_FUNCTION, "sspi: attribute %d is not mapped for native contexts", attribute)
}

// DeleteSecurityContext is DeleteSecurityContext.
func (p *NativeContext) DeleteSecurityContext() error {
	if p.ctx.IsZero() {
		return nil
	}
	st := Status(winapi.DeleteSecurityContext(&p.ctx))
	p.ctx = winapi.SecHandle{}
	runtime.KeepAlive(p.cred)
	return nativeError(st, "DeleteSecurityContext")
}

// nativeBuffers is the Windows form of a []SecBuffer for one call, pinned.
type nativeBuffers struct {
	goBufs []SecBuffer
	orig   []SecBuffer // the buffers as passed in
	win    []winapi.SecBuffer
	desc   winapi.SecBufferDesc
}

func newNativeBuffers(bufs []SecBuffer, pin *runtime.Pinner) *nativeBuffers {
	if len(bufs) == 0 {
		return nil
	}
	nb := &nativeBuffers{goBufs: bufs, orig: append([]SecBuffer(nil), bufs...), win: make([]winapi.SecBuffer, len(bufs))}
	for i, b := range bufs {
		nb.win[i].Type = uint32(b.BufferType)
		if len(b.Buffer) > 0 {
			nb.win[i].Size = uint32(len(b.Buffer))
			nb.win[i].Buffer = &b.Buffer[0]
			pin.Pin(&b.Buffer[0])
		}
	}
	pin.Pin(&nb.win[0])
	nb.desc = winapi.SecBufferDesc{Version: winapi.SECBUFFER_VERSION, Count: uint32(len(bufs)), Buffers: &nb.win[0]}
	return nb
}

func (nb *nativeBuffers) ptr() *winapi.SecBufferDesc {
	if nb == nil {
		return nil
	}
	return &nb.desc
}

// inside returns the part of one of the caller's slices that p..p+n covers.
func inside(p *byte, n int, slices ...[]byte) ([]byte, bool) {
	addr := uintptr(unsafe.Pointer(p))
	for _, s := range slices {
		if len(s) == 0 {
			continue
		}
		start := uintptr(unsafe.Pointer(&s[0]))
		if addr >= start && addr+uintptr(n) <= start+uintptr(len(s)) {
			off := int(addr - start)
			return s[off : off+n], true
		}
	}
	return nil, false
}

// mapBack rewrites the Go buffers from what secur32 left in the Windows
// ones. tail is the input the EXTRA count refers to; others are every
// caller slice of the call, in which returned pointers are looked up.
// Memory secur32 allocated is copied and freed.
func (nb *nativeBuffers) mapBack(tail []byte, others [][]byte) {
	if nb == nil {
		return
	}
	for i := range nb.win {
		w := nb.win[i]
		t, n := BufferType(w.Type), int(w.Size)
		b := &nb.goBufs[i]
		switch {
		case t.Kind() == SECBUFFER_MISSING:
			*b = SecBuffer{BufferType: t, Size: n}
		case t.Kind() == SECBUFFER_EXTRA:
			// Windows leaves pvBuffer alone (or NULL): the EXTRA bytes are the
			// last n of the input, as SecBuffer promises.
			if s, ok := inside(w.Buffer, n, others...); ok && w.Buffer != bufPtr(nb.orig[i]) {
				b.Set(t, s)
			} else if n <= len(tail) {
				b.Set(t, tail[len(tail)-n:])
			} else {
				*b = SecBuffer{BufferType: t, Size: n}
			}
		case w.Buffer == nil || n == 0:
			b.Set(t, nil)
		default:
			if s, ok := inside(w.Buffer, n, others...); ok {
				b.Set(t, s)
			} else {
				b.Set(t, append([]byte(nil), unsafe.Slice(w.Buffer, n)...))
				winapi.FreeContextBuffer(w.Buffer)
			}
		}
	}
}

func bufPtr(b SecBuffer) *byte {
	if len(b.Buffer) == 0 {
		return nil
	}
	return &b.Buffer[0]
}

func slicesOf(lists ...[]SecBuffer) [][]byte {
	var out [][]byte
	for _, l := range lists {
		for _, b := range l {
			out = append(out, b.Buffer)
		}
	}
	return out
}
