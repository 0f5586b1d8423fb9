package schannel

import "github.com/gosspi/schannel/sspi"

// InitializeSecurityContext request flags (ISC_REQ_*) that Schannel
// honours; the whole set is in package sspi. The returned attributes
// (ISC_RET_*) use the same bits.
const (
	ISC_REQ_REPLAY_DETECT          = sspi.ISC_REQ_REPLAY_DETECT
	ISC_REQ_SEQUENCE_DETECT        = sspi.ISC_REQ_SEQUENCE_DETECT
	ISC_REQ_CONFIDENTIALITY        = sspi.ISC_REQ_CONFIDENTIALITY
	ISC_REQ_USE_SUPPLIED_CREDS     = sspi.ISC_REQ_USE_SUPPLIED_CREDS
	ISC_REQ_ALLOCATE_MEMORY        = sspi.ISC_REQ_ALLOCATE_MEMORY
	ISC_REQ_CONNECTION             = sspi.ISC_REQ_CONNECTION
	ISC_REQ_EXTENDED_ERROR         = sspi.ISC_REQ_EXTENDED_ERROR
	ISC_REQ_STREAM                 = sspi.ISC_REQ_STREAM
	ISC_REQ_INTEGRITY              = sspi.ISC_REQ_INTEGRITY
	ISC_REQ_MANUAL_CRED_VALIDATION = sspi.ISC_REQ_MANUAL_CRED_VALIDATION
)

// InitializeSecurityContext returned attributes (ISC_RET_*).
const (
	ISC_RET_REPLAY_DETECT          = sspi.ISC_RET_REPLAY_DETECT
	ISC_RET_SEQUENCE_DETECT        = sspi.ISC_RET_SEQUENCE_DETECT
	ISC_RET_CONFIDENTIALITY        = sspi.ISC_RET_CONFIDENTIALITY
	ISC_RET_USED_SUPPLIED_CREDS    = sspi.ISC_RET_USED_SUPPLIED_CREDS
	ISC_RET_ALLOCATED_MEMORY       = sspi.ISC_RET_ALLOCATED_MEMORY
	ISC_RET_CONNECTION             = sspi.ISC_RET_CONNECTION
	ISC_RET_EXTENDED_ERROR         = sspi.ISC_RET_EXTENDED_ERROR
	ISC_RET_STREAM                 = sspi.ISC_RET_STREAM
	ISC_RET_INTEGRITY              = sspi.ISC_RET_INTEGRITY
	ISC_RET_MANUAL_CRED_VALIDATION = sspi.ISC_RET_MANUAL_CRED_VALIDATION
)

// AcceptSecurityContext request flags (ASC_REQ_*); note that several bits
// differ from the ISC_REQ_* ones, exactly as on Windows. ASC_RET_* use the
// same bits.
const (
	ASC_REQ_MUTUAL_AUTH     = sspi.ASC_REQ_MUTUAL_AUTH
	ASC_REQ_REPLAY_DETECT   = sspi.ASC_REQ_REPLAY_DETECT
	ASC_REQ_SEQUENCE_DETECT = sspi.ASC_REQ_SEQUENCE_DETECT
	ASC_REQ_CONFIDENTIALITY = sspi.ASC_REQ_CONFIDENTIALITY
	ASC_REQ_ALLOCATE_MEMORY = sspi.ASC_REQ_ALLOCATE_MEMORY
	ASC_REQ_CONNECTION      = sspi.ASC_REQ_CONNECTION
	ASC_REQ_EXTENDED_ERROR  = sspi.ASC_REQ_EXTENDED_ERROR
	ASC_REQ_STREAM          = sspi.ASC_REQ_STREAM
)

// AcceptSecurityContext returned attributes (ASC_RET_*).
const (
	ASC_RET_MUTUAL_AUTH      = sspi.ASC_RET_MUTUAL_AUTH
	ASC_RET_REPLAY_DETECT    = sspi.ASC_RET_REPLAY_DETECT
	ASC_RET_SEQUENCE_DETECT  = sspi.ASC_RET_SEQUENCE_DETECT
	ASC_RET_CONFIDENTIALITY  = sspi.ASC_RET_CONFIDENTIALITY
	ASC_RET_ALLOCATED_MEMORY = sspi.ASC_RET_ALLOCATED_MEMORY
	ASC_RET_CONNECTION       = sspi.ASC_RET_CONNECTION
	ASC_RET_EXTENDED_ERROR   = sspi.ASC_RET_EXTENDED_ERROR
	ASC_RET_STREAM           = sspi.ASC_RET_STREAM
)

// Attribute identifiers for QueryContextAttributes (SECPKG_ATTR_*).
const (
	SECPKG_ATTR_STREAM_SIZES         = sspi.SECPKG_ATTR_STREAM_SIZES
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
	SECQOP_WRAP_NO_ENCRYPT = sspi.SECQOP_WRAP_NO_ENCRYPT
	// SECQOP_WRAP_OOB_DATA sends the 2-byte DATA buffer (level, description) as an alert.
	SECQOP_WRAP_OOB_DATA = sspi.SECQOP_WRAP_OOB_DATA
)

// Protocol bits reported in ConnectionInfo.Protocol (SP_PROT_*).
const (
	SP_PROT_TLS1_2_SERVER = 0x00000400
	SP_PROT_TLS1_2_CLIENT = 0x00000800
	SP_PROT_TLS1_3_SERVER = 0x00001000
	SP_PROT_TLS1_3_CLIENT = 0x00002000
)

// CredentialUse says which side a credential serves (SECPKG_CRED_*).
type CredentialUse = sspi.CredentialUse

// Credential uses.
const (
	SECPKG_CRED_INBOUND  = sspi.SECPKG_CRED_INBOUND
	SECPKG_CRED_OUTBOUND = sspi.SECPKG_CRED_OUTBOUND
)
