// Package engine is the Kerberos protocol as state machines without I/O,
// in the manner of internal/tls/engine: a step consumes the bytes that
// arrived and returns what to send next, and to whom ("this AS-REQ to a
// KDC of realm R"), or the result. The KDC transport (UDP/TCP, failover,
// timeouts) and the SSPI calls sit above it.
//
// It holds:
//   - the AS exchange (RFC 4120 section 3.1) with PA-ENC-TIMESTAMP and the
//     KDC_ERR_PREAUTH_REQUIRED round trip, and one clock-skew retry as MIT
//     does it; name canonicalisation (RFC 6806 sections 5 and 7:
//     enterprise names, the KDC's canonical client name and realm, client
//     referrals) and the check of the KDC's checksum of the request
//     (PA-REQ-ENC-PA-REP, section 11);
//   - the TGS exchange (section 3.3) with a body checksum and a reply
//     subkey, and ServiceExchange above it, which crosses realms: a TGT
//     for the service's realm when it is known, else the client realm's
//     KDC with canonicalize and each referral it gives (RFC 6806 section
//     8), bounded (DefaultMaxReferrals) and loop-checked, with MIT's
//     fallback realm;
//   - the AP exchange as the GSS-API context tokens of RFC 4121 section
//     4.1: the initiator puts flags, channel bindings and, for delegation,
//     a KRB-CRED in the 0x8003 checksum, with a subkey and a sequence
//     number; the acceptor looks the key up in a keytab, checks clock
//     skew, expiry, bindings and a bounded replay cache, decodes delegated
//     credentials, verifies the PAC's server signature and client info
//     (the pac package decodes its logon info and other buffers),
//     and answers mutual authentication with an AP-REP;
//   - the DCE-style three-leg exchange of MS-KILE section 3.4.5.1 (bare
//     AP-REQ and AP-REPs, the initiator's third-leg AP-REP checked as MIT
//     checks it);
//   - the RFC 4121 section 4.2 Wrap and MIC tokens, and for RC4-HMAC
//     contexts the RFC 1964 tokens of RFC 4757 section 7, with replay and
//     sequence detection (MessageLayer);
//   - the mapping of KRB-ERROR codes to SSPI statuses as Windows reports
//     them.
//
// It does not do capaths (a cross-realm path is whatever the KDCs give),
// FAST (so a canonicalised name is protected by PA-REQ-ENC-PA-REP only
// when the KDC answers it), PKINIT, S4U or user-to-user; those build on
// the same wire and crypto packages. Every failure is an *sspi.Error whose
// status says what a
// Windows caller would see and whose cause says why.
package engine
