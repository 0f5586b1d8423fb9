package schannel_test

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"math/big"
	"net"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exporterPair is one handshake between this package and crypto/tls, in the
// given version and with ours as client or server.
type exporterPair struct {
	ours   *schannel.Conn
	theirs *tls.Conn
}

func newExporterPair(t *testing.T, version uint16, oursIsClient bool, serverCert tls.Certificate, rootsFrom *certgen.CA) exporterPair {
	t.Helper()
	rc, rs := connTCPPair(t)
	ccfg := &tls.Config{RootCAs: rootsFrom.Pool, ServerName: "example.com", MaxVersion: version}
	scfg := &tls.Config{Certificates: []tls.Certificate{serverCert}, MaxVersion: version}
	var p exporterPair
	var theirHandshake func() error
	if oursIsClient {
		p.ours, p.theirs = schannel.Client(rc, ccfg), tls.Server(rs, scfg)
		theirHandshake = p.theirs.Handshake
	} else {
		p.ours, p.theirs = schannel.Server(rs, scfg), tls.Client(rc, ccfg)
		theirHandshake = p.theirs.Handshake
	}
	theirErr := connAsync(theirHandshake)
	require.NoError(t, p.ours.Handshake())
	require.NoError(t, connWait(t, theirErr))
	require.Equal(t, version, p.ours.ConnectionState().Version)
	return p
}

var roleCases = []struct {
	name         string
	oursIsClient bool
}{{"our client", true}, {"our server", false}}

// TestConnExportKeyingMaterialMatchesCryptoTLS: Conn.ExportKeyingMaterial
// equals crypto/tls's on the other end of the same connection (RFC 8446 7.5;
// RFC 5705 with the extended master secret), for both versions and roles,
// with no context, an empty one (different from none in TLS 1.2) and a
// real one.
func TestConnExportKeyingMaterialMatchesCryptoTLS(t *testing.T) {
	p := pki(t)
	exports := []struct {
		label   string
		context []byte
		length  int
	}{
		{"EXPORTER-test", nil, 32},
		{"EXPORTER-test", []byte{}, 32},
		{"EXPORTER-test", []byte("context value"), 100},
		{"EXPERIMENTAL-long", []byte{1, 2, 3}, 1000},
	}
	for _, vc := range versionCases {
		for _, rc := range roleCases {
			t.Run(vc.name+"/"+rc.name, func(t *testing.T) {
				pair := newExporterPair(t, vc.max, rc.oursIsClient, p.server, p.ca)
				theirState := pair.theirs.ConnectionState()
				var outputs [][]byte
				for _, e := range exports {
					want, err := theirState.ExportKeyingMaterial(e.label, e.context, e.length)
					require.NoError(t, err)
					got, err := pair.ours.ExportKeyingMaterial(e.label, e.context, e.length)
					require.NoError(t, err)
					assert.Equal(t, want, got, "label %q context %v", e.label, e.context)
					outputs = append(outputs, got)
				}
				if vc.max == tls.VersionTLS12 {
					assert.NotEqual(t, outputs[0], outputs[1], "RFC 5705: no context and an empty context differ")
				} else {
					assert.Equal(t, outputs[0], outputs[1], "RFC 8446 7.5 hashes the context: nil and empty are the same")
				}

				// The SSPI route: SetContextAttributes, then QueryContextAttributes.
				ctx := pair.ours.Context()
				require.NoError(t, ctx.SetContextAttributes(schannel.SECPKG_ATTR_KEYING_MATERIAL_INFO,
					schannel.KeyingMaterialInfo{Label: exports[2].label, Context: exports[2].context, Length: exports[2].length}))
				km, err := ctx.QueryContextAttributes(schannel.SECPKG_ATTR_KEYING_MATERIAL)
				require.NoError(t, err)
				assert.Equal(t, outputs[2], km)
			})
		}
	}
}

