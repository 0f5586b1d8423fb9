// Package crypto computes what HTTP Digest (RFC 7616) and SASL DIGEST-MD5
// (RFC 2831) compute: H and KD for MD5, SHA-256 and SHA-512/256 with their
// -sess variants, the userhash, H(entity-body) for auth-int, the response
// and rspauth values; and for SASL the session keys Kic, Kis, Kcc and Kcs,
// the integrity layer (HMAC-MD5 MAC with sequence numbers) and the
// confidentiality layer with the ciphers rc4, rc4-56, rc4-40, des and 3des.
//
// It holds no protocol state beyond what a security layer must carry from
// one message to the next (the cipher stream and CBC chaining, and the
// sequence number), parses nothing, and does no I/O. Every comparison of a
// secret or a MAC is constant-time. It does not pick an algorithm, a qop or
// a cipher: that is the engine's job.
//
// MD5, RC4 and single DES are broken; they are here because the protocols
// and Windows still use them, not as a recommendation.
package crypto
