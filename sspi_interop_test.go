package schannel_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sspiStream drives a Context over a net.Conn with nothing but the SSPI
// calls: the minimal loop a Schannel program writes, kept here so the
// engine is tested against crypto/tls independently of Conn.
type sspiStream struct {
	conn   net.Conn
	ctx    *schannel.Context
	cred   *schannel.Credentials
	server bool
	inbox  []byte
	plain  []byte
	// renegotiations counts SEC_I_RENEGOTIATE results (tickets, KeyUpdates).
	renegotiations int
}

func (s *sspiStream) readMore() error {
	buf := make([]byte, 32<<10)
	n, err := s.conn.Read(buf)
	s.inbox = append(s.inbox, buf[:n]...)
	if n > 0 {
		return nil
	}
	return err
}

func (s *sspiStream) step(input []schannel.SecBuffer, flags uint32) (schannel.Status, error) {
	out := []schannel.SecBuffer{{BufferType: schannel.SECBUFFER_TOKEN}, {BufferType: schannel.SECBUFFER_ALERT}}
	var status schannel.Status
	var err error
	if s.server {
		s.ctx, status, err = schannel.AcceptSecurityContext(s.cred, s.ctx, input, flags|schannel.ASC_REQ_ALLOCATE_MEMORY, out)
	} else {
		s.ctx, status, err = schannel.InitializeSecurityContext(s.cred, s.ctx, "example.com", flags|schannel.ISC_REQ_ALLOCATE_MEMORY, input, out)
	}
	toSend := out[0].Buffer
	if err != nil {
		toSend = out[1].Buffer
	}
	if len(toSend) > 0 {
		if _, werr := s.conn.Write(toSend); werr != nil && err == nil {
			err = werr
		}
	}
	return status, err
}

func (s *sspiStream) handshake() error {
	first := !s.server
	for {
		var input []schannel.SecBuffer
		if first {
			first = false
		} else {
			if len(s.inbox) == 0 {
				if err := s.readMore(); err != nil {
					return err
				}
			}
			input = []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_TOKEN, s.inbox), {}}
		}
		status, err := s.step(input, 0)
		switch {
		case status == schannel.SEC_E_INCOMPLETE_MESSAGE:
			if err := s.readMore(); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		if input != nil {
			s.keepExtra(input[1])
		}
		if status == schannel.SEC_E_OK {
			return nil
		}
	}
}

func (s *sspiStream) keepExtra(b schannel.SecBuffer) {
	if b.BufferType == schannel.SECBUFFER_EXTRA {
		s.inbox = append(s.inbox[:0], b.Buffer...)
	} else {
		s.inbox = s.inbox[:0]
	}
}

func (s *sspiStream) write(data []byte) error {
	sizes, err := s.ctx.StreamSizes()
	if err != nil {
		return err
	}
	for len(data) > 0 {
		n := min(len(data), sizes.MaximumMessage)
		buf := make([]byte, sizes.Header+n+sizes.Trailer)
		copy(buf[sizes.Header:], data[:n])
		bufs := []schannel.SecBuffer{
			schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_HEADER, buf[:sizes.Header]),
			schannel.NewSecBuffer(schannel.SECBUFFER_DATA, buf[sizes.Header:sizes.Header+n]),
			schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_TRAILER, buf[sizes.Header+n:]),
			{},
		}
		if _, err := s.ctx.EncryptMessage(0, bufs); err != nil {
			return err
		}
		if _, err := s.conn.Write(buf[:bufs[0].Size+bufs[1].Size+bufs[2].Size]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// readFull decrypts until n plaintext bytes arrived, handling
// SEC_I_RENEGOTIATE and close_notify (io.EOF).
func (s *sspiStream) readFull(n int) ([]byte, error) {
	for len(s.plain) < n {
		if len(s.inbox) == 0 {
			if err := s.readMore(); err != nil {
				return s.plain, err
			}
		}
		bufs := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, s.inbox), {}, {}, {}}
		status, err := s.ctx.DecryptMessage(bufs)
		switch status {
		case schannel.SEC_E_INCOMPLETE_MESSAGE:
			if err := s.readMore(); err != nil {
				return s.plain, err
			}
			continue
		case schannel.SEC_E_OK:
			s.plain = append(s.plain, bufs[1].Buffer...)
			s.keepExtra(bufs[3])
		case schannel.SEC_I_RENEGOTIATE:
			s.renegotiations++
			s.keepExtra(bufs[3])
			input := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_TOKEN, s.inbox), {}}
			if _, err := s.step(input, 0); err != nil {
				return s.plain, err
			}
			s.keepExtra(input[1])
		case schannel.SEC_I_CONTEXT_EXPIRED:
			return s.plain, io.EOF
		default:
			return s.plain, err
		}
	}
	out := s.plain[:n]
	s.plain = s.plain[n:]
	return out, nil
}

func newSSPIStream(t *testing.T, conn net.Conn, cfg *tls.Config, server bool) *sspiStream {
	use := schannel.SECPKG_CRED_OUTBOUND
	if server {
		use = schannel.SECPKG_CRED_INBOUND
	}
	cred, err := schannel.AcquireCredentialsHandle(use, cfg)
	require.NoError(t, err)
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	return &sspiStream{conn: conn, cred: cred, server: server}
}