// TestExportKeyingMaterialRefusals: what Windows and RFC 5705 refuse is a
// status, never a panic.
func TestExportKeyingMaterialRefusals(t *testing.T) {
	p := pki(t)
	pair := newExporterPair(t, tls.VersionTLS12, true, p.server, p.ca)
	_, err := pair.ours.ExportKeyingMaterial("master secret", nil, 48)
	assert.ErrorIs(t, err, schannel.SEC_E_INVALID_PARAMETER, "RFC 5705 4: TLS PRF labels are reserved")
	_, err = pair.ours.ExportKeyingMaterial("EXPORTER-x", nil, 0)
	assert.ErrorIs(t, err, schannel.SEC_E_INVALID_PARAMETER, "cbKeyingMaterial must be greater than zero")

	ctx := pair.ours.Context()
	assert.ErrorIs(t, ctx.SetContextAttributes(schannel.SECPKG_ATTR_KEYING_MATERIAL_INFO, "label"), schannel.SEC_E_INVALID_PARAMETER)
	assert.ErrorIs(t, ctx.SetContextAttributes(schannel.SECPKG_ATTR_STREAM_SIZES, nil), schannel.SEC_E_UNSUPPORTED_FUNCTION)

	// Before the handshake there is nothing to export.
	a, _ := net.Pipe()
	defer a.Close()
	_, err = schannel.Client(a, p.clientConfig()).ExportKeyingMaterial("EXPORTER-x", nil, 16)
	assert.ErrorIs(t, err, schannel.SEC_E_INVALID_HANDLE)

	// A context that was never told what to export.
	client, server := newPeers(t, p.clientConfig(), p.serverConfig())
	require.NoError(t, handshakePair(t, client, server, allAtOnce))
	_, err = client.ctx.KeyingMaterial()
	assert.ErrorIs(t, err, schannel.SEC_E_INVALID_PARAMETER)
}

// bindingData checks the SEC_CHANNEL_BINDINGS layout Schannel uses and
// returns its application data: every address field zero, the data right
// after the 32-byte header.
func bindingData(t *testing.T, b []byte) []byte {
	t.Helper()
	require.GreaterOrEqual(t, len(b), 32)
	for i := 0; i < 24; i++ {
		require.Zero(t, b[i], "dwInitiator*/dwAcceptor* fields are zero (byte %d)", i)
	}
	le := func(off int) int { return int(b[off]) | int(b[off+1])<<8 | int(b[off+2])<<16 | int(b[off+3])<<24 }
	require.Equal(t, len(b)-32, le(24), "cbApplicationDataLength")
	require.Equal(t, 32, le(28), "dwApplicationDataOffset")
	data, err := schannel.ChannelBindingsApplicationData(b)
	require.NoError(t, err)
	assert.Equal(t, b[32:], data)
	return data
}

// TestConnChannelBindings checks the three channel bindings against values
// computed independently: tls-server-end-point is the hash of the server
// certificate's DER (SHA-256 for an ECDSA-SHA256 signature, SHA-512 when the
// CA signs with SHA-512), tls-unique is crypto/tls's TLSUnique (TLS 1.2
// only) and tls-exporter is crypto/tls's exporter with RFC 9266's label.
func TestConnChannelBindings(t *testing.T) {
	p := pki(t)
	for _, vc := range versionCases {
		for _, rc := range roleCases {
			t.Run(vc.name+"/"+rc.name, func(t *testing.T) {
				pair := newExporterPair(t, vc.max, rc.oursIsClient, p.server, p.ca)
				theirState := pair.theirs.ConnectionState()

				endpoint, err := pair.ours.ChannelBinding(schannel.SECPKG_ATTR_ENDPOINT_BINDINGS)
				require.NoError(t, err)
				certHash := sha256.Sum256(p.server.Certificate[0])
				assert.Equal(t, append([]byte("tls-server-end-point:"), certHash[:]...), bindingData(t, endpoint))
				viaQuery, err := pair.ours.Context().QueryContextAttributes(schannel.SECPKG_ATTR_ENDPOINT_BINDINGS)
				require.NoError(t, err)
				assert.Equal(t, endpoint, viaQuery)

				exporter, err := pair.ours.TLSExporterBinding()
				require.NoError(t, err)
				want, err := theirState.ExportKeyingMaterial("EXPORTER-Channel-Binding", []byte{}, 32)
				require.NoError(t, err)
				assert.Equal(t, append([]byte("tls-exporter:"), want...), bindingData(t, exporter))

				unique, err := pair.ours.ChannelBinding(schannel.SECPKG_ATTR_UNIQUE_BINDINGS)
				if vc.max == tls.VersionTLS13 {
					assert.ErrorIs(t, err, schannel.SEC_E_UNSUPPORTED_FUNCTION, "TLS 1.3 has no tls-unique")
					assert.Nil(t, pair.ours.ConnectionState().TLSUnique)
					return
				}
				require.NoError(t, err)
				require.Len(t, theirState.TLSUnique, 12)
				assert.Equal(t, append([]byte("tls-unique:"), theirState.TLSUnique...), bindingData(t, unique))
				assert.Equal(t, theirState.TLSUnique, pair.ours.ConnectionState().TLSUnique)
			})
		}
	}
}

