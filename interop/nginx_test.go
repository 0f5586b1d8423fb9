//go:build linux

package interop_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
)

// nginxConf serves a small page that reports the TLS session, and a large
// file, on 127.0.0.1 with HTTP/1.1 and HTTP/2 (ALPN). master_process off
// keeps it one process that dies with its process group.
const nginxConf = `daemon off;
master_process off;
worker_processes 1;
pid {{DIR}}/nginx.pid;
error_log {{DIR}}/error.log info;
events { worker_connections 64; }
http {
    access_log {{DIR}}/access.log;
    client_body_temp_path {{DIR}}/tmp/body;
    proxy_temp_path {{DIR}}/tmp/proxy;
    fastcgi_temp_path {{DIR}}/tmp/fastcgi;
    uwsgi_temp_path {{DIR}}/tmp/uwsgi;
    scgi_temp_path {{DIR}}/tmp/scgi;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:{{PORT}} ssl http2;
        server_name localhost;
        ssl_certificate {{CERT}};
        ssl_certificate_key {{KEY}};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets on;
        ssl_session_cache shared:interop:1m;
        location = / {
            return 200 "nginx-page proto=$server_protocol tls=$ssl_protocol cipher=$ssl_cipher curve=$ssl_curve reused=$ssl_session_reused alpn=$ssl_alpn_protocol\n";
        }
        location /static/ {
            root {{DIR}}/www;
        }
    }
}
`

// startNginx runs nginx with its own prefix and configuration in a
// temporary directory and returns its address and the large file it serves.
func startNginx(t *testing.T) (addr string, big []byte) {
	t.Helper()
	requirePeer(t, "nginx")
	dir := t.TempDir()
	for _, d := range []string{"tmp", "www/static", "logs"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	big = make([]byte, 3<<20+123) // several hundred records
	_, _ = rand.Read(big)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "www/static/big.bin"), big, 0o644))
	port := peertest.FreePort(t)
	conf := strings.NewReplacer("{{DIR}}", dir, "{{PORT}}", fmt.Sprint(port),
		"{{CERT}}", thePKI.ECDSAFile, "{{KEY}}", thePKI.ECDSAKey).Replace(nginxConf)
	confPath := filepath.Join(dir, "nginx.conf")
	require.NoError(t, os.WriteFile(confPath, []byte(conf), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	p := startProc(t, ctx, "nginx", "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", tail(string(log), 4000))
		}
	})
	waitListening(t, p, hostPort(port), 15*time.Second)
	return hostPort(port), big
}

// TestNginx: net/http and x/net/http2 clients whose connections are our
// Conn, against nginx serving TLS 1.3 and 1.2 on loopback.
func TestNginx(t *testing.T) {
	addr, big := startNginx(t)
	peer := "nginx " + strings.TrimPrefix(peerVersion("nginx", "-v"), "nginx version: nginx/")
	bigSum := sha256.Sum256(big)

	type client struct {
		name  string
		alpn  []string
		proto string // resp.Proto
		// transport builds an http.RoundTripper whose TLS connections are
		// dialed by dial.
		transport func(dial func(ctx context.Context, network, addr string) (net.Conn, error)) (http.RoundTripper, func())
	}
	clients := []client{
		{"net/http HTTP/1.1", []string{"http/1.1"}, "HTTP/1.1",
			func(dial func(ctx context.Context, network, addr string) (net.Conn, error)) (http.RoundTripper, func()) {
				tr := &http.Transport{DialTLSContext: dial, ForceAttemptHTTP2: false, MaxIdleConnsPerHost: 4}
				return tr, tr.CloseIdleConnections
			}},
		{"x/net/http2 h2", []string{"h2"}, "HTTP/2.0",
			func(dial func(ctx context.Context, network, addr string) (net.Conn, error)) (http.RoundTripper, func()) {
				tr := &http2.Transport{DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
					return dial(ctx, network, addr)
				}}
				return tr, tr.CloseIdleConnections
			}},
	}
	for _, v := range versions {
		for _, cl := range clients {
			c := cell{Peer: peer, Ours: "client", Version: v.Name, Feature: cl.name}
			runCell(t, c, "", true, func(t *testing.T, n *notes) {
				ctx := cellContext(t)
				cfg := thePKI.clientConfig()
				cfg.MinVersion, cfg.MaxVersion = v.ID, v.ID
				cfg.NextProtos = cl.alpn
				cfg.ClientSessionCache = tls.NewLRUClientSessionCache(8)
				var dials atomic.Int32
				var last atomic.Pointer[schannel.Conn]
				d := &schannel.Dialer{Config: cfg}
				// The URL names localhost (what the certificate is checked
				// against); every connection goes to nginx's 127.0.0.1.
				dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
					conn, err := d.DialContext(ctx, network, addr)
					if err == nil {
						dials.Add(1)
						last.Store(conn.(*schannel.Conn))
					}
					return conn, err
				}
				rt, closeIdle := cl.transport(dial)
				defer closeIdle()
				hc := &http.Client{Transport: rt, Timeout: cellTimeout}
				url := "https://" + strings.Replace(addr, "127.0.0.1", "localhost", 1)

				get := func(path string) (*http.Response, []byte) {
					t.Helper()
					req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+path, nil)
					require.NoError(t, err)
					resp, err := hc.Do(req)
					require.NoError(t, err)
					defer resp.Body.Close()
					body, err := io.ReadAll(resp.Body)
					require.NoError(t, err)
					require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
					return resp, body
				}

				resp, page := get("/")
				assert.Equal(t, cl.proto, resp.Proto)
				assert.Contains(t, string(page), "nginx-page")
				assert.Contains(t, string(page), "tls="+strings.ReplaceAll(v.Name, "TLS ", "TLSv"))
				conn := last.Load()
				require.NotNil(t, conn)
				assert.Equal(t, cl.alpn[0], conn.ConnectionState().NegotiatedProtocol)
				_, info := connInfo(conn)
				n.add("%s", strings.TrimSpace(strings.TrimPrefix(string(page), "nginx-page ")))

				// A large file on the same connection: many records, read
				// through the HTTP framing.
				_, body := get("/static/big.bin")
				assert.Equal(t, len(big), len(body))
				assert.True(t, bytes.Equal(bigSum[:], sha256Of(body)), "the large file arrived altered")
				_, _ = get("/")
				assert.EqualValues(t, 1, dials.Load(), "requests on one kept-alive connection")
				n.add("3 MiB file intact, 3 requests on 1 connection (%s)", info.CipherSuiteName)

				// A new connection resumes the session.
				closeIdle()
				_, page = get("/")
				assert.EqualValues(t, 2, dials.Load())
				assert.True(t, last.Load().ConnectionState().DidResume, "the second connection did not resume")
				assert.Contains(t, string(page), "reused=r")
				n.add("new connection resumed (nginx reused=r)")
			})
		}
	}
}

