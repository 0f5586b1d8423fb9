package wire

import (
	"strconv"

	"golang.org/x/crypto/cryptobyte"
)

// Fixed sizes from RFC 8446 section 4.1.2 and 4.2.11.
const (
	randomLen       = 32
	maxSessionIDLen = 32
	minBinderLen    = 32
)

// KeyShare is one key_share entry: a named group and the public value
// offered (or chosen) for it.
type KeyShare struct {
	Group uint16
	Data  []byte
}

// PSKIdentity is one identity offered in the pre_shared_key extension.
type PSKIdentity struct {
	Label               []byte
	ObfuscatedTicketAge uint32
}

// ClientHello is the client's first flight (RFC 8446 section 4.1.2, RFC
// 5246 section 7.4.1.2). Fields for extensions hold their decoded values;
// an extension is written by Marshal only when its field is set (non-zero
// bool, non-empty slice or string).
type ClientHello struct {
	// Raw is the exact encoding last produced by Marshal or accepted by
	// Unmarshal; the transcript hash and binder computation use it.
	Raw                []byte
	Vers               uint16
	Random             []byte
	SessionID          []byte
	CipherSuites       []uint16
	CompressionMethods []uint8
	// ServerName is the SNI host name, without a trailing dot.
	ServerName              string
	SupportedVersions       []uint16
	SupportedGroups         []uint16
	SignatureAlgorithms     []uint16
	SignatureAlgorithmsCert []uint16
	// KeyShares is written whenever it is non-nil, because an empty
	// key_share is meaningful: the client asks the server to pick a group
	// through a HelloRetryRequest. Unmarshal returns a non-nil empty slice
	// for that case.
	KeyShares     []KeyShare
	ALPNProtocols []string
	Cookie        []byte
	PSKModes      []uint8
	// PSKIdentities and PSKBinders are the pre_shared_key extension, which
	// is always written last; both must have the same length.
	PSKIdentities        []PSKIdentity
	PSKBinders           [][]byte
	EarlyData            bool
	ECPointFormats       []uint8
	ExtendedMasterSecret bool
	// SecureRenegotiationSupported writes renegotiation_info carrying
	// SecureRenegotiation, which is empty on an initial handshake.
	SecureRenegotiationSupported bool
	SecureRenegotiation          []byte
	// TicketSupported writes session_ticket carrying SessionTicket, which
	// is empty when the client has no TLS 1.2 ticket to offer.
	TicketSupported bool
	SessionTicket   []byte
	StatusRequest   bool
	SCTRequested    bool
	// Extensions lists the extension types Unmarshal saw, in wire order,
	// including ones this package does not decode (GREASE, for example).
	// Marshal ignores it.
	Extensions []uint16
}

// Marshal encodes the message from its fields, handshake header included,
// stores the result in m.Raw and returns it. Any previous Raw is
// discarded, so a received ClientHello need not re-marshal to the bytes
// that arrived.
func (m *ClientHello) Marshal() ([]byte, error) {
	if len(m.Random) != randomLen {
		return nil, errMarshal("client_hello random must be 32 bytes")
	}
	if len(m.SessionID) > maxSessionIDLen {
		return nil, errMarshal("client_hello session ID longer than 32 bytes")
	}
	if m.ServerName != "" && !validHostName([]byte(m.ServerName)) {
		return nil, errMarshal("client_hello server name is not a host name without a trailing dot")
	}
	for _, p := range m.ALPNProtocols {
		if p == "" {
			return nil, errMarshal("client_hello has an empty ALPN protocol name")
		}
	}
	for _, ks := range m.KeyShares {
		if len(ks.Data) == 0 {
			return nil, errMarshal("client_hello key share has no data")
		}
	}
	if len(m.PSKIdentities) != len(m.PSKBinders) {
		return nil, errMarshal("client_hello needs exactly one binder per PSK identity")
	}
	for i, id := range m.PSKIdentities {
		if len(id.Label) == 0 || len(m.PSKBinders[i]) < minBinderLen {
			return nil, errMarshal("client_hello PSK identity empty or binder shorter than 32 bytes")
		}
	}
	exts, err := m.marshalExtensions()
	if err != nil {
		return nil, errMarshal("cannot marshal client_hello extensions: " + err.Error())
	}
	out, err := sealHandshake(TypeClientHello, func(b *cryptobyte.Builder) {
		b.AddUint16(m.Vers)
		b.AddBytes(m.Random)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(m.SessionID)
		})
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, suite := range m.CipherSuites {
				b.AddUint16(suite)
			}
		})
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(m.CompressionMethods)
		})
		// A TLS 1.2 hello without extensions may omit the block; keeping
		// it out makes an extension-less hello re-marshal unchanged.
		if len(exts) > 0 {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddBytes(exts)
			})
		}
	})
	if err != nil {
		return nil, err
	}
	m.Raw = out
	return out, nil
}

