package crypto

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// Microsoft's channel binding for HTTP Digest, which the Windows Digest SSP
// implements (MS-DPSP section 2.1 points to draft-santesson-digestbind-01,
// "Channel binding for HTTP Digest Authentication"; learn.microsoft.com's
// "Input Buffers for the Digest Challenge Response" lists the
// SECBUFFER_TARGET_HOST and SECBUFFER_CHANNEL_BINDINGS buffers it takes):
//
//   - a server able to check bindings marks its nonce with the prefix
//     "+Upgraded+";
//   - the client then sends hashed-dirs="service-name,channel-binding",
//     service-name (the SPN it aimed at, "HTTP/host") and channel-binding
//     (32 hex digits: MD5 of its channel bindings, or 32 zeros without
//     any), and makes its cnonce "+Upgraded+v1" followed by the hex
//     MD5(service-name ":" channel-binding) and random hex, so that the
//     response digest, which covers the cnonce, covers both;
//   - the server checks the cnonce against the two directives and the
//     channel-binding against the bindings of its own end of the channel.
const (
	// UpgradedPrefix marks the nonce of a server that checks bindings.
	UpgradedPrefix = "+Upgraded+"
	// UpgradedV1 starts a bound client's cnonce.
	UpgradedV1 = UpgradedPrefix + "v1"
	// HashedDirs is the one hashed-dirs value defined.
	HashedDirs = "service-name,channel-binding"
	// ZeroBinding is the channel-binding of a client that has no channel
	// bindings (no TLS underneath).
	ZeroBinding = "00000000000000000000000000000000"
)

// Upgraded reports whether a server nonce asks for bound responses.
func Upgraded(nonce string) bool {
	return len(nonce) >= len(UpgradedPrefix) && strings.EqualFold(nonce[:len(UpgradedPrefix)], UpgradedPrefix)
}

// BindingHash is the channel-binding directive for a SEC_CHANNEL_BINDINGS
// structure split into its fields: MD5 over the initiator address type and
// length (uint32 little-endian) and bytes, the same for the acceptor, then
// the application data length and bytes. It is the hash RFC 4121 section
// 4.1.1.2 gives Kerberos, over the same fields.
func BindingHash(initiatorType uint32, initiator []byte, acceptorType uint32, acceptor, application []byte) string {
	h := md5.New()
	var n [4]byte
	put := func(v uint32) {
		binary.LittleEndian.PutUint32(n[:], v)
		h.Write(n[:])
	}
	put(initiatorType)
	put(uint32(len(initiator)))
	h.Write(initiator)
	put(acceptorType)
	put(uint32(len(acceptor)))
	h.Write(acceptor)
	put(uint32(len(application)))
	h.Write(application)
	return hex.EncodeToString(h.Sum(nil))
}

// bindingTag is the hex MD5(service-name ":" channel-binding) a bound
// cnonce carries after UpgradedV1.
func bindingTag(serviceName, channelBinding string) string {
	sum := md5.Sum([]byte(serviceName + ":" + strings.ToLower(channelBinding)))
	return hex.EncodeToString(sum[:])
}

// UpgradedCnonce is the cnonce of a bound response: UpgradedV1, the tag
// of the two directives, then random hex.
func UpgradedCnonce(serviceName, channelBinding, random string) string {
	return UpgradedV1 + bindingTag(serviceName, channelBinding) + random
}

// CheckUpgradedCnonce reports whether cnonce carries the tag of
// serviceName and channelBinding, comparing in constant time.
func CheckUpgradedCnonce(cnonce, serviceName, channelBinding string) bool {
	const tagLen = 2 * md5.Size
	if len(cnonce) < len(UpgradedV1)+tagLen || !strings.EqualFold(cnonce[:len(UpgradedV1)], UpgradedV1) {
		return false
	}
	tag := strings.ToLower(cnonce[len(UpgradedV1) : len(UpgradedV1)+tagLen])
	return subtle.ConstantTimeCompare([]byte(tag), []byte(bindingTag(serviceName, channelBinding))) == 1
}
