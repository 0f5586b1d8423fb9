package engine

import (
	"fmt"

	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// Kerberos statuses internal/sspi does not list yet, with their winerror.h
// numbers. They belong in internal/sspi once the shared vocabulary of
// issue 12 lands; they are here so this package touches no shared file.
const (
	SEC_E_LOGON_DENIED                sspi.Status = 0x8009030C
	SEC_E_NO_AUTHENTICATING_AUTHORITY sspi.Status = 0x80090311
	SEC_E_TIME_SKEW                   sspi.Status = 0x80090324
	SEC_E_NO_TGT_REPLY                sspi.Status = 0x80090334
	SEC_E_MAX_REFERRALS_EXCEEDED      sspi.Status = 0x80090338
	SEC_E_STRONG_CRYPTO_NOT_SUPPORTED sspi.Status = 0x8009033A
	SEC_E_KDC_INVALID_REQUEST         sspi.Status = 0x80090340
	SEC_E_KDC_UNABLE_TO_REFER         sspi.Status = 0x80090341
	SEC_E_KDC_UNKNOWN_ETYPE           sspi.Status = 0x80090342
	SEC_E_UNSUPPORTED_PREAUTH         sspi.Status = 0x80090343
	SEC_E_BAD_BINDINGS                sspi.Status = 0x80090346
)

// krbErrorStatus maps KRB-ERROR codes to what Windows' Kerberos package
// returns from InitializeSecurityContext or AcquireCredentialsHandle for
// them. Codes absent here are SEC_E_INTERNAL_ERROR, as Windows reports
// KDC errors it has no translation for.
var krbErrorStatus = map[int32]sspi.Status{
	// The client cannot log on: unknown, wrong password, disabled,
	// expired or restricted account.
	wire.KDCErrNameExp:           SEC_E_LOGON_DENIED,
	wire.KDCErrCPrincipalUnknown: SEC_E_LOGON_DENIED,
	wire.KDCErrPreauthFailed:     SEC_E_LOGON_DENIED,
	wire.KDCErrClientRevoked:     SEC_E_LOGON_DENIED,
	wire.KDCErrKeyExpired:        SEC_E_LOGON_DENIED,
	wire.KDCErrPolicy:            SEC_E_LOGON_DENIED,
	wire.KDCErrClientNotYet:      SEC_E_LOGON_DENIED,
	wire.KRBAPErrBadIntegrity:    SEC_E_LOGON_DENIED,
	// The service does not exist or cannot be used.
	wire.KDCErrSPrincipalUnknown:  sspi.SEC_E_TARGET_UNKNOWN,
	wire.KDCErrServiceExp:         sspi.SEC_E_TARGET_UNKNOWN,
	wire.KDCErrServiceRevoked:     sspi.SEC_E_TARGET_UNKNOWN,
	wire.KDCErrServiceNotYet:      sspi.SEC_E_TARGET_UNKNOWN,
	wire.KDCErrPrincipalNotUnique: sspi.SEC_E_TARGET_UNKNOWN,
	// Clocks.
	wire.KRBAPErrSkew:       SEC_E_TIME_SKEW,
	wire.KRBAPErrTktNYV:     SEC_E_TIME_SKEW,
	wire.KRBAPErrTktExpired: sspi.SEC_E_CONTEXT_EXPIRED,
	wire.KDCErrTGTRevoked:   sspi.SEC_E_CONTEXT_EXPIRED,
	// Algorithms and pre-authentication.
	wire.KDCErrETypeNoSupp:      SEC_E_KDC_UNKNOWN_ETYPE,
	wire.KDCErrSumTypeNoSupp:    SEC_E_KDC_UNKNOWN_ETYPE,
	wire.KDCErrPADataTypeNoSupp: SEC_E_UNSUPPORTED_PREAUTH,
	wire.KDCErrKeyTooWeak:       SEC_E_STRONG_CRYPTO_NOT_SUPPORTED,
	// The request itself.
	wire.KDCErrBadPVNO:        SEC_E_KDC_INVALID_REQUEST,
	wire.KDCErrBadOption:      SEC_E_KDC_INVALID_REQUEST,
	wire.KDCErrCannotPostdate: SEC_E_KDC_INVALID_REQUEST,
	wire.KDCErrNeverValid:     SEC_E_KDC_INVALID_REQUEST,
	wire.KRBErrFieldTooLong:   SEC_E_KDC_INVALID_REQUEST,
	wire.KRBErrGeneric:        SEC_E_KDC_INVALID_REQUEST,
	// Realms and the KDC.
	wire.KDCErrWrongRealm:      SEC_E_KDC_UNABLE_TO_REFER,
	wire.KDCErrPathNotAccepted: SEC_E_KDC_UNABLE_TO_REFER,
	wire.KDCErrSvcUnavailable:  SEC_E_NO_AUTHENTICATING_AUTHORITY,
	// Errors an acceptor sends back about an AP-REQ.
	wire.KRBAPErrRepeat:     sspi.SEC_E_INVALID_TOKEN,
	wire.KRBAPErrNotUs:      sspi.SEC_E_WRONG_PRINCIPAL,
	wire.KRBAPErrBadMatch:   sspi.SEC_E_WRONG_PRINCIPAL,
	wire.KRBAPErrModified:   sspi.SEC_E_WRONG_PRINCIPAL,
	wire.KRBAPErrBadKeyVer:  sspi.SEC_E_WRONG_PRINCIPAL,
	wire.KRBAPErrNoKey:      sspi.SEC_E_WRONG_PRINCIPAL,
	wire.KRBAPErrBadVersion: sspi.SEC_E_INVALID_TOKEN,
	wire.KRBAPErrMsgType:    sspi.SEC_E_INVALID_TOKEN,
	wire.KRBAPErrBadAddr:    sspi.SEC_E_INVALID_TOKEN,
	wire.KRBAPErrInappCksum: sspi.SEC_E_INVALID_TOKEN,
	wire.KRBAPErrBadSeq:     sspi.SEC_E_OUT_OF_SEQUENCE,
	wire.KRBAPErrBadOrder:   sspi.SEC_E_OUT_OF_SEQUENCE,
	wire.KRBAPErrMethod:     sspi.SEC_E_UNSUPPORTED_FUNCTION,
}

// StatusForKRBError is the SSPI status Windows reports for a KRB-ERROR
// code.
func StatusForKRBError(code int32) sspi.Status {
	if s, ok := krbErrorStatus[code]; ok {
		return s
	}
	return sspi.SEC_E_INTERNAL_ERROR
}

// errorNames are the RFC 4120 section 7.5.9 names, for messages.
var errorNames = map[int32]string{
	wire.KDCErrNameExp: "KDC_ERR_NAME_EXP", wire.KDCErrServiceExp: "KDC_ERR_SERVICE_EXP",
	wire.KDCErrBadPVNO: "KDC_ERR_BAD_PVNO", wire.KDCErrCPrincipalUnknown: "KDC_ERR_C_PRINCIPAL_UNKNOWN",
	wire.KDCErrSPrincipalUnknown: "KDC_ERR_S_PRINCIPAL_UNKNOWN", wire.KDCErrPrincipalNotUnique: "KDC_ERR_PRINCIPAL_NOT_UNIQUE",
	wire.KDCErrPolicy: "KDC_ERR_POLICY", wire.KDCErrBadOption: "KDC_ERR_BADOPTION",
	wire.KDCErrETypeNoSupp: "KDC_ERR_ETYPE_NOSUPP", wire.KDCErrPADataTypeNoSupp: "KDC_ERR_PADATA_TYPE_NOSUPP",
	wire.KDCErrClientRevoked: "KDC_ERR_CLIENT_REVOKED", wire.KDCErrKeyExpired: "KDC_ERR_KEY_EXPIRED",
	wire.KDCErrPreauthFailed: "KDC_ERR_PREAUTH_FAILED", wire.KDCErrPreauthRequired: "KDC_ERR_PREAUTH_REQUIRED",
	wire.KDCErrSvcUnavailable: "KDC_ERR_SVC_UNAVAILABLE", wire.KRBAPErrBadIntegrity: "KRB_AP_ERR_BAD_INTEGRITY",
	wire.KRBAPErrTktExpired: "KRB_AP_ERR_TKT_EXPIRED", wire.KRBAPErrRepeat: "KRB_AP_ERR_REPEAT",
	wire.KRBAPErrSkew: "KRB_AP_ERR_SKEW", wire.KRBAPErrModified: "KRB_AP_ERR_MODIFIED",
	wire.KRBErrResponseTooBig: "KRB_ERR_RESPONSE_TOO_BIG", wire.KRBErrGeneric: "KRB_ERR_GENERIC",
	wire.KDCErrWrongRealm: "KDC_ERR_WRONG_REALM",
}

// krbError turns a KRB-ERROR into the *sspi.Error a caller sees.
func krbError(e *wire.KRBError) *sspi.Error {
	name := errorNames[e.ErrorCode]
	if name == "" {
		name = "KRB-ERROR"
	}
	msg := fmt.Sprintf("kerberos: %s (%d) from realm %s", name, e.ErrorCode, e.Realm)
	if e.EText != nil && *e.EText != "" {
		msg += ": " + *e.EText
	}
	return sspi.Errorf(StatusForKRBError(e.ErrorCode), "%s", msg)
}

// withStatus gives an error built by krbError another status, keeping
// its message: the same KDC code can mean different things by state.
func withStatus(e *sspi.Error, s sspi.Status) *sspi.Error {
	return &sspi.Error{Status: s, Alert: -1, Err: e.Err}
}