// TestEndpointBindingsHashFollowsSignature: RFC 5929 4.1 takes the hash of
// the certificate's signature algorithm, here SHA-512.
func TestEndpointBindingsHashFollowsSignature(t *testing.T) {
	ca, err := certgen.NewCA("endpoint CA")
	require.NoError(t, err)
	leaf := ca.MustIssue(certgen.LeafOptions{Names: []string{"example.com"}})
	require.Equal(t, "ECDSA-SHA256", leaf.Leaf.SignatureAlgorithm.String(), "certgen's P-256 CA signs with SHA-256")

	// Sign the same leaf with ECDSA-SHA512 to reach another hash.
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: leaf.Leaf.Subject, DNSNames: leaf.Leaf.DNSNames,
		NotBefore: leaf.Leaf.NotBefore, NotAfter: leaf.Leaf.NotAfter, KeyUsage: leaf.Leaf.KeyUsage,
		ExtKeyUsage: leaf.Leaf.ExtKeyUsage, SignatureAlgorithm: x509.ECDSAWithSHA512}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, leaf.Leaf.PublicKey, ca.Key)
	require.NoError(t, err)
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: leaf.PrivateKey}
	pair := newExporterPair(t, tls.VersionTLS13, false, cert, ca)
	endpoint, err := pair.ours.ChannelBinding(schannel.SECPKG_ATTR_ENDPOINT_BINDINGS)
	require.NoError(t, err)
	sum := sha512.Sum512(der)
	assert.Equal(t, append([]byte("tls-server-end-point:"), sum[:]...), bindingData(t, endpoint))
}

// TestConnTLSUniqueAfterResumption: on a resumed TLS 1.2 session the first
// Finished is the server's (RFC 5929 3.1); both roles agree with crypto/tls.
func TestConnTLSUniqueAfterResumption(t *testing.T) {
	p := pki(t)
	for _, rc := range roleCases {
		t.Run(rc.name, func(t *testing.T) {
			cache := tls.NewLRUClientSessionCache(4)
			scfg := &tls.Config{Certificates: []tls.Certificate{p.server}, MaxVersion: tls.VersionTLS12}
			for round := range 2 {
				rawClient, rawServer := connTCPPair(t)
				ccfg := &tls.Config{RootCAs: p.ca.Pool, ServerName: "example.com", MaxVersion: tls.VersionTLS12, ClientSessionCache: cache}
				var ours *schannel.Conn
				var theirs *tls.Conn
				if rc.oursIsClient {
					ours, theirs = schannel.Client(rawClient, ccfg), tls.Server(rawServer, scfg)
				} else {
					ours, theirs = schannel.Server(rawServer, scfg), tls.Client(rawClient, ccfg)
				}
				theirErr := connAsync(theirs.Handshake)
				require.NoError(t, ours.Handshake())
				require.NoError(t, connWait(t, theirErr))
				st := theirs.ConnectionState()
				require.Equal(t, round == 1, st.DidResume, "round %d", round)
				unique, err := ours.ChannelBinding(schannel.SECPKG_ATTR_UNIQUE_BINDINGS)
				require.NoError(t, err)
				assert.Equal(t, append([]byte("tls-unique:"), st.TLSUnique...), bindingData(t, unique), "round %d", round)
				exp, err := ours.ExportKeyingMaterial("EXPORTER-x", []byte("c"), 20)
				require.NoError(t, err)
				want, err := st.ExportKeyingMaterial("EXPORTER-x", []byte("c"), 20)
				require.NoError(t, err)
				assert.Equal(t, want, exp, "round %d", round)
			}
		})
	}
}

// FuzzChannelBindingsApplicationData: any bytes give the application data
// inside them or an error, never a panic or a slice past the input; what
// the package builds reads back unchanged.
func FuzzChannelBindingsApplicationData(f *testing.F) {
	header := make([]byte, 32)
	header[24], header[28] = 4, 32
	f.Add(append(header, "abcd"...))
	f.Add(header[:31])
	f.Add(append(make([]byte, 24), 0xff, 0xff, 0xff, 0xff, 32, 0, 0, 0))
	f.Add(append(make([]byte, 24), 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 9))
	f.Fuzz(func(t *testing.T, b []byte) {
		data, err := schannel.ChannelBindingsApplicationData(b)
		if err != nil {
			require.Nil(t, data)
			return
		}
		off := int(binary.LittleEndian.Uint32(b[28:]))
		require.Equal(t, int(binary.LittleEndian.Uint32(b[24:])), len(data))
		require.LessOrEqual(t, off+len(data), len(b))
		require.Equal(t, b[off:off+len(data)], data)
	})
}
