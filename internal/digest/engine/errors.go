package engine

import (
	"errors"

	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/sspi"
)

func fail(status sspi.Status, format string, args ...any) *sspi.Error {
	return sspi.Errorf(status, "digest: "+format, args...)
}

// layerError maps a security layer failure to its SSPI status.
func layerError(err error) *sspi.Error {
	switch {
	case errors.Is(err, crypto.ErrSequence):
		return fail(sspi.SEC_E_OUT_OF_SEQUENCE, "%v", err)
	case errors.Is(err, crypto.ErrAltered):
		return fail(sspi.SEC_E_MESSAGE_ALTERED, "%v", err)
	}
	return fail(sspi.SEC_E_INTERNAL_ERROR, "%v", err)
}
