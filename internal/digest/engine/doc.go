// Package engine is the Digest security package's state machines, in the
// shape SSPI gives them: a client Step is InitializeSecurityContext, a
// server Step is AcceptSecurityContext, NextRequest is what MakeSignature
// returns for a later HTTP request, and a finished SASL context carries the
// RFC 2831 security layer (MakeSignature/VerifySignature for auth-int,
// EncryptMessage/DecryptMessage for auth-conf).
//
// Two modes: HTTP (ISC_REQ_HTTP; RFC 7616 with MD5, SHA-256 and
// SHA-512-256, their -sess forms, qop auth and auth-int, userhash,
// username*, several challenges with the strongest chosen) and SASL
// DIGEST-MD5 (RFC 2831, with authzid and the ciphers rc4, rc4-56, rc4-40,
// des and 3des).
//
// Every result is an internal/sspi status with its Windows number:
//   - client: SEC_I_CONTINUE_NEEDED with the Authorization (HTTP) or
//     digest-response (SASL); SEC_E_OK once Authentication-Info or rspauth
//     checked out (each against the request it answers, found by nc);
//     SEC_E_MUTUAL_AUTH_FAILED for a wrong rspauth;
//     SEC_E_LOGON_DENIED when the server refuses a fresh response, or keeps
//     challenging past ClientConfig.MaxRounds; SEC_E_ALGORITHM_MISMATCH
//     and SEC_E_QOP_NOT_SUPPORTED when nothing offered is usable;
//     SEC_E_INVALID_TOKEN for anything malformed.
//   - server: SEC_I_CONTINUE_NEEDED with a challenge (for an empty token,
//     and with stale=true for an expired nonce and a correct response);
//     SEC_E_OK with Authentication-Info (HTTP) or rspauth (SASL);
//     SEC_E_LOGON_DENIED for a wrong user, realm or response;
//     SEC_E_OUT_OF_SEQUENCE for a reused nc; SEC_E_QOP_NOT_SUPPORTED for a
//     qop or cipher not offered; SEC_E_BAD_BINDINGS for a response bound
//     to another channel (crypto.UpgradedPrefix); SEC_E_INVALID_TOKEN for
//     malformed input or a wrong uri or opaque. In HTTP mode a failure still carries a fresh
//     challenge to send with the 401, and the context lives on; a SASL
//     context that failed is over.
//
// The engine never returns SEC_I_COMPLETE_NEEDED: the Authorization is
// complete when Step returns it. Callers written for Windows treat
// COMPLETE_NEEDED and CONTINUE_NEEDED alike after CompleteAuthToken, so
// they need no change.
//
// Server nonces are stateless, an HMAC over a timestamp and random bytes.
// Replays are refused with a bounded table: per nonce in use, the highest
// nc and a 64-value window below it; when the table is full the oldest
// nonce leaves and every nonce issued before it is answered with
// stale=true, so memory stays bounded without ever accepting a replay.
//
// No I/O, no goroutines, no clock but the injected one. The server's
// replay table is shared by all its contexts and guarded by a mutex; a
// single context is not safe for concurrent Steps. The package knows
// nothing of SecBuffers, credentials handles or HTTP: that is the public
// digest package's part.
package engine
