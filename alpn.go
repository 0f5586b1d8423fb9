package schannel

import (
	"encoding/binary"

	"github.com/gosspi/schannel/sspi"
)

// secApplicationProtocolNegotiationExtALPN is SecApplicationProtocolNegotiationExt_ALPN.
const secApplicationProtocolNegotiationExtALPN = 2

// EncodeApplicationProtocols builds the contents of a
// SECBUFFER_APPLICATION_PROTOCOLS buffer (SEC_APPLICATION_PROTOCOLS with one
// ALPN list), as C callers of Schannel build by hand. A protocol name must be
// 1 to 255 bytes (RFC 7301 section 3.1): anything else is SEC_E_INVALID_TOKEN,
// not a length byte that wraps.
func EncodeApplicationProtocols(protocols []string) ([]byte, error) {
	var list []byte
	for _, p := range protocols {
		if len(p) == 0 || len(p) > 255 {
			return nil, sspi.Errorf(SEC_E_INVALID_TOKEN, "schannel: ALPN protocol name of %d bytes: it must be 1 to 255 bytes (RFC 7301 section 3.1)", len(p))
		}
		list = append(list, byte(len(p)))
		list = append(list, p...)
	}
	if len(list) > 0xffff-2 {
		return nil, sspi.Errorf(SEC_E_INVALID_TOKEN, "schannel: the ALPN list of %d bytes does not fit an extension", len(list))
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(4+2+len(list)))
	out = binary.LittleEndian.AppendUint32(out, secApplicationProtocolNegotiationExtALPN)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(list)))
	return append(out, list...), nil
}

// applicationProtocols reads the ALPN list of a SECBUFFER_APPLICATION_PROTOCOLS
// input buffer; nil when there is none.
func applicationProtocols(input []SecBuffer) ([]string, error) {
	i := indexOfKind(input, SECBUFFER_APPLICATION_PROTOCOLS)
	if i < 0 {
		return nil, nil
	}
	malformed := sspi.Errorf(SEC_E_INVALID_TOKEN, "schannel: malformed SECBUFFER_APPLICATION_PROTOCOLS")
	b := input[i].Buffer
	if len(b) < 4 || int(binary.LittleEndian.Uint32(b)) != len(b)-4 {
		return nil, malformed
	}
	b = b[4:]
	protocols := []string{}
	for len(b) > 0 {
		if len(b) < 6 {
			return nil, malformed
		}
		ext, size := binary.LittleEndian.Uint32(b), int(binary.LittleEndian.Uint16(b[4:]))
		if len(b) < 6+size {
			return nil, malformed
		}
		list := b[6 : 6+size]
		b = b[6+size:]
		if ext != secApplicationProtocolNegotiationExtALPN {
			continue
		}
		for len(list) > 0 {
			n := int(list[0])
			if n == 0 || len(list) < 1+n {
				return nil, malformed
			}
			protocols = append(protocols, string(list[1:1+n]))
			list = list[1+n:]
		}
	}
	return protocols, nil
}
