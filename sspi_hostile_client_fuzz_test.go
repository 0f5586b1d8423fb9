package schannel_test

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"slices"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"
)

// The ClientHello targets attack our server: the hello is built from fuzzed
// fields and sent through AcceptSecurityContext, first on its own and then
// as the second hello after a HelloRetryRequest.

// clientHello are the fields of a hostile ClientHello.
type clientHello struct {
	vers        uint16
	random      []byte
	sessionID   []byte
	suites      []uint16
	compression []byte
	exts        []ext
	lenDelta    int
}

func (m *clientHello) marshal(t testing.TB) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint16(m.vers)
	b.AddBytes(m.random)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.sessionID) })
	b.AddBytes(u16list(m.suites...))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.compression) })
	addExts(b, m.exts)
	return handshakeMsg(wire.TypeClientHello, mustBytes(t, b), m.lenDelta)
}

// keyShareExt is a client key_share extension with one share per group,
// valid ones (from a fresh key) where valid is set.
func keyShareExt(t testing.TB, groups []uint16, valid bool, junk []byte) ext {
	var list []byte
	for _, g := range groups {
		data := junk
		if valid && keys.SupportedGroup(g) {
			share, err := keys.NewPrivateShare(g, rand.Reader)
			require.NoError(t, err)
			data = share.Public()
		}
		list = append(list, u16(g)...)
		list = append(list, u16(uint16(len(data)))...)
		list = append(list, data...)
	}
	return ext{wire.ExtKeyShare, append(u16(uint16(len(list))), list...)}
}

func sniExt(name string) ext {
	entry := append([]byte{0}, u16(uint16(len(name)))...)
	entry = append(entry, name...)
	return ext{wire.ExtServerName, append(u16(uint16(len(entry))), entry...)}
}

// ClientHello flag bits: which of the legal extensions to leave out.
const (
	chNoSupportedVersions = 1 << iota
	chNoGroups
	chNoKeyShare
	chInvalidShare
	chNoSignatureAlgorithms
	chNoSNI
	chPSKModes
)

// hostileHello builds a TLS 1.3 ClientHello from the fuzzed fields; the
// zero values give a legal one offering X25519 (or shareGroup's share).
func hostileHello(t testing.TB, vers uint16, suites, compression []byte, flags uint8, shareGroup uint16, junk, extra []byte, lenDelta int8) (*clientHello, bool) {
	ch := &clientHello{vers: vers, random: bytes.Repeat([]byte{7}, 32), sessionID: bytes.Repeat([]byte{9}, 32),
		suites: []uint16{tls.TLS_AES_128_GCM_SHA256}, compression: []byte{0}, lenDelta: int(lenDelta)}
	legal := vers == wire.VersionTLS12 && len(suites) == 0 && len(compression) == 0 && flags == 0 && len(extra) < 3 && lenDelta == 0
	suites = suites[:min(len(suites), 1<<15)]
	junk = junk[:min(len(junk), 1<<15)]
	if len(suites) > 0 {
		ch.suites = nil
		for i := 0; i+1 < len(suites); i += 2 {
			ch.suites = append(ch.suites, uint16(suites[i])<<8|uint16(suites[i+1]))
		}
	}
	if len(compression) > 0 {
		ch.compression = compression[:min(len(compression), 255)]
	}
	if flags&chNoSupportedVersions == 0 {
		ch.exts = append(ch.exts, ext{wire.ExtSupportedVersions, []byte{2, 3, 4}})
	}
	if flags&chNoGroups == 0 {
		ch.exts = append(ch.exts, ext{wire.ExtSupportedGroups, u16list(wire.GroupX25519, wire.GroupP256)})
	}
	if flags&chNoKeyShare == 0 {
		ch.exts = append(ch.exts, keyShareExt(t, []uint16{shareGroup}, flags&chInvalidShare == 0, junk))
	}
	if flags&chNoSignatureAlgorithms == 0 {
		ch.exts = append(ch.exts, ext{wire.ExtSignatureAlgorithms, u16list(wire.ECDSAWithP256AndSHA256, wire.PSSWithSHA256)})
	}
	if flags&chNoSNI == 0 {
		ch.exts = append(ch.exts, sniExt("example.com"))
	}
	if flags&chPSKModes != 0 {
		ch.exts = append(ch.exts, ext{wire.ExtPSKModes, []byte{1, 1}})
	}
	ch.exts = append(ch.exts, fuzzExtensions(extra)...)
	return ch, legal
}

// judgeServer holds a server's answer to a hostile hello to the contract:
// a well-formed failure, or a flight to send.
// incomplete says the hello's length claims more than was sent: the server
// then waits for the rest, with nothing to send.
func judgeServer(t *testing.T, o outcome, broken, legal, incomplete bool) {
	t.Helper()
	checkFailure(t, o, true)
	require.NotEqual(t, schannel.SEC_E_OK, o.status, "a server cannot complete on a ClientHello")
	if !o.status.Failed() {
		require.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, o.status)
		if !incomplete {
			require.NotEmpty(t, o.output, "a server that goes on sends its flight")
		}
	}
	if broken {
		require.True(t, o.status.Failed(), "a ClientHello that breaks the RFC was answered")
	}
	if legal {
		require.False(t, o.status.Failed(), "a legal ClientHello was refused: %v", o.err)
	}
}

