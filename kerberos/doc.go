// Package kerberos is the Kerberos security package behind the SSPI calls
// of package sspi: a pure-Go Kerberos 5 client and acceptor (RFC 4120,
// the GSS-API mechanism of RFC 4121) that a Windows programmer drives as
// Microsoft's "Kerberos" package, on every operating system, and that
// shares its files with MIT Kerberos.
//
// Importing the package registers "Kerberos" with the SecPkgInfo Windows
// 10 reports (capabilities 0x028f3bbf, version 1, RPC id 16, cbMaxToken
// 48000, "Microsoft Kerberos V1.0").
//
// # Credentials
//
// AcquireCredentialsHandle (or sspi.AcquireCredentialsHandle with
// "Kerberos") takes a *Config, the counterpart of pAuthData:
//
//   - outbound, from MIT's credential cache (KRB5CCNAME, then
//     default_ccache_name), so that kinit gives single sign-on; from a
//     user and password (Config.Identity); or from a client keytab
//     (Config.ClientKeytab, as kinit -k);
//   - inbound, from a keytab (KRB5_KTNAME, then default_keytab_name), for
//     any principal in it or, with pszPrincipal, only that one.
//
// krb5.conf is read as MIT reads it (KRB5_CONFIG). KDCs are reached over
// UDP and TCP (udp_preference_limit, the KRB_ERR_RESPONSE_TOO_BIG fallback
// to TCP), each with a timeout (Config.KDCTimeout), failing over across the
// realm's kdc entries in order (or, with dns_lookup_kdc and no entries,
// the _kerberos._udp and _kerberos._tcp SRV records); Config.Context
// cancels them. This is the
// one place the package does I/O, as Windows' InitializeSecurityContext
// contacts the KDC: the protocol itself is the sans-I/O engine in
// internal/kerberos.
//
// # Contexts
//
// InitializeSecurityContext takes an SPN, service/host[@REALM] (the GSS
// form service@host is refused with SEC_E_TARGET_UNKNOWN, as by SSPI).
// The service may be in another realm than the client: its realm comes
// from the SPN, else from krb5.conf's [domain_realm], else from the client
// realm's KDC as a referral (RFC 6806), else from MIT's fallback (the
// host's domain in upper case); cross-realm TGTs are kept for the next
// service of their realm. A referral loop is SEC_E_KDC_UNABLE_TO_REFER,
// more than ten hops SEC_E_MAX_REFERRALS_EXCEEDED. Logons ask the KDC to
// canonicalise the client's name (a UPN with a Domain goes as an
// enterprise name) and check its checksum of the request.
// Without ISC_REQ_MUTUAL_AUTH it finishes in one call (SEC_E_OK and the
// AP-REQ); with it, the first call returns SEC_I_CONTINUE_NEEDED and the
// second takes the acceptor's AP-REP. ISC_REQ_DELEGATE, together with
// MUTUAL_AUTH, forwards a TGT. A SECBUFFER_CHANNEL_BINDINGS input buffer (a
// SEC_CHANNEL_BINDINGS structure) on either side is hashed into, or
// checked against, the authenticator (SEC_E_BAD_BINDINGS on a mismatch).
// ISC_REQ_USE_DCE_STYLE gives the three legs of MS-KILE section 3.4.5.1:
// the first call returns the bare AP-REQ (no RFC 2743 framing) with
// SEC_I_CONTINUE_NEEDED, the second takes the acceptor's bare AP-REP and
// returns SEC_E_OK with a third token, the initiator's AP-REP, to send.
// ISC_REQ_USE_SESSION_KEY (user-to-user) returns SEC_E_UNSUPPORTED_FUNCTION.
//
// AcceptSecurityContext verifies the AP-REQ (keytab key, clock skew,
// replay cache, bindings) and returns SEC_E_OK, with the AP-REP in the
// output TOKEN when the client asked for mutual authentication. A
// DCE-style AP-REQ (with or without ASC_REQ_USE_DCE_STYLE, as MIT's
// acceptor follows the initiator) gets SEC_I_CONTINUE_NEEDED with the bare
// AP-REP, and SEC_E_OK once the initiator's AP-REP checks out.
// DelegatedCredentials turns what a client delegated into outbound
// credentials; ContextPAC gives the ticket's PAC (client, UPN/DNS and logon
// information), its server signature checked.
//
// # Messages
//
// EncryptMessage takes [TOKEN (cbSecurityTrailer), DATA, PADDING]; DATA is
// encrypted in place, or with SECQOP_WRAP_NO_ENCRYPT only signed.
// DecryptMessage takes [TOKEN, DATA] as EncryptMessage left them, or
// [STREAM, DATA] for a token that arrives whole, and reports
// SECQOP_WRAP_NO_ENCRYPT for an integrity-only token. MakeSignature and
// VerifySignature are MIC tokens over the DATA buffers, with the signature
// in the TOKEN buffer (cbMaxSignature). The tokens are RFC 4121's, rotated
// (RRC) as Windows sends them; RC4-HMAC contexts have no per-message calls.
//
// QueryContextAttributes answers SECPKG_ATTR_SIZES (cbMaxToken 48000;
// the others from the context's enctype: 28/60 for aes-sha1 and 40/72 for
// aes-sha384, MIT's token overheads), NAMES, NATIVE_NAMES, LIFESPAN,
// SESSION_KEY, FLAGS, PACKAGE_INFO and NEGOTIATION_INFO.
//
// InitCredentialCache, ListCredentialCache and DestroyCredentialCache are
// kinit, klist and kdestroy on MIT's cache; cmd/schannel wraps them.
package kerberos
