package keys

// Alert descriptions (RFC 8446, section 6) that failures in this package map to.
const (
	AlertUnexpectedMessage uint8 = 10
	AlertBadRecordMAC      uint8 = 20
	AlertRecordOverflow    uint8 = 22
	AlertIllegalParameter  uint8 = 47
	AlertDecodeError       uint8 = 50
	AlertInternalError     uint8 = 80
)

// AlertError is a failure the connection must answer with the fatal alert
// Code. Callers that do not import this package can recognise it through
// interface{ Alert() uint8 }.
type AlertError struct {
	Code uint8
	Msg  string
}

// Error describes the failure without secret material.
func (e *AlertError) Error() string { return "tls: " + e.Msg }

// Alert reports the TLS alert description to send.
func (e *AlertError) Alert() uint8 { return e.Code }
