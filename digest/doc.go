// Package digest is the Digest security package ("WDigest") behind the
// SSPI calls of package sspi: HTTP Digest authentication (RFC 7616) and
// SASL DIGEST-MD5 (RFC 2831), pure Go, with the faces Go programs use:
// an http.RoundTripper (Transport), server middleware (Middleware), a SASL
// mechanism (SASLClient) and an smtp.Auth (SMTPAuth).
//
// Importing the package registers "WDigest" with the SecPkgInfo Windows 10
// reports (TOKEN_ONLY, IMPERSONATION, ACCEPT_WIN32_NAME,
// APPCONTAINER_CHECKS; version 1; RPC id 21; cbMaxToken 4096). Windows
// registers no "Digest" alias, and neither does this package.
//
// # Credentials
//
// AcquireCredentialsHandle(SECPKG_CRED_OUTBOUND, *Identity) for a client:
// a user, an optional realm, and a password or a stored H(A1) per
// algorithm. AcquireCredentialsHandle(SECPKG_CRED_INBOUND, *ServerConfig)
// for a server: the realm, the users (a map, or a lookup giving a password
// or H(A1)), the algorithms and qop offered, userhash, the nonce lifetime.
// sspi.AcquireCredentialsHandle("", "WDigest", use, authData) is the same
// call, and also takes an *sspi.AuthIdentity outbound.
//
// # HTTP (ISC_REQ_USE_HTTP_STYLE, ASC_REQ_HTTP)
//
// The buffers are laid out as on Windows. InitializeSecurityContext takes
// [TOKEN = the WWW-Authenticate value, PKG_PARAMS = the method, PKG_PARAMS
// = H(entity body) for auth-int] with the request URI as target name, and
// returns in TOKEN, with SEC_I_CONTINUE_NEEDED, the Authorization value
// after its scheme, as Windows does (curl writes "Authorization: Digest "
// and the token). Challenges and Authorizations are taken with or without
// the scheme.
// Given the Authentication-Info value it checks rspauth: SEC_E_OK, or
// SEC_E_MUTUAL_AUTH_FAILED. Later requests get their Authorization from
// MakeSignature ([TOKEN, PKG_PARAMS method, PKG_PARAMS uri, PKG_PARAMS
// H(entity), PADDING out]) with nc one higher and no round trip.
// AcceptSecurityContext takes [TOKEN, PKG_PARAMS method, PKG_PARAMS
// request-target, PKG_PARAMS H(entity), PKG_PARAMS realm]: an empty token
// gets the challenge and SEC_I_CONTINUE_NEEDED; a response gets SEC_E_OK
// and the Authentication-Info value, or SEC_E_LOGON_DENIED (wrong
// credentials), SEC_E_OUT_OF_SEQUENCE (a replayed nc), SEC_E_INVALID_TOKEN
// (malformed, or a uri other than the request-target) together with a
// fresh challenge for the 401; a correct response on an expired nonce
// gets a challenge with stale=true. MD5, SHA-256 and SHA-512-256 with their
// -sess forms, qop auth and auth-int, userhash, username* for names
// outside ASCII, several challenges with the strongest chosen, opaque.
//
// Channel bindings work as in the Windows Digest SSP, which follows
// draft-santesson-digestbind-01 (MS-DPSP section 2.1): a server given
// SECBUFFER_CHANNEL_BINDINGS (its end's SEC_CHANNEL_BINDINGS) issues
// nonces starting "+Upgraded+v1"; a client given SECBUFFER_TARGET_HOST (its
// SPN, "HTTP/host") and its bindings answers such a nonce with
// hashed-dirs="service-name,channel-binding", service-name and
// channel-binding (the MD5 of the bindings, 32 zeros without), both
// hashed into its cnonce, which the response covers. The server refuses
// another channel's bindings, or a cnonce that does not carry them, with
// SEC_E_BAD_BINDINGS, and accepts a response without them (a client that
// does not bind). A client sends no bindings to a server that did not ask.
// Transport passes the SPN HTTP/host and, over TLS, tls-server-end-point
// (EndpointBindings of the server's certificate); Middleware.ChannelBindings
// gives the server's side.
//
// Beyond Windows: a DATA buffer may carry the entity body itself, which the
// package hashes with the exchange's algorithm when the H(entity) buffer is
// empty (a caller cannot know that algorithm before the challenge is
// chosen). As on Windows, AcceptSecurityContext answers a later request on
// an established context with SEC_I_COMPLETE_NEEDED, to be followed by
// CompleteAuthToken; the request is verified in AcceptSecurityContext
// already, so a caller that skips CompleteAuthToken accepts nothing
// unchecked. The client's calls never need it and never return it;
// CompleteAuthToken is accepted there too, so loops written for Windows run
// unchanged. A server context's MakeSignature in HTTP mode
// ([PKG_PARAMS = H(response body) or DATA = the body, PADDING out]) returns
// the Authentication-Info of the request it accepted, with an auth-int
// rspauth over the response body, known only after the handler ran: the
// Middleware sends it as a trailer (RFC 7615 section 3). The client
// checks each Authentication-Info against the request it answers, found by
// nc among at most 64 still unanswered, so requests on one context may
// overlap.
//
// # SASL DIGEST-MD5 (neither flag)
//
// The target name is the SPN service/host, the digest-uri. The first
// InitializeSecurityContext may have no input (SEC_I_CONTINUE_NEEDED, no
// token: DIGEST-MD5 has no initial response); then the digest-challenge
// gets the digest-response, and the rspauth gets SEC_E_OK.
// ISC_REQ_INTEGRITY (or REPLAY_DETECT, SEQUENCE_DETECT) asks for auth-int,
// ISC_REQ_CONFIDENTIALITY for auth-conf with the strongest cipher both sides
// allow (3des, des, rc4, rc4-56, rc4-40); the ASC_REQ flags of the same
// names make a server offer them. The security layer: MakeSignature and
// VerifySignature over [DATA..., TOKEN] (the 16-byte trailer), and
// EncryptMessage/DecryptMessage over [DATA, PADDING] (DATA followed by
// PADDING is the token; SECPKG_ATTR_SIZES gives the trailer room) or, to
// decrypt a token received whole, [STREAM, DATA]. A replayed, reordered or
// missing message is SEC_E_OUT_OF_SEQUENCE, a forged one
// SEC_E_MESSAGE_ALTERED.
//
// QueryContextAttributes answers SECPKG_ATTR_SIZES, SECPKG_ATTR_NAMES (the
// authenticated user, on the server), and through package sspi
// SECPKG_ATTR_FLAGS, PACKAGE_INFO and NEGOTIATION_INFO.
//
// The protocol itself lives in internal/digest (wire, crypto, engine),
// which does no I/O; this package maps it onto SecBuffers and carries the
// faces.
package digest
