package digest

import (
	"github.com/gosspi/schannel/sspi"
)

// PackageName is the name Windows registers its Digest package under
// (WDIGEST_SP_NAME). Windows lists it as "WDigest" only, so this package
// registers no alias.
const PackageName = "WDigest"

// ASC_REQ_HTTP is the AcceptSecurityContext flag that selects HTTP Digest
// (RFC 7616) instead of SASL DIGEST-MD5 (RFC 2831). Windows documents it for
// Digest only ("Generating the Digest Challenge", learn.microsoft.com), with
// the value 0x10000000, the bit sspi.h also names
// ASC_REQ_ALLOW_MISSING_BINDINGS for other packages. The client side is
// sspi.ISC_REQ_USE_HTTP_STYLE (0x01000000), which Microsoft's Digest pages
// also call ISC_REQ_HTTP.
const ASC_REQ_HTTP = 0x10000000

// ISC_REQ_HTTP is sspi.ISC_REQ_USE_HTTP_STYLE under the name the issue and
// some of Microsoft's Digest pages use.
const ISC_REQ_HTTP = sspi.ISC_REQ_USE_HTTP_STYLE

// packageInfo is what Windows 10 reports for WDigest
// (EnumerateSecurityPackages): TOKEN_ONLY, IMPERSONATION,
// ACCEPT_WIN32_NAME and APPCONTAINER_CHECKS; version 1; RPC id 21
// (RPC_C_AUTHN_DIGEST); cbMaxToken 4096.
var packageInfo = sspi.PackageInfo{
	Capabilities: sspi.SECPKG_FLAG_TOKEN_ONLY | sspi.SECPKG_FLAG_IMPERSONATION |
		sspi.SECPKG_FLAG_ACCEPT_WIN32_NAME | sspi.SECPKG_FLAG_APPCONTAINER_CHECKS,
	Version:  1,
	RPCID:    21,
	MaxToken: 4096,
	Name:     PackageName,
	Comment:  "Digest Authentication for Windows",
}

// digestPackage is the Digest security package on this module's engine
// (internal/digest).
type digestPackage struct{}

func init() {
	sspi.Register(digestPackage{})
}

func (digestPackage) Info() sspi.PackageInfo { return packageInfo }
