package sspi

import "fmt"

// Status is an SSPI SECURITY_STATUS. Values are the Windows numbers (winerror.h)
// so that traces from this module compare directly with traces from
// secur32.dll. SEC_I_* values are informational; SEC_E_* values are failures
// (Failed reports true). A Status is also an error, so errors.Is(err,
// sspi.SEC_E_UNTRUSTED_ROOT) works on every error this module returns.
type Status uint32

// Success and informational codes (the SEC_I_* family does not mean failure).
const (
	SEC_E_OK                     Status = 0x00000000
	SEC_I_CONTINUE_NEEDED        Status = 0x00090312
	SEC_I_COMPLETE_NEEDED        Status = 0x00090313
	SEC_I_COMPLETE_AND_CONTINUE  Status = 0x00090314
	SEC_I_CONTEXT_EXPIRED        Status = 0x00090317
	SEC_I_INCOMPLETE_CREDENTIALS Status = 0x00090320
	SEC_I_RENEGOTIATE            Status = 0x00090321
	SEC_I_NO_RENEGOTIATION       Status = 0x00090360
)

// Failure codes.
const (
	SEC_E_INSUFFICIENT_MEMORY           Status = 0x80090300
	SEC_E_INVALID_HANDLE                Status = 0x80090301
	SEC_E_UNSUPPORTED_FUNCTION          Status = 0x80090302
	SEC_E_TARGET_UNKNOWN                Status = 0x80090303
	SEC_E_INTERNAL_ERROR                Status = 0x80090304
	SEC_E_SECPKG_NOT_FOUND              Status = 0x80090305
	SEC_E_INVALID_TOKEN                 Status = 0x80090308
	SEC_E_QOP_NOT_SUPPORTED             Status = 0x8009030A
	SEC_E_LOGON_DENIED                  Status = 0x8009030C
	SEC_E_UNKNOWN_CREDENTIALS           Status = 0x8009030D
	SEC_E_NO_CREDENTIALS                Status = 0x8009030E
	SEC_E_MESSAGE_ALTERED               Status = 0x8009030F
	SEC_E_OUT_OF_SEQUENCE               Status = 0x80090310
	SEC_E_NO_AUTHENTICATING_AUTHORITY   Status = 0x80090311
	SEC_E_CONTEXT_EXPIRED               Status = 0x80090317
	SEC_E_INCOMPLETE_MESSAGE            Status = 0x80090318
	SEC_E_BUFFER_TOO_SMALL              Status = 0x80090321
	SEC_E_WRONG_PRINCIPAL               Status = 0x80090322
	SEC_E_TIME_SKEW                     Status = 0x80090324
	SEC_E_UNTRUSTED_ROOT                Status = 0x80090325
	SEC_E_ILLEGAL_MESSAGE               Status = 0x80090326
	SEC_E_CERT_UNKNOWN                  Status = 0x80090327
	SEC_E_CERT_EXPIRED                  Status = 0x80090328
	SEC_E_ENCRYPT_FAILURE               Status = 0x80090329
	SEC_E_DECRYPT_FAILURE               Status = 0x80090330
	SEC_E_ALGORITHM_MISMATCH            Status = 0x80090331
	SEC_E_NO_TGT_REPLY                  Status = 0x80090334
	SEC_E_MAX_REFERRALS_EXCEEDED        Status = 0x80090338
	SEC_E_STRONG_CRYPTO_NOT_SUPPORTED   Status = 0x8009033A
	SEC_E_KDC_INVALID_REQUEST           Status = 0x80090340
	SEC_E_KDC_UNABLE_TO_REFER           Status = 0x80090341
	SEC_E_KDC_UNKNOWN_ETYPE             Status = 0x80090342
	SEC_E_UNSUPPORTED_PREAUTH           Status = 0x80090343
	SEC_E_DELEGATION_REQUIRED           Status = 0x80090345
	SEC_E_BAD_BINDINGS                  Status = 0x80090346
	SEC_E_CERT_WRONG_USAGE              Status = 0x80090349
	SEC_E_DOWNGRADE_DETECTED            Status = 0x80090350
	SEC_E_INVALID_PARAMETER             Status = 0x8009035D
	SEC_E_NO_CONTEXT                    Status = 0x80090361
	SEC_E_MUTUAL_AUTH_FAILED            Status = 0x80090363
	SEC_E_APPLICATION_PROTOCOL_MISMATCH Status = 0x80090367
)

