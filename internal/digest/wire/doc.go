// Package wire is the text format of HTTP Digest and SASL DIGEST-MD5 and
// nothing else: the RFC 7235 auth-param list (tokens, quoted-strings with
// their backslash escapes, several challenges in one header value), the
// RFC 7616 WWW-Authenticate, Authorization and Authentication-Info values
// (with username* as RFC 8187 defines it), and the RFC 2831
// digest-challenge, digest-response and response-auth.
//
// The package keeps no state and computes no hash. It does not choose among
// challenges, check a nonce or know which directive a peer may send when;
// that belongs to the engine. What it guarantees is that every parser is
// strict (unbalanced quotes, duplicate directives, control characters,
// values longer than the caps below and a missing nonce are errors), never
// panics, fails only with *Error, and that whatever it parses marshals back
// to a value that parses to the same fields. Unknown directives are
// skipped when parsing, as RFC 7616 section 3.3 asks, and not kept.
package wire
