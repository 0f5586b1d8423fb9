package schannel

import "github.com/gosspi/schannel/sspi"

// Status is an SSPI SECURITY_STATUS with its Windows value. SEC_I_* values are
// informational; SEC_E_* values (Failed() is true) are failures. A Status is
// also an error, so errors.Is(err, schannel.SEC_E_UNTRUSTED_ROOT) works on
// every error this package returns.
type Status = sspi.Status

// Error is a failure status with its cause; errors.As reaches it. Its Alert
// field is the TLS alert that was sent (or received, when Remote is true).
type Error = sspi.Error

// Status values, with the numbers Windows uses so traces compare one to one.
const (
	SEC_E_OK                     = sspi.SEC_E_OK
	SEC_I_CONTINUE_NEEDED        = sspi.SEC_I_CONTINUE_NEEDED
	SEC_I_COMPLETE_NEEDED        = sspi.SEC_I_COMPLETE_NEEDED
	SEC_I_COMPLETE_AND_CONTINUE  = sspi.SEC_I_COMPLETE_AND_CONTINUE
	SEC_I_CONTEXT_EXPIRED        = sspi.SEC_I_CONTEXT_EXPIRED
	SEC_I_INCOMPLETE_CREDENTIALS = sspi.SEC_I_INCOMPLETE_CREDENTIALS
	SEC_I_RENEGOTIATE            = sspi.SEC_I_RENEGOTIATE

	SEC_E_INSUFFICIENT_MEMORY           = sspi.SEC_E_INSUFFICIENT_MEMORY
	SEC_E_INVALID_HANDLE                = sspi.SEC_E_INVALID_HANDLE
	SEC_E_UNSUPPORTED_FUNCTION          = sspi.SEC_E_UNSUPPORTED_FUNCTION
	SEC_E_TARGET_UNKNOWN                = sspi.SEC_E_TARGET_UNKNOWN
	SEC_E_INTERNAL_ERROR                = sspi.SEC_E_INTERNAL_ERROR
	SEC_E_INVALID_TOKEN                 = sspi.SEC_E_INVALID_TOKEN
	SEC_E_INVALID_PARAMETER             = sspi.SEC_E_INVALID_PARAMETER
	SEC_E_QOP_NOT_SUPPORTED             = sspi.SEC_E_QOP_NOT_SUPPORTED
	SEC_E_NO_CREDENTIALS                = sspi.SEC_E_NO_CREDENTIALS
	SEC_E_MESSAGE_ALTERED               = sspi.SEC_E_MESSAGE_ALTERED
	SEC_E_OUT_OF_SEQUENCE               = sspi.SEC_E_OUT_OF_SEQUENCE
	SEC_E_CONTEXT_EXPIRED               = sspi.SEC_E_CONTEXT_EXPIRED
	SEC_E_INCOMPLETE_MESSAGE            = sspi.SEC_E_INCOMPLETE_MESSAGE
	SEC_E_BUFFER_TOO_SMALL              = sspi.SEC_E_BUFFER_TOO_SMALL
	SEC_E_WRONG_PRINCIPAL               = sspi.SEC_E_WRONG_PRINCIPAL
	SEC_E_UNTRUSTED_ROOT                = sspi.SEC_E_UNTRUSTED_ROOT
	SEC_E_ILLEGAL_MESSAGE               = sspi.SEC_E_ILLEGAL_MESSAGE
	SEC_E_CERT_UNKNOWN                  = sspi.SEC_E_CERT_UNKNOWN
	SEC_E_CERT_EXPIRED                  = sspi.SEC_E_CERT_EXPIRED
	SEC_E_ENCRYPT_FAILURE               = sspi.SEC_E_ENCRYPT_FAILURE
	SEC_E_DECRYPT_FAILURE               = sspi.SEC_E_DECRYPT_FAILURE
	SEC_E_ALGORITHM_MISMATCH            = sspi.SEC_E_ALGORITHM_MISMATCH
	SEC_E_APPLICATION_PROTOCOL_MISMATCH = sspi.SEC_E_APPLICATION_PROTOCOL_MISMATCH
)