// marshalExtensions writes the extensions block contents. The order is
// fixed; pre_shared_key must come last (RFC 8446 section 4.2.11) because
// its binders sign everything before them.
func (m *ClientHello) marshalExtensions() ([]byte, error) {
	var b cryptobyte.Builder
	if m.ServerName != "" {
		addExtension(&b, ExtServerName, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint8(hostNameType)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddBytes([]byte(m.ServerName))
				})
			})
		})
	}
	if m.StatusRequest {
		addExtension(&b, ExtStatusRequest, func(b *cryptobyte.Builder) {
			b.AddUint8(statusTypeOCSP)
			b.AddUint16(0) // no responder IDs
			b.AddUint16(0) // no request extensions
		})
	}
	if len(m.SupportedGroups) > 0 {
		addUint16ListExtension(&b, ExtSupportedGroups, m.SupportedGroups)
	}
	if len(m.ECPointFormats) > 0 {
		addUint8ListExtension(&b, ExtECPointFormats, m.ECPointFormats)
	}
	if len(m.SignatureAlgorithms) > 0 {
		addUint16ListExtension(&b, ExtSignatureAlgorithms, m.SignatureAlgorithms)
	}
	if len(m.SignatureAlgorithmsCert) > 0 {
		addUint16ListExtension(&b, ExtSignatureAlgorithmsCert, m.SignatureAlgorithmsCert)
	}
	if len(m.ALPNProtocols) > 0 {
		addALPNExtension(&b, m.ALPNProtocols)
	}
	if m.SCTRequested {
		addEmptyExtension(&b, ExtSCT)
	}
	if m.ExtendedMasterSecret {
		addEmptyExtension(&b, ExtExtendedMasterSecret)
	}
	if m.TicketSupported {
		addExtension(&b, ExtSessionTicket, func(b *cryptobyte.Builder) {
			b.AddBytes(m.SessionTicket)
		})
	}
	if m.SecureRenegotiationSupported {
		addExtension(&b, ExtRenegotiationInfo, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddBytes(m.SecureRenegotiation)
			})
		})
	}
	if len(m.SupportedVersions) > 0 {
		addExtension(&b, ExtSupportedVersions, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, v := range m.SupportedVersions {
					b.AddUint16(v)
				}
			})
		})
	}
	if len(m.Cookie) > 0 {
		addExtension(&b, ExtCookie, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddBytes(m.Cookie)
			})
		})
	}
	if len(m.PSKModes) > 0 {
		addUint8ListExtension(&b, ExtPSKModes, m.PSKModes)
	}
	if m.KeyShares != nil {
		addExtension(&b, ExtKeyShare, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, ks := range m.KeyShares {
					b.AddUint16(ks.Group)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
						b.AddBytes(ks.Data)
					})
				}
			})
		})
	}
	if m.EarlyData {
		addEmptyExtension(&b, ExtEarlyData)
	}
	if len(m.PSKIdentities) > 0 {
		addExtension(&b, ExtPreSharedKey, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, id := range m.PSKIdentities {
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
						b.AddBytes(id.Label)
					})
					b.AddUint32(id.ObfuscatedTicketAge)
				}
			})
			m.addBinders(b)
		})
	}
	return b.Bytes()
}

func (m *ClientHello) addBinders(b *cryptobyte.Builder) {
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, binder := range m.PSKBinders {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddBytes(binder)
			})
		}
	})
}

// BindersLen is the number of bytes the binders list, length prefix
// included, occupies at the very end of the marshalled message, or 0
// without a pre_shared_key extension. The binders are computed over
// m.Raw[:len(m.Raw)-m.BindersLen()] (RFC 8446 section 4.2.11.2).
func (m *ClientHello) BindersLen() int {
	if len(m.PSKIdentities) == 0 {
		return 0
	}
	n := 2
	for _, binder := range m.PSKBinders {
		n += 1 + len(binder)
	}
	return n
}

