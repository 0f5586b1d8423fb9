package engine

import (
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// ClientKeys returns the client's long-term key of an enctype (from a
// keytab: kinit -k), or false when there is none.
type ClientKeys func(enctype int32) ([]byte, bool)

// ReceiveWithKeys is Receive for a client whose long-term keys come from
// a keytab rather than a password: the key for PA-ENC-TIMESTAMP and for the
// AS-REP is looked up by enctype instead of derived with string-to-key.
// Start the exchange with an empty ASConfig.Password and pass every reply
// here.
//
// (This file was added by the kerberos package's author without touching
// as.go, which another branch was still changing; it belongs in ASConfig
// as a Keys field once both are merged.)
func (x *ASExchange) ReceiveWithKeys(reply []byte, keys ClientKeys) (ASStep, error) {
	if len(reply) > 0 && reply[0] == 0x7e && x.state == asSentPlain { // KRB-ERROR
		var kerr wire.KRBError
		if err := kerr.Unmarshal(reply); err == nil && kerr.ErrorCode == wire.KDCErrPreauthRequired {
			md, err := kerr.MethodData()
			if err != nil {
				return ASStep{}, sspi.Errorf(SEC_E_UNSUPPORTED_PREAUTH, "kerberos: PREAUTH_REQUIRED without METHOD-DATA: %w", err)
			}
			if _, ok := md.Find(wire.PAEncTimestamp); !ok {
				return ASStep{}, sspi.Errorf(SEC_E_UNSUPPORTED_PREAUTH, "kerberos: the KDC does not offer PA-ENC-TIMESTAMP")
			}
			if err := x.keyFromKeytab(md, keys); err != nil {
				return ASStep{}, err
			}
			return x.sendPreauth()
		}
	}
	if len(reply) > 0 && reply[0] == 0x6b { // [APPLICATION 11]: AS-REP
		var rep wire.KDCRep
		if err := rep.Unmarshal(reply); err == nil {
			if k, ok := keys(rep.EncPart.EType); ok {
				x.key, x.keyType = k, rep.EncPart.EType
			}
		}
	}
	return x.Receive(reply)
}

// keyFromKeytab picks the KDC's most preferred PA-ETYPE-INFO2 enctype that
// we offered and hold a key for; without ETYPE-INFO2, our first such one.
func (x *ASExchange) keyFromKeytab(md wire.MethodData, keys ClientKeys) error {
	var candidates []int32
	if p, ok := md.Find(wire.PAETypeInfo2); ok {
		var info wire.ETypeInfo2
		if err := info.Unmarshal(p.Value); err != nil {
			return sspi.Errorf(sspi.SEC_E_INVALID_TOKEN, "kerberos: malformed PA-ETYPE-INFO2: %w", err)
		}
		for _, e := range info {
			candidates = append(candidates, e.EType)
		}
	} else {
		candidates = x.enctypes
	}
	for _, id := range candidates {
		if !x.offered(id) {
			continue
		}
		if k, ok := keys(id); ok {
			x.key, x.keyType = k, id
			return nil
		}
	}
	return sspi.Errorf(SEC_E_KDC_UNKNOWN_ETYPE, "kerberos: the keytab has no key of an enctype the KDC offers (%v)", candidates)
}
