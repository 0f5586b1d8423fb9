package schannel

// InitializeSecurityContext request flags (ISC_REQ_*). The returned
// attributes (ISC_RET_*) use the same bits.
const (
	ISC_REQ_REPLAY_DETECT          = 0x00000004
	ISC_REQ_SEQUENCE_DETECT        = 0x00000008
	ISC_REQ_CONFIDENTIALITY        = 0x00000010
	ISC_REQ_USE_SUPPLIED_CREDS     = 0x00000080
	ISC_REQ_ALLOCATE_MEMORY        = 0x00000100
	ISC_REQ_CONNECTION             = 0x00000800
	ISC_REQ_EXTENDED_ERROR         = 0x00004000
	ISC_REQ_STREAM                 = 0x00008000
	ISC_REQ_INTEGRITY              = 0x00010000
	ISC_REQ_MANUAL_CRED_VALIDATION = 0x00080000
)

// InitializeSecurityContext returned attributes (ISC_RET_*).
const (
	ISC_RET_REPLAY_DETECT          = 0x00000004
	ISC_RET_SEQUENCE_DETECT        = 0x00000008
	ISC_RET_CONFIDENTIALITY        = 0x00000010
	ISC_RET_USED_SUPPLIED_CREDS    = 0x00000080
	ISC_RET_ALLOCATED_MEMORY       = 0x00000100
	ISC_RET_CONNECTION             = 0x00000800
	ISC_RET_EXTENDED_ERROR         = 0x00004000
	ISC_RET_STREAM                 = 0x00008000
	ISC_RET_INTEGRITY              = 0x00010000
	ISC_RET_MANUAL_CRED_VALIDATION = 0x00080000
)

// AcceptSecurityContext request flags (ASC_REQ_*); note that several bits
// differ from the ISC_REQ_* ones, exactly as on Windows. ASC_RET_* use the
// same bits.
const (
	ASC_REQ_MUTUAL_AUTH     = 0x00000002
	ASC_REQ_REPLAY_DETECT   = 0x00000004
	ASC_REQ_SEQUENCE_DETECT = 0x00000008
	ASC_REQ_CONFIDENTIALITY = 0x00000010
	ASC_REQ_ALLOCATE_MEMORY = 0x00000100
	ASC_REQ_CONNECTION      = 0x00000800
	ASC_REQ_EXTENDED_ERROR  = 0x00008000
	ASC_REQ_STREAM          = 0x00010000
)

// AcceptSecurityContext returned attributes (ASC_RET_*).
const (
	ASC_RET_MUTUAL_AUTH      = 0x00000002
	ASC_RET_REPLAY_DETECT    = 0x00000004
	ASC_RET_SEQUENCE_DETECT  = 0x00000008
	ASC_RET_CONFIDENTIALITY  = 0x00000010
	ASC_RET_ALLOCATED_MEMORY = 0x00000100
	ASC_RET_CONNECTION       = 0x00000800
	ASC_RET_EXTENDED_ERROR   = 0x00008000
	ASC_RET_STREAM           = 0x00010000
)

// Attribute identifiers for QueryContextAttributes (SECPKG_ATTR_*).
const (
	SECPKG_ATTR_STREAM_SIZES         = 4
	SECPKG_ATTR_APPLICATION_PROTOCOL = 35
	SECPKG_ATTR_REMOTE_CERT_CONTEXT  = 0x53
	SECPKG_ATTR_CONNECTION_INFO      = 0x5a
	SECPKG_ATTR_SESSION_INFO         = 0x5d
	SECPKG_ATTR_CIPHER_INFO          = 0x64
)

// Control token values for ApplyControlToken (the first DWORD of the token).
const (
	SCHANNEL_RENEGOTIATE = 0
	SCHANNEL_SHUTDOWN    = 1
	SCHANNEL_ALERT       = 2
	SCHANNEL_SESSION     = 3
)

// Alert levels of an SCHANNEL_ALERT_TOKEN.
const (
	TLS1_ALERT_WARNING = 1
	TLS1_ALERT_FATAL   = 2
)

// Quality-of-protection values for EncryptMessage.
const (
	// SECQOP_WRAP_NO_ENCRYPT asks for integrity only; Schannel refuses it.
	SECQOP_WRAP_NO_ENCRYPT = 0x80000001
	// SECQOP_WRAP_OOB_DATA sends the 2-byte DATA buffer (level, description) as an alert.
	SECQOP_WRAP_OOB_DATA = 0x40000000
)

// Protocol bits reported in ConnectionInfo.Protocol (SP_PROT_*).
const (
	SP_PROT_TLS1_2_SERVER = 0x00000400
	SP_PROT_TLS1_2_CLIENT = 0x00000800
	SP_PROT_TLS1_3_SERVER = 0x00001000
	SP_PROT_TLS1_3_CLIENT = 0x00002000
)

// CredentialUse says which side a credential serves (SECPKG_CRED_*).
type CredentialUse uint32

// Credential uses.
const (
	SECPKG_CRED_INBOUND  CredentialUse = 1
	SECPKG_CRED_OUTBOUND CredentialUse = 2
)
