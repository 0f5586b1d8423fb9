// Package engine is the Kerberos protocol as state machines without I/O,
// in the manner of internal/tls/engine: a step consumes the bytes that
// arrived and returns what to send next, and to whom ("this AS-REQ to a
// KDC of realm R"), or the result. The KDC transport (UDP/TCP, failover,
// timeouts) and the SSPI calls sit above it.
//
// This first part holds the AS exchange (RFC 4120 section 3.1) with
// PA-ENC-TIMESTAMP pre-authentication and the KDC_ERR_PREAUTH_REQUIRED
// round trip, one clock-skew retry as MIT does it, the TGS exchange
// (section 3.3) with a body checksum and a reply subkey, the AP exchange
// as the GSS-API context tokens of RFC 4121 section 4.1 (initiator with
// subkey, sequence number, flags and channel bindings in the 0x8003
// checksum, and delegation as a KRB-CRED in it; acceptor with keytab
// lookup, clock-skew and expiry checks, a bounded replay cache, the
// delegated credentials decoded, the PAC's server signature and client
// info checked, and the mutual-authentication AP-REP),
// the RFC 4121 section 4.2 Wrap and MIC tokens with replay and sequence
// detection (MessageLayer), and the mapping of KRB-ERROR codes to SSPI
// statuses as Windows reports them.
//
// It does not yet do referrals (a referral TGT is reported as
// SEC_E_KDC_UNABLE_TO_REFER), FAST, PKINIT, S4U, user-to-user, DCE
// style, the PAC's logon info (NDR), or RC4's RFC 1964-format
// per-message tokens; those
// build on the same wire and crypto packages. Every failure is an *sspi.Error whose status says what a
// Windows caller would see and whose cause says why.
package engine
