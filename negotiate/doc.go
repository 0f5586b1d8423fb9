// Package negotiate is the Negotiate security package behind the SSPI
// calls of package sspi: SPNEGO (RFC 4178) choosing a mechanism between
// client and server, as Microsoft's "Negotiate" package does, on every
// operating system, and interoperable with MIT's and Heimdal's SPNEGO.
//
// Importing the package registers "Negotiate" with the SecPkgInfo Windows
// 10 reports (capabilities 0x00883bb3, version 1, RPC id 9, cbMaxToken
// 48256, "Microsoft Package Negotiator"), and registers Kerberos (package
// kerberos), the one mechanism behind it. NTLM is not implemented; the
// mechanism list is ready for it.
//
// # Credentials
//
// AcquireCredentialsHandle (or sspi.AcquireCredentialsHandle with
// "Negotiate") takes a *Config holding each mechanism's configuration (nil
// for MIT's defaults: the ccache of KRB5CCNAME outbound, the keytab of
// KRB5_KTNAME inbound) or an *sspi.AuthIdentity. As on Windows, the handle
// is acquired even when Kerberos has no credentials; the first context
// then fails with SEC_E_NO_CREDENTIALS and says why.
//
// # Contexts
//
// InitializeSecurityContext takes the SPN Kerberos takes
// (service/host[@REALM]). Its first call returns SEC_I_CONTINUE_NEEDED with
// a NegTokenInit in the RFC 2743 framing that offers Kerberos and carries
// the optimistic Kerberos token; the second takes the acceptor's
// NegTokenResp (its AP-REP, when ISC_REQ_MUTUAL_AUTH asked for one) and
// returns SEC_E_OK. A target Kerberos cannot reach fails with
// SEC_E_TARGET_UNKNOWN, missing credentials with SEC_E_NO_CREDENTIALS.
//
// AcceptSecurityContext takes a NegTokenInit (or NegTokenInit2), chooses
// the first Kerberos OID in the initiator's list (1.2.840.113554.1.2.2 or
// Microsoft's 1.2.840.48018.1.2.2) and answers with a NegTokenResp; a
// bare Kerberos AP-REQ is accepted too, as Windows' Negotiate does
// (SECPKG_NEGOTIATION_DIRECT). The mechListMIC of RFC 4178 section 5, the
// chosen mechanism's MIC (MakeSignature) over the DER of the initiator's
// mechanism list, is exchanged when the negotiation requires it (Kerberos
// was not the initiator's first choice, or a peer sent or asked for one)
// and always checked when it arrives: a mismatch is SEC_E_MESSAGE_ALTERED.
// Malformed SPNEGO is SEC_E_INVALID_TOKEN; a peer's reject is
// SEC_E_LOGON_DENIED. SECBUFFER_CHANNEL_BINDINGS input buffers go to
// Kerberos.
//
// # After the handshake
//
// SECPKG_ATTR_NEGOTIATION_INFO reports the chosen package ("Kerberos")
// with SECPKG_NEGOTIATION_COMPLETE; SECPKG_ATTR_PACKAGE_INFO reports it too
// once established. EncryptMessage, DecryptMessage, MakeSignature,
// VerifySignature and the other attributes go to the Kerberos context
// (see package kerberos for their buffers). DelegatedCredentials gives
// an acceptor what a client delegated.
package negotiate