var (
	allGroups = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521}
	allSuites = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}
	allKeys   = []certgen.KeyType{certgen.ECDSAP256, certgen.ECDSAP384, certgen.ECDSAP521, certgen.RSA2048, certgen.Ed25519}
)

// serverCerts issues one server certificate per key type, once, before
// parallel subtests read the map.
var (
	serverCertsOnce sync.Once
	serverCerts     map[certgen.KeyType]tls.Certificate
)

func serverCert(t *testing.T, k certgen.KeyType) tls.Certificate {
	serverCertsOnce.Do(func() {
		serverCerts = map[certgen.KeyType]tls.Certificate{}
		for _, key := range allKeys {
			serverCerts[key] = pki(t).ca.MustIssue(certgen.LeafOptions{Names: []string{"example.com"}, Key: key})
		}
	})
	return serverCerts[k]
}

// tcpPair returns both ends of a loopback TCP connection. Unlike net.Pipe it
// buffers, so two peers that both write before reading do not deadlock.
func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c1, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	c2 := <-accepted
	require.NotNil(t, c2)
	return c1, c2
}

// TestInteropOurClientWithCryptoTLSServer runs every group, suite and
// certificate key type against a crypto/tls server, which also sends a
// session ticket after the handshake (SEC_I_RENEGOTIATE for our client).
func TestInteropOurClientWithCryptoTLSServer(t *testing.T) {
	serverCert(t, certgen.ECDSAP256)
	for _, group := range allGroups {
		for _, suite := range allSuites {
			for _, key := range allKeys {
				t.Run(fmt.Sprintf("%v/%s/%v", group, tls.CipherSuiteName(suite), key), func(t *testing.T) {
					t.Parallel()
					c1, c2 := tcpPair(t)
					defer c1.Close()
					srv := tls.Server(c2, &tls.Config{Certificates: []tls.Certificate{serverCert(t, key)}, CurvePreferences: []tls.CurveID{group}})
					defer srv.Close()
					go func() {
						buf := make([]byte, 5)
						if _, err := io.ReadFull(srv, buf); err == nil {
							_, _ = srv.Write(append([]byte("echo:"), buf...))
						}
					}()
					cfg := pki(t).clientConfig()
					cfg.CipherSuites = []uint16{suite}
					s := newSSPIStream(t, c1, cfg, false)
					require.NoError(t, s.handshake())
					info, err := s.ctx.ConnectionInfo()
					require.NoError(t, err)
					assert.Equal(t, suite, info.CipherSuite)
					assert.Equal(t, group, info.KeyExchangeGroup)
					require.NoError(t, s.write([]byte("hello")))
					got, err := s.readFull(10)
					require.NoError(t, err)
					assert.Equal(t, "echo:hello", string(got))
					assert.GreaterOrEqual(t, s.renegotiations, 1, "crypto/tls sends a NewSessionTicket")
				})
			}
		}
	}
}

// TestInteropCryptoTLSClientWithOurServer is the other direction.
func TestInteropCryptoTLSClientWithOurServer(t *testing.T) {
	serverCert(t, certgen.ECDSAP256)
	for _, group := range allGroups {
		for _, suite := range allSuites {
			for _, key := range allKeys {
				t.Run(fmt.Sprintf("%v/%s/%v", group, tls.CipherSuiteName(suite), key), func(t *testing.T) {
					t.Parallel()
					c1, c2 := tcpPair(t)
					defer c1.Close()
					defer c2.Close()
					clientDone := make(chan error, 1)
					go func() {
						cli := tls.Client(c1, &tls.Config{RootCAs: pki(t).ca.Pool, ServerName: "example.com", NextProtos: []string{"x", "echo"}})
						defer cli.Close()
						_ = cli.SetDeadline(time.Now().Add(10 * time.Second))
						if _, err := cli.Write([]byte("ping!")); err != nil {
							clientDone <- err
							return
						}
						buf := make([]byte, 10)
						_, err := io.ReadFull(cli, buf)
						if err == nil && string(buf) != "pong:ping!" {
							err = errors.New("unexpected reply " + string(buf))
						}
						if err == nil && cli.ConnectionState().CipherSuite != suite {
							err = errors.New("unexpected suite")
						}
						clientDone <- err
					}()
					cfg := &tls.Config{Certificates: []tls.Certificate{serverCert(t, key)}, CurvePreferences: []tls.CurveID{group},
						CipherSuites: []uint16{suite}, NextProtos: []string{"echo"}}
					s := newSSPIStream(t, c2, cfg, true)
					require.NoError(t, s.handshake())
					got, err := s.readFull(5)
					require.NoError(t, err)
					require.NoError(t, s.write(append([]byte("pong:"), got...)))
					require.NoError(t, <-clientDone)
					info, err := s.ctx.ConnectionInfo()
					require.NoError(t, err)
					assert.Equal(t, group, info.KeyExchangeGroup)
					assert.Equal(t, uint32(schannel.SP_PROT_TLS1_3_SERVER), info.Protocol)
					proto, _ := s.ctx.ApplicationProtocol()
					assert.Equal(t, "echo", proto)
					_, err = s.readFull(1)
					assert.ErrorIs(t, err, io.EOF, "crypto/tls's close_notify ends the stream")
				})
			}
		}
	}
}
