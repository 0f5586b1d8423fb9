// Package sspi holds the SSPI vocabulary shared by the public package and the
// engine: status codes with their Windows numbers. It lives below both so the
// engine can report a status without importing the public package; the public
// package re-exports every name.
package sspi

import "fmt"

// Status is an SSPI SECURITY_STATUS. Values are the Windows numbers so that
// traces from this package compare directly with traces from secur32.dll.
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
)

// Failure codes.
const (
	SEC_E_INSUFFICIENT_MEMORY           Status = 0x80090300
	SEC_E_INVALID_HANDLE                Status = 0x80090301
	SEC_E_UNSUPPORTED_FUNCTION          Status = 0x80090302
	SEC_E_TARGET_UNKNOWN                Status = 0x80090303
	SEC_E_INTERNAL_ERROR                Status = 0x80090304
	SEC_E_INVALID_TOKEN                 Status = 0x80090308
	SEC_E_QOP_NOT_SUPPORTED             Status = 0x8009030A
	SEC_E_NO_CREDENTIALS                Status = 0x8009030E
	SEC_E_MESSAGE_ALTERED               Status = 0x8009030F
	SEC_E_OUT_OF_SEQUENCE               Status = 0x80090310
	SEC_E_CONTEXT_EXPIRED               Status = 0x80090317
	SEC_E_INCOMPLETE_MESSAGE            Status = 0x80090318
	SEC_E_BUFFER_TOO_SMALL              Status = 0x80090321
	SEC_E_WRONG_PRINCIPAL               Status = 0x80090322
	SEC_E_UNTRUSTED_ROOT                Status = 0x80090325
	SEC_E_ILLEGAL_MESSAGE               Status = 0x80090326
	SEC_E_CERT_UNKNOWN                  Status = 0x80090327
	SEC_E_CERT_EXPIRED                  Status = 0x80090328
	SEC_E_ENCRYPT_FAILURE               Status = 0x80090329
	SEC_E_DECRYPT_FAILURE               Status = 0x80090330
	SEC_E_ALGORITHM_MISMATCH            Status = 0x80090331
	SEC_E_APPLICATION_PROTOCOL_MISMATCH Status = 0x80090367
	SEC_E_INVALID_PARAMETER             Status = 0x8009035D
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
	SEC_E_INVALID_PARAMETER:             "SEC_E_INVALID_PARAMETER",
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
