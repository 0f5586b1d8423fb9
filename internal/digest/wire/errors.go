package wire

// Error is a malformed or unencodable Digest value. The engine maps it to
// SEC_E_INVALID_TOKEN.
type Error struct {
	// Msg describes the problem for logs.
	Msg string
}

// Error implements the error interface.
func (e *Error) Error() string { return "digest: " + e.Msg }

func errorf(msg string) error { return &Error{Msg: msg} }

// Caps on what a peer can make the parser hold. A Digest header is a few
// hundred bytes; these leave ample room for long nonces and opaque values
// while keeping a hostile header from costing more than a few kilobytes.
const (
	// MaxHeaderLen caps a whole header value or SASL token.
	MaxHeaderLen = 16 << 10
	// MaxValueLen caps one directive value after unescaping.
	MaxValueLen = 4 << 10
	// MaxParams caps the directives of one challenge or response.
	MaxParams = 64
	// MaxChallenges caps the challenges in one WWW-Authenticate value.
	MaxChallenges = 16
)
