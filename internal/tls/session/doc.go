// Package session keeps what TLS resumption needs between connections: the
// State a client or server must remember, the server's session tickets sealed
// under keys that rotate by themselves, and the client's copy of a ticket
// inside a crypto/tls ClientSessionCache.
//
// Everything here is a pure function of its arguments. The clock and the
// randomness come in as parameters, so the engine stays sans-I/O and tests
// can move time by hand.
package session
