package wire

// Protocol versions as they appear on the wire.
const (
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// Named groups (RFC 8446 section 4.2.7, draft-ietf-tls-ecdhe-mlkem for the
// hybrid).
const (
	GroupP256           uint16 = 23
	GroupP384           uint16 = 24
	GroupP521           uint16 = 25
	GroupX25519         uint16 = 29
	GroupX25519MLKEM768 uint16 = 0x11EC
)

// Signature schemes (RFC 8446 section 4.2.3). The SHA-1 schemes exist
// only so TLS 1.2 peers that insist on them can be recognised and refused
// by name.
const (
	PKCS1WithSHA256        uint16 = 0x0401
	PKCS1WithSHA384        uint16 = 0x0501
	PKCS1WithSHA512        uint16 = 0x0601
	ECDSAWithP256AndSHA256 uint16 = 0x0403
	ECDSAWithP384AndSHA384 uint16 = 0x0503
	ECDSAWithP521AndSHA512 uint16 = 0x0603
	PSSWithSHA256          uint16 = 0x0804
	PSSWithSHA384          uint16 = 0x0805
	PSSWithSHA512          uint16 = 0x0806
	Ed25519                uint16 = 0x0807
	PKCS1WithSHA1          uint16 = 0x0201
	ECDSAWithSHA1          uint16 = 0x0203
)

// PSK key exchange modes (RFC 8446 section 4.2.9).
const (
	PSKModeKE    uint8 = 0
	PSKModeDHEKE uint8 = 1
)

// HelloRetryRequestRandom is the fixed ServerHello.random that marks a
// HelloRetryRequest (RFC 8446 section 4.1.3): SHA-256 of
// "HelloRetryRequest". Callers must not modify it.
var HelloRetryRequestRandom = []byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11,
	0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// Downgrade sentinels a TLS 1.3 server writes into the last 8 bytes of
// ServerHello.random when it negotiates an older version, so a TLS 1.3
// client can detect an attacker stripping TLS 1.3 (RFC 8446 section 4.1.3).
// Callers must not modify them.
var (
	// DowngradeTLS12 marks a TLS 1.2 ServerHello.
	DowngradeTLS12 = []byte("DOWNGRD\x01")
	// DowngradeTLS11 marks a TLS 1.1 or older ServerHello.
	DowngradeTLS11 = []byte("DOWNGRD\x00")
)