var statusNames = map[Status]string{
	SEC_E_OK:                            "SEC_E_OK",
	SEC_I_CONTINUE_NEEDED:               "SEC_I_CONTINUE_NEEDED",
	SEC_I_COMPLETE_NEEDED:               "SEC_I_COMPLETE_NEEDED",
	SEC_I_COMPLETE_AND_CONTINUE:         "SEC_I_COMPLETE_AND_CONTINUE",
	SEC_I_CONTEXT_EXPIRED:               "SEC_I_CONTEXT_EXPIRED",
	SEC_I_INCOMPLETE_CREDENTIALS:        "SEC_I_INCOMPLETE_CREDENTIALS",
	SEC_I_RENEGOTIATE:                   "SEC_I_RENEGOTIATE",
	SEC_E_INSUFFICIENT_MEMORY:           "SEC_E_INSUFFICIENT_MEMORY",
	SEC_E_INVALID_HANDLE:                "SEC_E_INVALID_HANDLE",
	SEC_E_UNSUPPORTED_FUNCTION:          "SEC_E_UNSUPPORTED_FUNCTION",
	SEC_E_TARGET_UNKNOWN:                "SEC_E_TARGET_UNKNOWN",
	SEC_E_INTERNAL_ERROR:                "SEC_E_INTERNAL_ERROR",
	SEC_E_INVALID_TOKEN:                 "SEC_E_INVALID_TOKEN",
	SEC_E_QOP_NOT_SUPPORTED:             "SEC_E_QOP_NOT_SUPPORTED",
	SEC_E_NO_CREDENTIALS:                "SEC_E_NO_CREDENTIALS",
	SEC_E_MESSAGE_ALTERED:               "SEC_E_MESSAGE_ALTERED",
	SEC_E_OUT_OF_SEQUENCE:               "SEC_E_OUT_OF_SEQUENCE",
	SEC_E_CONTEXT_EXPIRED:               "SEC_E_CONTEXT_EXPIRED",
	SEC_E_INCOMPLETE_MESSAGE:            "SEC_E_INCOMPLETE_MESSAGE",
	SEC_E_BUFFER_TOO_SMALL:              "SEC_E_BUFFER_TOO_SMALL",
	SEC_E_WRONG_PRINCIPAL:               "SEC_E_WRONG_PRINCIPAL",
	SEC_E_UNTRUSTED_ROOT:                "SEC_E_UNTRUSTED_ROOT",
	SEC_E_ILLEGAL_MESSAGE:               "SEC_E_ILLEGAL_MESSAGE",
	SEC_E_CERT_UNKNOWN:                  "SEC_E_CERT_UNKNOWN",
	SEC_E_CERT_EXPIRED:                  "SEC_E_CERT_EXPIRED",
	SEC_E_ENCRYPT_FAILURE:               "SEC_E_ENCRYPT_FAILURE",
	SEC_E_DECRYPT_FAILURE:               "SEC_E_DECRYPT_FAILURE",
	SEC_E_ALGORITHM_MISMATCH:            "SEC_E_ALGORITHM_MISMATCH",
	SEC_E_APPLICATION_PROTOCOL_MISMATCH: "SEC_E_APPLICATION_PROTOCOL_MISMATCH",
	SEC_I_NO_RENEGOTIATION:              "SEC_I_NO_RENEGOTIATION",
	SEC_E_SECPKG_NOT_FOUND:              "SEC_E_SECPKG_NOT_FOUND",
	SEC_E_LOGON_DENIED:                  "SEC_E_LOGON_DENIED",
	SEC_E_UNKNOWN_CREDENTIALS:           "SEC_E_UNKNOWN_CREDENTIALS",
	SEC_E_NO_AUTHENTICATING_AUTHORITY:   "SEC_E_NO_AUTHENTICATING_AUTHORITY",
	SEC_E_TIME_SKEW:                     "SEC_E_TIME_SKEW",
	SEC_E_KDC_UNKNOWN_ETYPE:             "SEC_E_KDC_UNKNOWN_ETYPE",
	SEC_E_UNSUPPORTED_PREAUTH:           "SEC_E_UNSUPPORTED_PREAUTH",
	SEC_E_DELEGATION_REQUIRED:           "SEC_E_DELEGATION_REQUIRED",
	SEC_E_BAD_BINDINGS:                  "SEC_E_BAD_BINDINGS",
	SEC_E_CERT_WRONG_USAGE:              "SEC_E_CERT_WRONG_USAGE",
	SEC_E_DOWNGRADE_DETECTED:            "SEC_E_DOWNGRADE_DETECTED",
	SEC_E_INVALID_PARAMETER:             "SEC_E_INVALID_PARAMETER",
	SEC_E_NO_CONTEXT:                    "SEC_E_NO_CONTEXT",
	SEC_E_MUTUAL_AUTH_FAILED:            "SEC_E_MUTUAL_AUTH_FAILED",
	SEC_E_NO_TGT_REPLY:                  "SEC_E_NO_TGT_REPLY",
	SEC_E_MAX_REFERRALS_EXCEEDED:        "SEC_E_MAX_REFERRALS_EXCEEDED",
	SEC_E_STRONG_CRYPTO_NOT_SUPPORTED:   "SEC_E_STRONG_CRYPTO_NOT_SUPPORTED",
	SEC_E_KDC_INVALID_REQUEST:           "SEC_E_KDC_INVALID_REQUEST",
	SEC_E_KDC_UNABLE_TO_REFER:           "SEC_E_KDC_UNABLE_TO_REFER",
}

// String returns the Windows name of the status ("SEC_E_UNTRUSTED_ROOT"), or
// its hex value when the name is unknown.
func (s Status) String() string {
	if name, ok := statusNames[s]; ok {
		return name
	}
	return fmt.Sprintf("SECURITY_STATUS(0x%08X)", uint32(s))
}

// Failed reports whether the status is a failure (the severity bit is set), as
// the FAILED() macro does on Windows.
func (s Status) Failed() bool { return s&0x80000000 != 0 }

// Error makes a Status usable as an error, so errors.Is(err, SEC_E_...) works
// on every error this module returns.
func (s Status) Error() string { return s.String() }

// Error is a status with the reason behind it. Its message reads like
// "SEC_E_UNTRUSTED_ROOT: x509: certificate signed by unknown authority";
// errors.Is matches the status, errors.As/Unwrap reach the cause.
type Error struct {
	Status Status
	// Alert is the TLS alert description sent (or received, see Remote) with
	// this failure; -1 when no alert is involved.
	Alert int
	// Remote is true when the peer sent the alert.
	Remote bool
	Err    error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Status.String()
	}
	return e.Status.String() + ": " + e.Err.Error()
}

// Unwrap returns the status and the cause, so both errors.Is(err, status) and
// errors.As(err, &x509Err) work.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Status}
	}
	return []error{e.Status, e.Err}
}

// Errorf builds an *Error with no alert.
func Errorf(status Status, format string, args ...any) *Error {
	return &Error{Status: status, Alert: -1, Err: fmt.Errorf(format, args...)}
}