func newHostileServerPeer(t testing.TB, cfg *tls.Config) *sspiPeer {
	cred, err := schannel.AcquireCredentialsHandle(schannel.SECPKG_CRED_INBOUND, cfg)
	require.NoError(t, err)
	return &sspiPeer{name: "server", cred: cred, server: true}
}

func FuzzHostileClientHello(f *testing.F) {
	f.Add(uint16(0x0303), []byte{}, []byte{}, uint8(0), wire.GroupX25519, []byte{}, []byte{}, int8(0))
	f.Add(uint16(0x0303), []byte{0x13, 0x02, 0xc0, 0x2b}, []byte{1, 0}, uint8(chPSKModes), wire.GroupP256, []byte{}, []byte{}, int8(0))
	f.Add(uint16(0x0303), []byte{}, []byte{}, uint8(chNoSupportedVersions), wire.GroupX25519, []byte{}, []byte{0, 23, 0, 0xff, 1, 1, 0}, int8(0))
	f.Add(uint16(0x0301), []byte{0xc0, 0x2b}, []byte{1}, uint8(chNoKeyShare|chNoSNI), wire.GroupX25519, []byte{}, []byte{0, 16, 3, 0, 1, 0}, int8(0))
	f.Add(uint16(0x0303), []byte{}, []byte{}, uint8(chInvalidShare), wire.GroupX25519MLKEM768, []byte{4, 1, 2, 3}, []byte{0, 41, 4, 0, 0, 0, 0}, int8(-1))
	f.Fuzz(func(t *testing.T, vers uint16, suites, compression []byte, flags uint8, shareGroup uint16, junk, extra []byte, lenDelta int8) {
		ch, legal := hostileHello(t, vers, suites, compression, flags, shareGroup, junk, extra, lenDelta)
		legal = legal && shareGroup == wire.GroupX25519
		server := newHostileServerPeer(t, pki(t).serverConfig())
		o := driveHandshake(t, server, plaintextRecord(wire.ContentHandshake, ch.marshal(t)))
		broken := (len(suites) == 1 || len(compression) > 0 && !bytes.Contains(compression, []byte{0})) && lenDelta <= 0 ||
			lenDelta < 0
		judgeServer(t, o, broken, legal, lenDelta > 0)
	})
}

// FuzzHostileSecondClientHello makes our server (P-256 only) send a
// HelloRetryRequest to a hello that shares X25519, then sends a fuzzed
// second hello. The legal one differs only by its P-256 share (RFC 8446
// 4.1.2).
func FuzzHostileSecondClientHello(f *testing.F) {
	f.Add(uint16(0x0303), []byte{}, []byte{}, uint8(0), wire.GroupP256, []byte{}, []byte{}, int8(0), false, false)
	f.Add(uint16(0x0303), []byte{}, []byte{}, uint8(0), wire.GroupX25519, []byte{}, []byte{}, int8(0), false, false)
	f.Add(uint16(0x0303), []byte{}, []byte{}, uint8(0), wire.GroupP256, []byte{}, []byte{}, int8(0), true, false)
	f.Add(uint16(0x0303), []byte{0x13, 0x03}, []byte{}, uint8(0), wire.GroupP256, []byte{}, []byte{}, int8(0), false, true)
	f.Add(uint16(0x0303), []byte{}, []byte{}, uint8(chInvalidShare), wire.GroupP256, []byte{4}, []byte{0, 42, 0}, int8(0), false, false)
	f.Fuzz(func(t *testing.T, vers uint16, suites, compression []byte, flags uint8, shareGroup uint16, junk, extra []byte, lenDelta int8,
		newRandom, newSessionID bool) {
		cfg := pki(t).serverConfig()
		cfg.CurvePreferences = []tls.CurveID{tls.CurveP256}
		server := newHostileServerPeer(t, cfg)
		first, _ := hostileHello(t, wire.VersionTLS12, nil, nil, 0, wire.GroupX25519, nil, nil, 0)
		o := driveHandshake(t, server, plaintextRecord(wire.ContentHandshake, first.marshal(t)))
		require.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, o.status, "%v", o.err)
		records := hostileRecords(t, o.output)
		var hrr wire.ServerHello
		require.NoError(t, hrr.Unmarshal(records[0].payload))
		require.True(t, hrr.IsHelloRetryRequest())
		require.Equal(t, wire.GroupP256, hrr.SelectedGroup)

		second, legal := hostileHello(t, vers, suites, compression, flags, shareGroup, junk, extra, lenDelta)
		if newRandom {
			second.random = bytes.Repeat([]byte{8}, 32)
		}
		if newSessionID {
			second.sessionID = nil
		}
		legal = legal && shareGroup == wire.GroupP256 && !newRandom && !newSessionID
		in := plaintextRecord(wire.ContentChangeCipherSpec, []byte{1})
		in = append(in, plaintextRecord(wire.ContentHandshake, second.marshal(t))...)
		o = driveHandshake(t, server, in)
		// RFC 8446 4.1.2 lets the second hello change only its key_share
		// (and cookie, early_data, padding): these changes must be refused.
		broken := (newRandom || newSessionID || !slices.Equal(second.suites, first.suites) || flags&chNoKeyShare != 0 ||
			shareGroup != wire.GroupP256 || flags&chInvalidShare != 0) && lenDelta <= 0 || lenDelta < 0
		judgeServer(t, o, broken, legal, lenDelta > 0)
	})
}
