package schannel_test

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"slices"
	"testing"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"
)

// The TLS 1.2 hostile-peer fuzz targets: the same contract as the TLS 1.3
// ones (see sspi_hostile13_fuzz_test.go), against a client that offers both
// versions, so the TLS 1.2 path is reached the way a real server reaches it.

// ecdsaSuites12 are the TLS 1.2 suites the test certificate (ECDSA) can serve.
var ecdsaSuites12 = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}

// ServerHello12 flag bits.
const (
	f12RenegotiationInfo = 1 << iota
	f12EMS
	f12PointFormats
	f12SessionTicket
	f12ALPN
	f12Downgrade
	f12Cache
)

func FuzzHostileTLS12ServerHello(f *testing.F) {
	legal := uint8(f12RenegotiationInfo | f12EMS)
	// suiteSel indexes the client's suites: 3 TLS 1.3 ones, then TLS 1.2.
	f.Add(uint16(0x0303), uint8(3), uint16(0), uint8(0), legal, []byte{}, []byte{0}, "h2", []byte{}, int8(0))
	f.Add(uint16(0x0303), uint8(4), uint16(0), uint8(0), legal|f12PointFormats|f12ALPN, []byte{1}, []byte{0}, "http/1.1", []byte{}, int8(0))
	f.Add(uint16(0x0303), uint8(5), uint16(0), uint8(0), legal|f12SessionTicket|f12Cache, []byte{}, []byte{0}, "", []byte{}, int8(0))
	f.Add(uint16(0x0303), uint8(6), uint16(0), uint8(0), legal|f12Downgrade, []byte{}, []byte{1}, "spdy", []byte{0, 43, 2, 3, 4}, int8(0))
	f.Add(uint16(0x0302), uint8(pickRaw), uint16(0x002f), uint8(1), uint8(0), []byte{}, []byte{}, "", []byte{}, int8(-2))
	f.Fuzz(func(t *testing.T, vers uint16, suiteSel uint8, suiteRaw uint16, compression, flags uint8, sessionID, pointFormats []byte,
		alpn string, extra []byte, lenDelta int8) {
		ccfg := hostileClientConfig(t)
		if flags&f12Cache != 0 {
			ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
		}
		h := newHostileServer12(t, ccfg)
		suite := choose(h.hello.CipherSuites, suiteSel, suiteRaw)
		sh := h.legalServerHello()
		sh.vers, sh.suite, sh.compression, sh.lenDelta = vers, suite, compression, int(lenDelta)
		if len(sessionID) > 0 {
			sh.sessionID = sessionID[:min(len(sessionID), 32)]
		}
		if flags&f12Downgrade != 0 {
			copy(sh.random[24:], "DOWNGRD\x01")
		}
		sh.exts = nil
		if flags&f12RenegotiationInfo != 0 {
			sh.exts = append(sh.exts, ext{wire.ExtRenegotiationInfo, []byte{0}})
		}
		if flags&f12EMS != 0 {
			sh.exts = append(sh.exts, ext{wire.ExtExtendedMasterSecret, nil})
		}
		// The list's length is one byte (RFC 8422 section 5.1.2): a longer
		// one could not be encoded, and the wrapped length would make a
		// malformed extension the target does not mean to build.
		pointFormats = pointFormats[:min(len(pointFormats), 255)]
		if flags&f12PointFormats != 0 {
			sh.exts = append(sh.exts, ext{wire.ExtECPointFormats, append([]byte{byte(len(pointFormats))}, pointFormats...)})
		}
		if flags&f12SessionTicket != 0 {
			sh.exts = append(sh.exts, ext{wire.ExtSessionTicket, nil})
		}
		name := []byte(alpn)[:min(len(alpn), 200)]
		if flags&f12ALPN != 0 {
			list := append([]byte{byte(len(name))}, name...)
			sh.exts = append(sh.exts, ext{wire.ExtALPN, append(u16(uint16(len(list))), list...)})
		}
		extras := fuzzExtensions(extra)
		sh.exts = append(sh.exts, extras...)
		extraBroken, extraUnknown := judgeExtras(h.hello.Extensions, sh.exts, len(extras))
		h.useSuite(suite)
		var nst []byte
		if flags&f12SessionTicket != 0 {
			nst = newSessionTicket12(3600, []byte("ticket"), 0)
		}
		o := h.run([][]byte{sh.marshal(t), h.legalCertificate(), h.legalServerKeyExchange(), serverHelloDone(nil, 0)}, nst)
		broken := vers != wire.VersionTLS12 || !slices.Contains(ecdsaSuites12, suite) || compression != 0 ||
			flags&(f12RenegotiationInfo|f12EMS) != f12RenegotiationInfo|f12EMS || flags&f12Downgrade != 0 ||
			flags&f12PointFormats != 0 && !slices.Contains(pointFormats, 0) ||
			flags&f12SessionTicket != 0 && flags&f12Cache == 0 ||
			flags&f12ALPN != 0 && !slices.Contains([]string{"h2", "http/1.1"}, string(name)) ||
			extraBroken || lenDelta != 0
		// Echoing the random session ID of our TLS 1.3 hello is a claim to
		// resume a session that never existed: issue 10 part B refuses it.
		unknown := bytes.Equal(sh.sessionID, h.hello.SessionID) || extraUnknown
		judge(t, o, broken, unknown)
	})
}

