package sspi

import "time"

// Sizes is SecPkgContext_Sizes (SECPKG_ATTR_SIZES): the most a token,
// signature or trailer can take, so that a caller can size its buffers.
type Sizes struct {
	MaxToken        uint32 // cbMaxToken
	MaxSignature    uint32 // cbMaxSignature
	BlockSize       uint32 // cbBlockSize
	SecurityTrailer uint32 // cbSecurityTrailer
}

// Names is SecPkgContext_Names (SECPKG_ATTR_NAMES): the name of the
// client, as the acceptor knows it ("user@REALM" for Kerberos).
type Names struct {
	UserName string
}

// NativeNames is SecPkgContext_NativeNames (SECPKG_ATTR_NATIVE_NAMES).
type NativeNames struct {
	ClientName string
	ServerName string
}

// Lifespan is SecPkgContext_Lifespan (SECPKG_ATTR_LIFESPAN).
type Lifespan struct {
	Start  time.Time
	Expiry time.Time
}

// SessionKey is SecPkgContext_SessionKey (SECPKG_ATTR_SESSION_KEY).
type SessionKey struct {
	Key []byte
}

// Flags is SecPkgContext_Flags (SECPKG_ATTR_FLAGS): the ISC_RET_* or
// ASC_RET_* attributes of the context.
type Flags struct {
	Flags uint32
}

// Negotiation states of NegotiationInfo.
const (
	SECPKG_NEGOTIATION_COMPLETE      = 0
	SECPKG_NEGOTIATION_OPTIMISTIC    = 1
	SECPKG_NEGOTIATION_IN_PROGRESS   = 2
	SECPKG_NEGOTIATION_DIRECT        = 3
	SECPKG_NEGOTIATION_TRY_MULTICRED = 4
)

// NegotiationInfo is SecPkgContext_NegotiationInfo
// (SECPKG_ATTR_NEGOTIATION_INFO): the package chosen and how far the
// choice has gone. A package other than Negotiate reports itself, with
// SECPKG_NEGOTIATION_COMPLETE once the context is established.
type NegotiationInfo struct {
	PackageInfo      PackageInfo
	NegotiationState uint32
}
