// Package crypto is the Kerberos 5 encryption and checksum layer: the
// enctype table of RFC 3961 profiles (AES with HMAC-SHA1 from RFC 3962, AES
// with HMAC-SHA2 from RFC 8009, and RC4-HMAC from RFC 4757), their
// string-to-key functions, key derivation, authenticated encryption with a
// confounder, keyed checksums and PRFs, and the key usage numbers of
// RFC 4120 section 7.5.1 and RFC 4121 section 2.
//
// The table follows MIT krb5's etypes.c: one row per enctype, each a struct
// of functions, found with Lookup. Callers never switch on enctype numbers.
// RC4-HMAC is in the table but marked Weak: Lookup finds it, and callers
// must refuse it unless the configuration allows it (MIT's allow_weak_crypto
// and allow_rc4), because its keys are unsalted MD4 hashes of the password.
//
// The package does not implement DES, 3DES or Camellia, GSS-API tokens
// (the engine builds those on Encrypt and Checksum), or the RFC 4757
// "exportable" 40-bit variant. It keeps no state, and every function is
// safe for concurrent use, but for UsageKey: the derived keys of one usage
// that a GSS context keeps for its messages, which encrypt and decrypt in
// place. Integrity failures are ErrIntegrity, which callers map to
// KRB_AP_ERR_BAD_INTEGRITY or GSS_S_BAD_SIG.
package crypto
