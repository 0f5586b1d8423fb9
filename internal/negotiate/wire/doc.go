// Package wire holds the SPNEGO messages of RFC 4178 (with Microsoft's
// NegTokenInit2 of MS-SPNG section 2.2.1) as DER on cryptobyte: the
// NegTokenInit a client opens with, inside the RFC 2743 section 3.1
// initial-context-token framing, and the NegTokenResp both sides answer
// with.
//
// The codecs are strict, as an acceptor facing the network must be: DER
// only (definite minimal lengths, no constructed strings), fields in their
// order, no trailing bytes, at most MaxMechTypes mechanisms and
// MaxTokenSize bytes in a token. Because the reader accepts only DER,
// Marshal of what Unmarshal read gives back the same bytes, which is what
// the mechListMIC needs: it is computed over the DER of the mechanism
// list as the initiator sent it (RFC 4178 section 5).
//
// The package knows no cryptography and no state; package negotiate runs
// the negotiation on top.
package wire
