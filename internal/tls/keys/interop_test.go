package keys_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The interop tests use crypto/tls as an independent implementation: they run
// a real handshake over loopback, capture both directions' bytes, take the
// secrets from the key log, and then check that this package derives the same
// keys and opens every protected record Go wrote. RFC 8448 has no TLS 1.2
// trace, so this is the byte-level check for the TLS 1.2 record layer.

// recordingConn keeps a copy of everything written through it.
type recordingConn struct {
	net.Conn
	mu      sync.Mutex
	written bytes.Buffer
}

func (c *recordingConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.written.Write(b)
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *recordingConn) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.written.Bytes())
}

var (
	ecdsaCertificate = sync.OnceValues(func() (tls.Certificate, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return tls.Certificate{}, err
		}
		return selfSigned(key, &key.PublicKey)
	})
	rsaCertificate = sync.OnceValues(func() (tls.Certificate, error) {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return tls.Certificate{}, err
		}
		return selfSigned(key, &key.PublicKey)
	})
)

func selfSigned(key any, pub any) (tls.Certificate, error) {
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "keys interop"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, pub, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// capturedSession is what one crypto/tls connection left behind.
type capturedSession struct {
	clientBytes, serverBytes []byte
	keyLog                   map[string][]byte
	clientRandom             []byte
	state                    tls.ConnectionState
	exported                 []byte // 32 bytes for interopExportLabel and interopExportContext
}

const (
	interopClientMessage = "ping from the crypto/tls client"
	interopServerMessage = "pong from the crypto/tls server"
	interopExportLabel   = "EXPORTER-keys-interop"
	interopExportContext = "context"
)

func runCryptoTLS(t *testing.T, version uint16, suite uint16, cert tls.Certificate) *capturedSession {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()

	var keyLog bytes.Buffer
	clientConfig := &tls.Config{
		InsecureSkipVerify: true,
		MinVersion:         version,
		MaxVersion:         version,
		KeyLogWriter:       &keyLog,
	}
	serverConfig := &tls.Config{
		Certificates:           []tls.Certificate{cert},
		MinVersion:             version,
		MaxVersion:             version,
		SessionTicketsDisabled: true, // keeps the TLS 1.2 server flight to one transcript shape
	}
	if version == tls.VersionTLS12 {
		clientConfig.CipherSuites = []uint16{suite}
		serverConfig.CipherSuites = []uint16{suite}
	}

	serverDone := make(chan error, 1)
	var serverRec *recordingConn
	var serverRecReady sync.WaitGroup
	serverRecReady.Add(1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			serverRecReady.Done()
			serverDone <- err
			return
		}
		serverRec = &recordingConn{Conn: raw}
		serverRecReady.Done()
		server := tls.Server(serverRec, serverConfig)
		defer server.Close()
		buf := make([]byte, len(interopClientMessage))
		if _, err := io.ReadFull(server, buf); err != nil {
			serverDone <- err
			return
		}
		if _, err := server.Write([]byte(interopServerMessage)); err != nil {
			serverDone <- err
			return
		}
		// Wait for the client's close_notify so every record is captured.
		_, err = io.ReadAll(server)
		serverDone <- err
	}()

	raw, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	clientRec := &recordingConn{Conn: raw}
	client := tls.Client(clientRec, clientConfig)
	_, err = client.Write([]byte(interopClientMessage))
	require.NoError(t, err)
	buf := make([]byte, len(interopServerMessage))
	_, err = io.ReadFull(client, buf)
	require.NoError(t, err)
	require.Equal(t, interopServerMessage, string(buf))

	session := &capturedSession{state: client.ConnectionState()}
	session.exported, err = session.state.ExportKeyingMaterial(interopExportLabel, []byte(interopExportContext), 32)
	require.NoError(t, err)
	require.NoError(t, client.Close())
	require.NoError(t, <-serverDone)
	serverRecReady.Wait()

	session.clientBytes = clientRec.bytes()
	session.serverBytes = serverRec.bytes()
	session.keyLog = map[string][]byte{}
	scanner := bufio.NewScanner(&keyLog)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		require.Len(t, fields, 3, "key log line")
		session.keyLog[fields[0]] = mustHex(fields[2])
		session.clientRandom = mustHex(fields[1])
	}
	return session
}