func FuzzHostileServerKeyExchange(f *testing.F) {
	// groupSel indexes the client's groups (X25519MLKEM768, X25519, P-256,
	// P-384); schemeSel its signature_algorithms.
	f.Add(uint8(3), uint8(1), uint16(0), true, []byte{}, uint8(0), uint16(0), true, []byte{}, []byte{}, int8(0))
	f.Add(uint8(3), uint8(2), uint16(0), true, []byte{}, uint8(pickRaw), wire.ECDSAWithP384AndSHA384, true, []byte{}, []byte{}, int8(0))
	f.Add(uint8(3), uint8(0), uint16(0), true, []byte{}, uint8(0), uint16(0), true, []byte{}, []byte{}, int8(0))
	f.Add(uint8(1), uint8(pickRaw), uint16(0x0017), false, []byte{4, 1, 2}, uint8(pickRaw), wire.PKCS1WithSHA256, false, []byte{0x30, 0}, []byte{0}, int8(1))
	f.Add(uint8(3), uint8(1), uint16(0), true, []byte{}, uint8(pickRaw), wire.PKCS1WithSHA1, true, []byte{}, []byte{}, int8(0))
	f.Fuzz(func(t *testing.T, curveType, groupSel uint8, groupRaw uint16, validPublic bool, public []byte, schemeSel uint8, schemeRaw uint16,
		realSignature bool, sig, trailing []byte, lenDelta int8) {
		h := newHostileServer12(t, hostileClientConfig(t))
		group := choose(h.hello.SupportedGroups, groupSel, groupRaw)
		scheme := choose(h.hello.SignatureAlgorithms, schemeSel, schemeRaw)
		sh := h.legalServerHello()
		h.useSuite(sh.suite)
		if validPublic && keys.SupportedGroup(group) {
			share, err := keys.NewPrivateShare(group, rand.Reader)
			require.NoError(t, err)
			h.share, public = share, share.Public()
		}
		public = public[:min(len(public), 255)]
		params := ecdheParams(curveType, group, public)
		if realSignature {
			sig = h.sign12(scheme, params)
		}
		ske := serverKeyExchange(append(params, trailing...), scheme, sig, int(lenDelta))
		if len(trailing) > 0 {
			// Trailing bytes go after the signature, where they do not
			// change what was signed.
			ske = append(serverKeyExchange(params, scheme, sig, 0), trailing...)
			n := len(ske) - 4 + int(lenDelta)
			ske[1], ske[2], ske[3] = byte(n>>16), byte(n>>8), byte(n)
		}
		o := h.run([][]byte{sh.marshal(t), h.legalCertificate(), ske, serverHelloDone(nil, 0)}, nil)
		ecdsaScheme := scheme == wire.ECDSAWithP256AndSHA256 || scheme == wire.ECDSAWithP384AndSHA384 || scheme == wire.ECDSAWithP521AndSHA512
		broken := curveType != 3 || group == wire.GroupX25519MLKEM768 || !slices.Contains(h.hello.SupportedGroups, group) ||
			!validPublic || !realSignature || !ecdsaScheme || !slices.Contains(h.hello.SignatureAlgorithms, scheme) ||
			len(trailing) > 0 || lenDelta != 0
		judge(t, o, broken, false)
	})
}