// UpdateBinders overwrites the binders at the end of m.Raw in place and
// records them in m.PSKBinders. It exists because the binders depend on
// the bytes before them: the engine marshals with placeholder binders of
// the right size, hashes the truncated message, then fills them in. Every
// binder must keep its size so nothing else in Raw moves.
func (m *ClientHello) UpdateBinders(binders [][]byte) error {
	n := m.BindersLen()
	if n == 0 {
		return errMarshal("client_hello has no pre_shared_key extension to update")
	}
	if len(binders) != len(m.PSKBinders) {
		return errMarshal("client_hello binder count changed")
	}
	for i, binder := range binders {
		if len(binder) != len(m.PSKBinders[i]) {
			return errMarshal("client_hello binder " + strconv.Itoa(i) + " changed size")
		}
	}
	if len(m.Raw) < n {
		return errMarshal("client_hello has not been marshalled")
	}
	tail := m.Raw[len(m.Raw)-n:]
	if int(tail[0])<<8|int(tail[1]) != n-2 {
		return errMarshal("client_hello Raw does not end with its binders")
	}
	updated := make([][]byte, len(binders))
	at := 2
	for i, binder := range binders {
		tail[at] = byte(len(binder))
		copy(tail[at+1:], binder)
		at += 1 + len(binder)
		updated[i] = cloneBytes(binder)
	}
	m.PSKBinders = updated
	return nil
}

// Unmarshal decodes a complete ClientHello, handshake header included. On
// error m is left unchanged.
func (m *ClientHello) Unmarshal(msg []byte) error {
	body, err := openHandshake(msg, TypeClientHello)
	if err != nil {
		return err
	}
	var out ClientHello
	var random []byte
	var sessionID, suites, compression cryptobyte.String
	if !body.ReadUint16(&out.Vers) || !body.ReadBytes(&random, randomLen) ||
		!body.ReadUint8LengthPrefixed(&sessionID) || !body.ReadUint16LengthPrefixed(&suites) ||
		!body.ReadUint8LengthPrefixed(&compression) {
		return errDecode("malformed client_hello")
	}
	if len(sessionID) > maxSessionIDLen {
		return errDecode("client_hello session ID longer than 32 bytes")
	}
	if suites.Empty() || len(suites)%2 != 0 {
		return errDecode("client_hello has a malformed or empty cipher suite list")
	}
	if compression.Empty() {
		return errDecode("client_hello has no compression methods")
	}
	out.Random = cloneBytes(random)
	out.SessionID = cloneBytes(sessionID)
	out.CipherSuites = make([]uint16, 0, len(suites)/2)
	for !suites.Empty() {
		var suite uint16
		suites.ReadUint16(&suite)
		out.CipherSuites = append(out.CipherSuites, suite)
	}
	out.CompressionMethods = cloneBytes(compression)
	if !body.Empty() {
		var exts cryptobyte.String
		if !body.ReadUint16LengthPrefixed(&exts) || !body.Empty() {
			return errDecode("malformed client_hello extensions")
		}
		if err := out.unmarshalExtensions(exts); err != nil {
			return err
		}
	}
	out.Raw = cloneBytes(msg)
	*m = out
	return nil
}

func (m *ClientHello) unmarshalExtensions(exts cryptobyte.String) error {
	pskSeen := false
	return walkExtensions(exts, &m.Extensions, func(typ uint16, data cryptobyte.String) error {
		if pskSeen {
			return errIllegal("client_hello pre_shared_key is not the last extension")
		}
		ok := true
		switch typ {
		case ExtServerName:
			name, err := readServerName(data)
			if err != nil {
				return err
			}
			m.ServerName = name
		case ExtStatusRequest:
			ok = readStatusRequest(data, &m.StatusRequest)
		case ExtSupportedGroups:
			ok = readUint16List(data, &m.SupportedGroups)
		case ExtECPointFormats:
			ok = readUint8List(data, &m.ECPointFormats)
		case ExtSignatureAlgorithms:
			ok = readUint16List(data, &m.SignatureAlgorithms)
		case ExtSignatureAlgorithmsCert:
			ok = readUint16List(data, &m.SignatureAlgorithmsCert)
		case ExtALPN:
			ok = readALPN(data, &m.ALPNProtocols)
		case ExtSCT:
			ok, m.SCTRequested = readEmpty(data), true
		case ExtExtendedMasterSecret:
			ok, m.ExtendedMasterSecret = readEmpty(data), true
		case ExtSessionTicket:
			m.TicketSupported, m.SessionTicket = true, cloneBytes(data)
		case ExtRenegotiationInfo:
			ok, m.SecureRenegotiationSupported = readOpaque8(data, &m.SecureRenegotiation), true
		case ExtSupportedVersions:
			ok = readVersionList(data, &m.SupportedVersions)
		case ExtCookie:
			ok = readCookie(data, &m.Cookie)
		case ExtPSKModes:
			ok = readUint8List(data, &m.PSKModes)
		case ExtKeyShare:
			return readClientKeyShares(data, &m.KeyShares)
		case ExtEarlyData:
			ok, m.EarlyData = readEmpty(data), true
		case ExtPreSharedKey:
			pskSeen = true
			return readOfferedPSKs(data, &m.PSKIdentities, &m.PSKBinders)
		}
		if !ok {
			return badExtension(typ)
		}
		return nil
	})
}

