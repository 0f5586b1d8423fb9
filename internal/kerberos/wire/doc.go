// Package wire is the Kerberos 5 wire format and nothing else: the DER
// codecs of the RFC 4120 messages a client and an acceptor exchange, the
// RFC 2743 section 3.1 GSS-API token framing with the Kerberos mechanism
// OID, and the RFC 4121 MIC and Wrap token headers.
//
// Every type has a Marshal/Unmarshal pair built on cryptobyte, the
// ASN.1 of RFC 4120 section 5 stated once per type as MIT's
// asn1_k_encode.c states it. Unmarshal accepts DER only: wrong tags,
// indefinite or over-long lengths, non-minimal integers, non-UTC or
// fractional KerberosTime and trailing bytes are all refused with *Error.
// Sizes are capped (MaxMessageSize, and MaxSequence elements per SEQUENCE
// OF) so a hostile peer cannot make a parser allocate without bound.
// Decoded values never alias the input buffer.
//
// The package performs no cryptography and keeps no state: EncryptedData
// stays opaque bytes and checksums are not verified here. It does not know
// which message may follow which; that belongs to the engine. KerberosFlags
// are always written with 32 bits, as MIT and Windows write them; longer
// bit strings are read and their bits past 31 ignored. FAST, PKINIT and the
// PAC are not decoded here (their PA-DATA and AD values stay bytes).
package wire
