package wire

// Error is a wire-format failure together with the alert the engine should
// send because of it, so that callers need no table mapping failures to
// alerts.
type Error struct {
	// Alert is the alert to send to the peer.
	Alert Alert
	// Msg describes the problem for logs.
	Msg string
}

// Error implements the error interface.
func (e *Error) Error() string { return "tls: " + e.Msg }

func errDecode(msg string) error { return &Error{Alert: AlertDecodeError, Msg: msg} }

func errIllegal(msg string) error { return &Error{Alert: AlertIllegalParameter, Msg: msg} }

// errMarshal reports a value that cannot be encoded; it is always a bug in
// the caller, hence internal_error rather than anything the peer caused.
func errMarshal(msg string) error { return &Error{Alert: AlertInternalError, Msg: msg} }