// TestNginxHTTPTransport: schannel.HTTPTransport against nginx, which
// offers h2: HTTP/2 chosen by ALPN (HTTP/1.1 with DisableHTTP2), a large
// file and three requests on one connection, Response.TLS set, and a new
// connection resuming the session.
func TestNginxHTTPTransport(t *testing.T) {
	addr, big := startNginx(t)
	peer := "nginx " + strings.TrimPrefix(peerVersion("nginx", "-v"), "nginx version: nginx/")
	bigSum := sha256.Sum256(big)
	for _, v := range versions {
		for _, h2 := range []bool{true, false} {
			feature, proto, alpn := "schannel.HTTPTransport, h2 by ALPN", "HTTP/2.0", "h2"
			if !h2 {
				feature, proto, alpn = "schannel.HTTPTransport, DisableHTTP2", "HTTP/1.1", "http/1.1"
			}
			runCell(t, cell{Peer: peer, Ours: "client", Version: v.Name, Feature: feature}, "", true, func(t *testing.T, n *notes) {
				ctx := cellContext(t)
				cfg := thePKI.clientConfig()
				cfg.MinVersion, cfg.MaxVersion = v.ID, v.ID
				cfg.ClientSessionCache = tls.NewLRUClientSessionCache(8)
				var dials atomic.Int32
				tr := schannel.NewHTTPTransport(cfg)
				tr.Proxy, tr.DisableHTTP2 = nil, !h2
				tr.NetDialer = &net.Dialer{Timeout: cellTimeout, Control: func(string, string, syscall.RawConn) error {
					dials.Add(1)
					return nil
				}}
				defer tr.CloseIdleConnections()
				hc := &http.Client{Transport: tr, Timeout: cellTimeout}
				get := func(path string) (*http.Response, []byte) {
					t.Helper()
					req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+path, nil)
					require.NoError(t, err)
					resp, err := hc.Do(req)
					require.NoError(t, err)
					defer resp.Body.Close()
					body, err := io.ReadAll(resp.Body)
					require.NoError(t, err)
					require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
					return resp, body
				}
				resp, page := get("/")
				assert.Equal(t, proto, resp.Proto)
				require.NotNil(t, resp.TLS, "Response.TLS")
				assert.Equal(t, alpn, resp.TLS.NegotiatedProtocol)
				assert.Equal(t, v.ID, resp.TLS.Version)
				assert.Contains(t, string(page), "alpn="+alpn)
				_, body := get("/static/big.bin")
				assert.True(t, bytes.Equal(bigSum[:], sha256Of(body)), "the large file arrived altered")
				_, _ = get("/")
				assert.EqualValues(t, 1, dials.Load(), "requests on one connection")
				n.add("%s; 3 MiB file intact, 3 requests on 1 connection", strings.TrimSpace(strings.TrimPrefix(string(page), "nginx-page ")))

				tr.CloseIdleConnections()
				resp, page = get("/")
				assert.EqualValues(t, 2, dials.Load())
				assert.True(t, resp.TLS.DidResume, "the second connection did not resume")
				assert.Contains(t, string(page), "reused=r")
				n.add("new connection resumed (nginx reused=r)")
			})
		}
	}
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
