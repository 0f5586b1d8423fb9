package crypto

// Key usage numbers, RFC 4120 section 7.5.1 and RFC 4121 section 2. A key
// usage separates the keys derived for different purposes from one base
// key, so a ciphertext made for one message cannot be replayed as another.
const (
	UsageASReqPAEncTimestamp   uint32 = 1  // AS-REQ PA-ENC-TIMESTAMP, client key
	UsageKDCRepTicket          uint32 = 2  // Ticket enc-part, service key
	UsageASRepEncPart          uint32 = 3  // AS-REP enc-part, client key
	UsageTGSReqAuthDataSession uint32 = 4  // TGS-REQ enc-authorization-data, session key
	UsageTGSReqAuthDataSubkey  uint32 = 5  // TGS-REQ enc-authorization-data, subkey
	UsageTGSReqPAAuthCksum     uint32 = 6  // TGS-REQ PA-TGS-REQ authenticator checksum
	UsageTGSReqPAAuthenticator uint32 = 7  // TGS-REQ PA-TGS-REQ authenticator
	UsageTGSRepEncPartSession  uint32 = 8  // TGS-REP enc-part, session key
	UsageTGSRepEncPartSubkey   uint32 = 9  // TGS-REP enc-part, authenticator subkey
	UsageAPReqAuthCksum        uint32 = 10 // AP-REQ authenticator checksum
	UsageAPReqAuthenticator    uint32 = 11 // AP-REQ authenticator
	UsageAPRepEncPart          uint32 = 12 // AP-REP enc-part
	UsageKrbPrivEncPart        uint32 = 13 // KRB-PRIV enc-part
	UsageKrbCredEncPart        uint32 = 14 // KRB-CRED enc-part
	UsageKrbSafeCksum          uint32 = 15 // KRB-SAFE checksum
	UsageADKDCIssuedCksum      uint32 = 19 // AD-KDC-ISSUED checksum
	UsageAcceptorSeal          uint32 = 22 // RFC 4121 Wrap token from the acceptor
	UsageAcceptorSign          uint32 = 23 // RFC 4121 MIC token from the acceptor
	UsageInitiatorSeal         uint32 = 24 // RFC 4121 Wrap token from the initiator
	UsageInitiatorSign         uint32 = 25 // RFC 4121 MIC token from the initiator
	UsageASReq                 uint32 = 56 // PA-REQ-ENC-PA-REP checksum of the AS-REQ, reply key (RFC 6806 section 11)
	usageDerivationEncryption  byte   = 0xAA
	usageDerivationIntegrity   byte   = 0x55
	usageDerivationChecksum    byte   = 0x99
)

// usageConstant is the 5-octet derivation constant of RFC 3961 section 5.3:
// the usage as a 32-bit big-endian number followed by one octet that says
// which of Ke, Ki or Kc is wanted.
func usageConstant(usage uint32, kind byte) []byte {
	return []byte{byte(usage >> 24), byte(usage >> 16), byte(usage >> 8), byte(usage), kind}
}
