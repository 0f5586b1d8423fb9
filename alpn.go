package schannel

import (
	"encoding/binary"

	"github.com/gosspi/schannel/sspi"
)

// secApplicationProtocolNegotiationExtALPN is SecApplicationProtocolNegotiationExt_ALPN.
const secApplicationProtocolNegotiationExtALPN = 2

// EncodeApplicationProtocols builds the contents of a
// SECBUFFER_APPLICATION_PROTOCOLS buffer (SEC_APPLICATION_PROTOCOLS with one
// ALPN list), as C callers of Schannel build by hand.
func EncodeApplicationProtocols(protocols []string) []byte {
	var list []byte
	for _, p := range protocols {
		list = append(list, byte(len(p)))
		list = append(list, p...)
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(4+2+len(list)))
	out = binary.LittleEndian.AppendUint32(out, secApplicationProtocolNegotiationExtALPN)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(list)))
	return append(out, list...)
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
