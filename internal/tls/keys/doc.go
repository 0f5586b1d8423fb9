// Package keys is the cryptographic core of the TLS engine: cipher suite
// parameters, the TLS 1.3 key schedule and transcript hash, the TLS 1.2 PRF,
// in-place AEAD record protection for both versions, and the (EC)DHE and
// hybrid ML-KEM key exchanges.
//
// It derives keys and protects records, nothing more. There is no handshake
// state machine and no I/O here: the caller decides which secret is needed
// when, and which bytes go on the wire. Keeping the package that small lets it
// be checked against published test vectors (RFC 8448 and the TLS 1.2 PRF
// vectors) in isolation from protocol logic.
package keys
