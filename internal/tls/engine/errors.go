package engine

import (
	"errors"
	"fmt"

	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

// statusForLocalAlert maps the alert we send to the SSPI status our caller
// sees. The table follows what Windows reports for the same class of failure
// (malformed input: SEC_E_ILLEGAL_MESSAGE; no common parameters:
// SEC_E_ALGORITHM_MISMATCH); the README documents it.
func statusForLocalAlert(a wire.Alert) sspi.Status {
	switch a {
	case wire.AlertBadRecordMAC:
		return sspi.SEC_E_DECRYPT_FAILURE
	case wire.AlertDecryptError:
		return sspi.SEC_E_MESSAGE_ALTERED
	case wire.AlertHandshakeFailure, wire.AlertInsufficientSecurity, wire.AlertProtocolVersion:
		return sspi.SEC_E_ALGORITHM_MISMATCH
	case wire.AlertNoApplicationProtocol:
		return sspi.SEC_E_APPLICATION_PROTOCOL_MISMATCH
	case wire.AlertUnknownCA:
		return sspi.SEC_E_UNTRUSTED_ROOT
	case wire.AlertCertificateExpired:
		return sspi.SEC_E_CERT_EXPIRED
	case wire.AlertBadCertificate, wire.AlertUnsupportedCertificate, wire.AlertCertificateUnknown,
		wire.AlertCertificateRevoked, wire.AlertCertificateRequired:
		return sspi.SEC_E_CERT_UNKNOWN
	case wire.AlertInternalError:
		return sspi.SEC_E_INTERNAL_ERROR
	default:
		return sspi.SEC_E_ILLEGAL_MESSAGE
	}
}

// statusForRemoteAlert maps an alert the peer sent us. Windows reports a
// peer's refusal to find common parameters as SEC_E_ALGORITHM_MISMATCH and
// most other fatal alerts as SEC_E_ILLEGAL_MESSAGE.
func statusForRemoteAlert(a wire.Alert) sspi.Status {
	switch a {
	case wire.AlertHandshakeFailure, wire.AlertInsufficientSecurity, wire.AlertProtocolVersion:
		return sspi.SEC_E_ALGORITHM_MISMATCH
	case wire.AlertNoApplicationProtocol:
		return sspi.SEC_E_APPLICATION_PROTOCOL_MISMATCH
	case wire.AlertBadRecordMAC:
		return sspi.SEC_E_DECRYPT_FAILURE
	default:
		return sspi.SEC_E_ILLEGAL_MESSAGE
	}
}

// fail builds the failure for an alert we are about to send.
func fail(a wire.Alert, format string, args ...any) *sspi.Error {
	return &sspi.Error{Status: statusForLocalAlert(a), Alert: int(a), Err: fmt.Errorf("tls: "+format, args...)}
}

// failWith is fail with an explicit status, for failures whose status is not
// implied by the alert (certificate checks, record-layer garbage).
func failWith(status sspi.Status, a wire.Alert, err error) *sspi.Error {
	return &sspi.Error{Status: status, Alert: int(a), Err: err}
}

// remoteAlert reports an alert received from the peer.
func remoteAlert(a wire.Alert) *sspi.Error {
	return &sspi.Error{Status: statusForRemoteAlert(a), Alert: int(a), Remote: true,
		Err: fmt.Errorf("tls: received alert %s from the peer", a)}
}

// asFailure turns an error from the wire or keys packages (which carry an
// alert code) into a failure; anything else is an internal error.
func asFailure(err error) *sspi.Error {
	var se *sspi.Error
	if errors.As(err, &se) {
		return se
	}
	var we *wire.Error
	if errors.As(err, &we) {
		return &sspi.Error{Status: statusForLocalAlert(we.Alert), Alert: int(we.Alert), Err: err}
	}
	var ae interface{ Alert() uint8 }
	if errors.As(err, &ae) {
		a := wire.Alert(ae.Alert())
		return &sspi.Error{Status: statusForLocalAlert(a), Alert: int(a), Err: err}
	}
	return &sspi.Error{Status: sspi.SEC_E_INTERNAL_ERROR, Alert: int(wire.AlertInternalError), Err: err}
}
