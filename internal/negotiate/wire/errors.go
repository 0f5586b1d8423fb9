package wire

import "fmt"

// Error is what every codec of this package fails with: the input is not
// a well-formed SPNEGO message. The negotiate package reports it as
// SEC_E_INVALID_TOKEN.
type Error struct{ msg string }

// Error reads "negotiate: ..." like every error of the package.
func (e *Error) Error() string { return "negotiate: " + e.msg }

func errorf(format string, args ...any) *Error {
	return &Error{msg: fmt.Sprintf(format, args...)}
}
