// Package session keeps what TLS resumption needs between connections: the
// State a client or server must remember, the server's session tickets sealed
// with the ticket keys of its tls.Config (through crypto/tls), and the
// client's copy of a ticket inside a crypto/tls ClientSessionCache.
//
// The clock comes in as a parameter (and, for the ticket key ring, from
// tls.Config.Time), so the engine stays sans-I/O and tests can move time by
// hand.
package session