// splitRecords cuts a captured stream into whole records.
func splitRecords(t *testing.T, stream []byte) [][]byte {
	t.Helper()
	var records [][]byte
	for len(stream) > 0 {
		require.GreaterOrEqual(t, len(stream), 5)
		n := 5 + int(binary.BigEndian.Uint16(stream[3:5]))
		require.GreaterOrEqual(t, len(stream), n)
		records = append(records, stream[:n:n])
		stream = stream[n:]
	}
	return records
}

// splitMessages cuts concatenated handshake messages apart.
func splitMessages(t *testing.T, data []byte) [][]byte {
	t.Helper()
	var msgs [][]byte
	for len(data) > 0 {
		require.GreaterOrEqual(t, len(data), 4)
		n := 4 + (int(data[1])<<16 | int(data[2])<<8 | int(data[3]))
		require.GreaterOrEqual(t, len(data), n)
		msgs = append(msgs, data[:n:n])
		data = data[n:]
	}
	return msgs
}

type openedRecord struct {
	contentType uint8
	plaintext   []byte
}

func TestInteropCryptoTLS12(t *testing.T) {
	for _, suite := range keys.Suites12 {
		t.Run(suite.Name, func(t *testing.T) {
			certificate := rsaCertificate
			if suite.ECDSA {
				certificate = ecdsaCertificate
			}
			cert, err := certificate()
			require.NoError(t, err)
			session := runCryptoTLS(t, tls.VersionTLS12, suite.ID, cert)
			require.Equal(t, suite.ID, session.state.CipherSuite)
			master := session.keyLog["CLIENT_RANDOM"]
			require.Len(t, master, 48)

			// Plaintext handshake records come before ChangeCipherSpec,
			// protected ones after.
			split := func(stream []byte) (handshake []byte, protected [][]byte) {
				seenCCS := false
				for _, rec := range splitRecords(t, stream) {
					switch {
					case seenCCS:
						protected = append(protected, rec)
					case rec[0] == 20:
						seenCCS = true
					case rec[0] == 22:
						handshake = append(handshake, rec[5:]...)
					}
				}
				return handshake, protected
			}
			clientHandshake, clientProtected := split(session.clientBytes)
			serverHandshake, serverProtected := split(session.serverBytes)
			serverHello := splitMessages(t, serverHandshake)[0]
			serverRandom := serverHello[6:38]

			clientKey, serverKey, clientIV, serverIV := keys.KeyBlock12(suite, master, session.clientRandom, serverRandom)
			openAll := func(key, iv []byte, records [][]byte) []openedRecord {
				p, err := keys.NewRecordProtection12(suite, key, iv)
				require.NoError(t, err)
				var out []openedRecord
				for _, rec := range records {
					contentType, plaintext, err := p.Open(bytes.Clone(rec))
					require.NoError(t, err)
					out = append(out, openedRecord{contentType, plaintext})
				}
				return out
			}
			fromClient := openAll(clientKey, clientIV, clientProtected)
			fromServer := openAll(serverKey, serverIV, serverProtected)

			require.GreaterOrEqual(t, len(fromClient), 2)
			assert.Equal(t, uint8(22), fromClient[0].contentType, "client Finished")
			assert.Equal(t, openedRecord{23, []byte(interopClientMessage)}, fromClient[1])
			require.GreaterOrEqual(t, len(fromServer), 2)
			assert.Equal(t, uint8(22), fromServer[0].contentType, "server Finished")
			assert.Equal(t, openedRecord{23, []byte(interopServerMessage)}, fromServer[1])

			// The transcript interleaves the two directions: ClientHello,
			// the server's flight, then ClientKeyExchange.
			clientMessages := splitMessages(t, clientHandshake)
			require.Len(t, clientMessages, 2)
			transcript := keys.NewTranscript(suite.Hash)
			transcript.Write(clientMessages[0])
			transcript.Write(serverHandshake)
			transcript.Write(clientMessages[1])
			clientFinished := fromClient[0].plaintext
			assert.Equal(t, keys.VerifyData12(suite.Hash, master, "client finished", transcript.Sum()), clientFinished[4:])
			transcript.Write(clientFinished)
			assert.Equal(t, keys.VerifyData12(suite.Hash, master, "server finished", transcript.Sum()), fromServer[0].plaintext[4:])

			exported, err := keys.ExportKeyingMaterial12(suite.Hash, master, session.clientRandom, serverRandom,
				interopExportLabel, []byte(interopExportContext), 32)
			require.NoError(t, err)
			assert.Equal(t, session.exported, exported)
		})
	}
}

