package sspi

import (
	"slices"
	"strings"
	"sync"
)

// PackageInfo is SecPkgInfo: what EnumerateSecurityPackages and
// QuerySecurityPackageInfo report of a package. Packages of this module
// report the values Windows reports for the package they reproduce.
type PackageInfo struct {
	Capabilities uint32 // fCapabilities: SECPKG_FLAG_* bits
	Version      uint16 // wVersion
	RPCID        uint16 // wRPCID: the RPC authentication service (RPC_C_AUTHN_*)
	MaxToken     uint32 // cbMaxToken: the largest token the package produces
	Name         string
	Comment      string
}

// Package is a security package behind the SSPI calls: Schannel (TLS) in
// the root package of this module, WDigest in .../digest, Kerberos in
// .../kerberos. A package does no I/O of its own (Kerberos's KDC exchange
// excepted, as on Windows); every byte it needs arrives through the calls.
//
// A package makes itself known with Register, usually from an init function,
// so that AcquireCredentialsHandle and EnumerateSecurityPackages find it by
// name, as secur32.dll finds the packages registered with the LSA.
type Package interface {
	// Info describes the package (SecPkgInfo).
	Info() PackageInfo
	// AcquireCredentials checks authData, the package's typed Go
	// configuration (the counterpart of pAuthData), for a principal and a
	// use, and returns what the package keeps in the credential handle;
	// Credentials.AuthData gives it back to the package later.
	AcquireCredentials(principal string, use CredentialUse, authData any) (any, error)
	// NewContext starts the package's side of a context at its first
	// InitializeSecurityContext (server false) or AcceptSecurityContext
	// (server true) call; the call itself then goes to Provider.Handshake.
	NewContext(cred *Credentials, server bool, targetName string, contextReq uint32, input []SecBuffer) (Provider, error)
}

var registry struct {
	sync.RWMutex
	byName map[string]Package
	order  []string
}

// Register makes pkg available to AcquireCredentialsHandle and
// EnumerateSecurityPackages under its Info().Name and under each alias
// (Windows lists Schannel as "Schannel" and as "Microsoft Unified Security
// Protocol Provider"). Registering a name twice panics: it is a programming
// error, like registering an http.Handler twice.
func Register(pkg Package, aliases ...string) {
	registry.Lock()
	defer registry.Unlock()
	if registry.byName == nil {
		registry.byName = make(map[string]Package)
	}
	for _, name := range append([]string{pkg.Info().Name}, aliases...) {
		if _, dup := registry.byName[name]; dup {
			panic("sspi: security package " + name + " registered twice")
		}
		registry.byName[name] = pkg
		registry.order = append(registry.order, name)
	}
}

// lookupPackage finds a registered package by name; names compare without
// regard to case, as on Windows.
func lookupPackage(name string) (Package, PackageInfo, bool) {
	registry.RLock()
	defer registry.RUnlock()
	for registered, pkg := range registry.byName {
		if strings.EqualFold(registered, name) {
			info := pkg.Info()
			info.Name = registered
			return pkg, info, true
		}
	}
	return nil, PackageInfo{}, false
}

// EnumerateSecurityPackages maps EnumerateSecurityPackages: every package
// linked into the program (imported, so that its init registered it), each
// alias listed as its own entry as Windows lists them, in registration
// order.
func EnumerateSecurityPackages() ([]PackageInfo, error) {
	registry.RLock()
	defer registry.RUnlock()
	infos := make([]PackageInfo, 0, len(registry.order))
	for _, name := range registry.order {
		info := registry.byName[name].Info()
		info.Name = name
		infos = append(infos, info)
	}
	return slices.Clip(infos), nil
}

// QuerySecurityPackageInfo maps QuerySecurityPackageInfo: the package
// registered under name (case-insensitive), or SEC_E_SECPKG_NOT_FOUND.
func QuerySecurityPackageInfo(name string) (PackageInfo, error) {
	_, info, ok := lookupPackage(name)
	if !ok {
		return PackageInfo{}, Errorf(SEC_E_SECPKG_NOT_FOUND, "sspi: no security package named %q is registered (is its Go package imported?)", name)
	}
	return info, nil
}

var capabilityNames = []struct {
	bit  uint32
	name string
}{
	{SECPKG_FLAG_INTEGRITY, "INTEGRITY"}, {SECPKG_FLAG_PRIVACY, "PRIVACY"},
	{SECPKG_FLAG_TOKEN_ONLY, "TOKEN_ONLY"}, {SECPKG_FLAG_DATAGRAM, "DATAGRAM"},
	{SECPKG_FLAG_CONNECTION, "CONNECTION"}, {SECPKG_FLAG_MULTI_REQUIRED, "MULTI_REQUIRED"},
	{SECPKG_FLAG_CLIENT_ONLY, "CLIENT_ONLY"}, {SECPKG_FLAG_EXTENDED_ERROR, "EXTENDED_ERROR"},
	{SECPKG_FLAG_IMPERSONATION, "IMPERSONATION"}, {SECPKG_FLAG_ACCEPT_WIN32_NAME, "ACCEPT_WIN32_NAME"},
	{SECPKG_FLAG_STREAM, "STREAM"}, {SECPKG_FLAG_NEGOTIABLE, "NEGOTIABLE"},
	{SECPKG_FLAG_GSS_COMPATIBLE, "GSS_COMPATIBLE"}, {SECPKG_FLAG_LOGON, "LOGON"},
	{SECPKG_FLAG_ASCII_BUFFERS, "ASCII_BUFFERS"}, {SECPKG_FLAG_FRAGMENT, "FRAGMENT"},
	{SECPKG_FLAG_MUTUAL_AUTH, "MUTUAL_AUTH"}, {SECPKG_FLAG_DELEGATION, "DELEGATION"},
	{SECPKG_FLAG_READONLY_WITH_CHECKSUM, "READONLY_WITH_CHECKSUM"},
	{SECPKG_FLAG_RESTRICTED_TOKENS, "RESTRICTED_TOKENS"}, {SECPKG_FLAG_NEGO_EXTENDER, "NEGO_EXTENDER"},
	{SECPKG_FLAG_NEGOTIABLE2, "NEGOTIABLE2"}, {SECPKG_FLAG_APPCONTAINER_PASSTHROUGH, "APPCONTAINER_PASSTHROUGH"},
	{SECPKG_FLAG_APPCONTAINER_CHECKS, "APPCONTAINER_CHECKS"},
}

// CapabilityNames spells out the SECPKG_FLAG_* bits of a package's
// capabilities, without the prefix ("INTEGRITY", "PRIVACY", ...); unknown
// bits are left out.
func (info PackageInfo) CapabilityNames() []string {
	var names []string
	for _, c := range capabilityNames {
		if info.Capabilities&c.bit != 0 {
			names = append(names, c.name)
		}
	}
	return names
}
