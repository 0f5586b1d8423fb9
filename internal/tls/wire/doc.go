// Package wire is the TLS 1.2 and TLS 1.3 wire format and nothing else: the
// record header, the handshake header, and a codec for every handshake
// message the engine sends or receives.
//
// The package keeps no connection state and performs no cryptography. It
// does not know which messages are legal at which point of a handshake, nor
// which extensions a peer may send in which message; that belongs to the
// engine. What it does guarantee is that Unmarshal never panics, accepts
// only well-formed encodings (no trailing bytes, no duplicate extensions,
// no empty vectors the RFCs forbid), and returns values that do not alias
// the input buffer, so callers may reuse that buffer immediately.
//
// Every message type marshals to and unmarshals from the complete handshake
// message, 4-byte handshake header included, because that is the unit the
// transcript hash covers.
package wire