func TestInteropCryptoTLS13(t *testing.T) {
	cert, err := ecdsaCertificate()
	require.NoError(t, err)
	session := runCryptoTLS(t, tls.VersionTLS13, 0, cert)
	suite := keys.Suite13(session.state.CipherSuite)
	require.NotNil(t, suite, "crypto/tls chose %#04x", session.state.CipherSuite)
	t.Logf("crypto/tls negotiated %s", suite.Name)

	// openStream opens a direction's records under the first secret, moving
	// to the next secret at the first record the current one cannot open,
	// and returns the opened records grouped by secret.
	openStream := func(stream []byte, secretNames ...string) (bySecret [][]openedRecord) {
		bySecret = make([][]openedRecord, len(secretNames))
		stage := 0
		p, err := keys.NewRecordProtection13(suite, session.keyLog[secretNames[0]])
		require.NoError(t, err)
		for _, rec := range splitRecords(t, stream) {
			if rec[0] != 23 {
				continue // plaintext hellos and the compatibility ChangeCipherSpec
			}
			for {
				contentType, plaintext, err := p.Open(bytes.Clone(rec))
				if err == nil {
					bySecret[stage] = append(bySecret[stage], openedRecord{contentType, plaintext})
					break
				}
				stage++
				require.Less(t, stage, len(secretNames), "record opens under no known secret")
				p, err = keys.NewRecordProtection13(suite, session.keyLog[secretNames[stage]])
				require.NoError(t, err)
			}
		}
		return bySecret
	}
	fromServer := openStream(session.serverBytes, "SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0")
	fromClient := openStream(session.clientBytes, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0")

	var serverFlight []byte
	for _, rec := range fromServer[0] {
		require.Equal(t, uint8(22), rec.contentType)
		serverFlight = append(serverFlight, rec.plaintext...)
	}
	assert.Contains(t, fromServer[1], openedRecord{23, []byte(interopServerMessage)})
	require.Len(t, fromClient[0], 1, "the client's handshake keys protect only its Finished")
	assert.Equal(t, uint8(22), fromClient[0][0].contentType)
	require.NotEmpty(t, fromClient[1])
	assert.Equal(t, openedRecord{23, []byte(interopClientMessage)}, fromClient[1][0])

	// Rebuild the transcript from the captured hellos and the decrypted
	// flight, and check both Finished messages against it.
	var hellos [][]byte
	for _, stream := range [][]byte{session.clientBytes, session.serverBytes} {
		for _, rec := range splitRecords(t, stream) {
			if rec[0] == 22 {
				hellos = append(hellos, rec[5:])
				break
			}
		}
	}
	require.Len(t, hellos, 2)
	serverMessages := splitMessages(t, serverFlight)
	serverFinished := serverMessages[len(serverMessages)-1]
	require.Equal(t, uint8(20), serverFinished[0])

	transcript := keys.NewTranscript(0)
	transcript.Write(hellos[0])
	transcript.SetHash(suite.Hash)
	transcript.Write(hellos[1])
	for _, msg := range serverMessages[:len(serverMessages)-1] {
		transcript.Write(msg)
	}
	serverKey := keys.FinishedKey(suite.Hash, session.keyLog["SERVER_HANDSHAKE_TRAFFIC_SECRET"])
	assert.True(t, keys.VerifyFinishedMAC(suite.Hash, serverKey, transcript.Sum(), serverFinished[4:]))
	transcript.Write(serverFinished)
	clientKey := keys.FinishedKey(suite.Hash, session.keyLog["CLIENT_HANDSHAKE_TRAFFIC_SECRET"])
	assert.True(t, keys.VerifyFinishedMAC(suite.Hash, clientKey, transcript.Sum(), fromClient[0][0].plaintext[4:]))

	// crypto/tls does not log exporter_master_secret, so the TLS 1.3
	// exporter is checked against RFC 8446 in schedule13_test.go instead.
}