// Values inside server_name and status_request (RFC 6066).
const (
	hostNameType   = 0
	statusTypeOCSP = 1
)

// readServerName accepts exactly one host_name. RFC 6066 leaves room for
// other name types, but none was ever defined and accepting unknown ones
// would leave the engine guessing which name the client meant.
func readServerName(data cryptobyte.String) (string, error) {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() || list.Empty() {
		return "", badExtension(ExtServerName)
	}
	var name []byte
	for !list.Empty() {
		var nameType uint8
		var host cryptobyte.String
		if !list.ReadUint8(&nameType) || !list.ReadUint16LengthPrefixed(&host) {
			return "", badExtension(ExtServerName)
		}
		if nameType != hostNameType {
			return "", errDecode("server_name carries an unsupported name type")
		}
		if name != nil {
			return "", errDecode("server_name carries more than one host_name")
		}
		if !validHostName(host) {
			return "", errDecode("server_name is not a valid host name")
		}
		name = host
	}
	return string(name), nil
}

// validHostName enforces RFC 6066 section 3: a non-empty DNS name without
// the trailing dot. Non-printable bytes can only be an attack on whatever
// logs or compares the name later.
func validHostName(host []byte) bool {
	if len(host) == 0 || host[len(host)-1] == '.' {
		return false
	}
	for _, c := range host {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// readStatusRequest treats only an OCSP request as a request: other
// status types are not something the engine can answer.
func readStatusRequest(data cryptobyte.String, out *bool) bool {
	var statusType uint8
	if !data.ReadUint8(&statusType) {
		return false
	}
	if statusType != statusTypeOCSP {
		*out = false
		return true
	}
	var responderIDs, requestExts cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&responderIDs) || !data.ReadUint16LengthPrefixed(&requestExts) || !data.Empty() {
		return false
	}
	*out = true
	return true
}

func readClientKeyShares(data cryptobyte.String, out *[]KeyShare) error {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() {
		return badExtension(ExtKeyShare)
	}
	shares := []KeyShare{}
	var groups uint16Set
	for !list.Empty() {
		var group uint16
		var key cryptobyte.String
		if !list.ReadUint16(&group) || !list.ReadUint16LengthPrefixed(&key) || key.Empty() {
			return badExtension(ExtKeyShare)
		}
		// RFC 8446 section 4.2.8 forbids two shares for one group, and
		// the server could not tell which one the client meant.
		if !groups.addNew(group) {
			return errIllegal("key_share offers group " + strconv.Itoa(int(group)) + " twice")
		}
		shares = append(shares, KeyShare{Group: group, Data: cloneBytes(key)})
	}
	*out = shares
	return nil
}

func readOfferedPSKs(data cryptobyte.String, ids *[]PSKIdentity, binders *[][]byte) error {
	var idList, binderList cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&idList) || !data.ReadUint16LengthPrefixed(&binderList) ||
		!data.Empty() || idList.Empty() || binderList.Empty() {
		return badExtension(ExtPreSharedKey)
	}
	var outIDs []PSKIdentity
	for !idList.Empty() {
		var label cryptobyte.String
		var age uint32
		if !idList.ReadUint16LengthPrefixed(&label) || label.Empty() || !idList.ReadUint32(&age) {
			return badExtension(ExtPreSharedKey)
		}
		outIDs = append(outIDs, PSKIdentity{Label: cloneBytes(label), ObfuscatedTicketAge: age})
	}
	var outBinders [][]byte
	for !binderList.Empty() {
		var binder cryptobyte.String
		if !binderList.ReadUint8LengthPrefixed(&binder) || len(binder) < minBinderLen {
			return badExtension(ExtPreSharedKey)
		}
		outBinders = append(outBinders, cloneBytes(binder))
	}
	// RFC 8446 section 4.2.11: each identity needs its binder.
	if len(outIDs) != len(outBinders) {
		return errIllegal("pre_shared_key has a different number of identities and binders")
	}
	*ids, *binders = outIDs, outBinders
	return nil
}
