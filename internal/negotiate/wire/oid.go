package wire

import "encoding/asn1"

// Mechanism OIDs a Negotiate package meets (RFC 4178 section 4.1 calls them
// MechType).
var (
	// OIDSPNEGO is 1.3.6.1.5.5.2, the SPNEGO pseudo-mechanism that frames
	// the initial token (RFC 4178 section 3.1).
	OIDSPNEGO = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
	// OIDKerberos is 1.2.840.113554.1.2.2, Kerberos V5 (RFC 1964 section 1).
	OIDKerberos = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	// OIDMSKerberos is 1.2.840.48018.1.2.2, the OID Windows 2000 sent for
	// Kerberos by mistake and Windows still offers first (MS-KILE section
	// 3.1.5.2); acceptors treat it as OIDKerberos.
	OIDMSKerberos = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}
	// OIDNTLM is 1.3.6.1.4.1.311.2.2.10, NTLMSSP (MS-NLMP).
	OIDNTLM = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}
	// OIDNegoEx is 1.3.6.1.4.1.311.2.2.30, NEGOEX (MS-NEGOEX), which
	// Windows offers too.
	OIDNegoEx = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 30}
)

// IsKerberos reports whether oid names Kerberos V5, in the standard or
// the Microsoft spelling.
func IsKerberos(oid asn1.ObjectIdentifier) bool {
	return oid.Equal(OIDKerberos) || oid.Equal(OIDMSKerberos)
}