func FuzzHostileTLS12CertificateRequest(f *testing.F) {
	f.Add([]byte{64, 1}, []byte{4, 3, 8, 4}, []byte{}, uint8(0), int8(0))
	f.Add([]byte{}, []byte{4, 3}, []byte{}, uint8(0), int8(0))
	f.Add([]byte{64}, []byte{}, []byte{}, uint8(0), int8(0))
	f.Add([]byte{1}, []byte{2, 1}, []byte{0x30, 3, 0x31, 1, 0}, uint8(2), int8(0))
	f.Add([]byte{64}, []byte{4, 3}, []byte{}, uint8(1), int8(-1))
	f.Fuzz(func(t *testing.T, certTypes, schemes, names []byte, nameCount uint8, lenDelta int8) {
		h := newHostileServer12(t, hostileClientConfig(t))
		sh := h.legalServerHello()
		h.useSuite(sh.suite)
		var list []uint16
		for i := 0; i+1 < len(schemes); i += 2 {
			list = append(list, uint16(schemes[i])<<8|uint16(schemes[i+1]))
		}
		b := cryptobyte.NewBuilder(nil)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(certTypes[:min(len(certTypes), 255)]) })
		b.AddBytes(u16list(list...))
		// nameCount distinguished names, each the whole of names.
		count := int(nameCount % 4)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for range count {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(names) })
			}
		})
		cr := handshakeMsg(wire.TypeCertificateRequest, mustBytes(t, b), int(lenDelta))
		o := h.run([][]byte{sh.marshal(t), h.legalCertificate(), h.legalServerKeyExchange(), cr, serverHelloDone(nil, 0)}, nil)
		broken := len(certTypes) == 0 || len(list) == 0 || count > 0 && len(names) == 0 || lenDelta != 0
		// Names need not parse (crypto/tls passes them on as bytes).
		judge(t, o, broken, false)
	})
}

func FuzzHostileServerHelloDone(f *testing.F) {
	f.Add([]byte{}, int8(0))
	f.Add([]byte{0}, int8(0))
	f.Add([]byte{}, int8(1))
	f.Fuzz(func(t *testing.T, body []byte, lenDelta int8) {
		lenDelta = effectiveDelta(len(body), lenDelta)
		h := newHostileServer12(t, hostileClientConfig(t))
		sh := h.legalServerHello()
		h.useSuite(sh.suite)
		o := h.run([][]byte{sh.marshal(t), h.legalCertificate(), h.legalServerKeyExchange(), serverHelloDone(body, int(lenDelta))}, nil)
		judge(t, o, len(body) != 0 || lenDelta != 0, false)
	})
}

func FuzzHostileTLS12NewSessionTicket(f *testing.F) {
	f.Add(true, uint32(3600), []byte("ticket"), []byte{}, int8(0))
	f.Add(true, uint32(0), []byte{}, []byte{}, int8(0))
	f.Add(false, uint32(3600), []byte("ticket"), []byte{}, int8(0))
	f.Add(true, uint32(1), []byte("t"), []byte{0}, int8(0))
	f.Add(true, uint32(1), []byte("t"), []byte{}, int8(-1))
	f.Fuzz(func(t *testing.T, acked bool, lifetime uint32, ticket, trailing []byte, lenDelta int8) {
		ccfg := hostileClientConfig(t)
		ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
		h := newHostileServer12(t, ccfg)
		sh := h.legalServerHello()
		if acked {
			sh.exts = append(sh.exts, ext{wire.ExtSessionTicket, nil})
		}
		h.useSuite(sh.suite)
		nst := newSessionTicket12(lifetime, ticket, int(lenDelta))
		nst = append(nst, trailing...)
		n := len(nst) - 4 + int(lenDelta)
		nst[1], nst[2], nst[3] = byte(n>>16), byte(n>>8), byte(n)
		o := h.run([][]byte{sh.marshal(t), h.legalCertificate(), h.legalServerKeyExchange(), serverHelloDone(nil, 0)}, nst)
		judge(t, o, !acked || len(trailing) > 0 || lenDelta != 0, false)
	})
}
