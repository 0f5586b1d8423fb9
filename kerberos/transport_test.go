package kerberos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/engine"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// fakeKDC listens on one loopback port for UDP and TCP. Its UDP side
// either never answers or answers KRB_ERR_RESPONSE_TOO_BIG; its TCP side
// either never answers or relays to the real KDC.
type fakeKDC struct {
	addr          string
	udpHits       atomic.Int32
	tcpHits       atomic.Int32
	tooBig, relay bool
	realKDC       string
}

func startFakeKDC(t *testing.T, tooBig bool, relayTo string) *fakeKDC {
	t.Helper()
	f := &fakeKDC{tooBig: tooBig, relay: relayTo != "", realKDC: relayTo}
	var u net.PacketConn
	var l net.Listener
	for i := 0; i < 20; i++ {
		var err error
		l, err = net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		u, err = net.ListenPacket("udp", l.Addr().String())
		if err == nil {
			break
		}
		l.Close()
	}
	require.NotNil(t, u, "no port free for TCP and UDP")
	f.addr = l.Addr().String()
	t.Cleanup(func() { u.Close(); l.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			_, from, err := u.ReadFrom(buf)
			if err != nil {
				return
			}
			f.udpHits.Add(1)
			if f.tooBig {
				e := wire.KRBError{STime: time.Now().UTC().Truncate(time.Second), ErrorCode: wire.KRBErrResponseTooBig, Realm: "TEST.LOCAL",
					SName: wire.PrincipalName{NameType: wire.NTSrvInst, NameString: []string{"krbtgt", "TEST.LOCAL"}}}
				b, err := e.Marshal()
				if err == nil {
					_, _ = u.WriteTo(b, from)
				}
			}
		}
	}()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			f.tcpHits.Add(1)
			if !f.relay {
				go func() { _, _ = io.Copy(io.Discard, c) }()
				t.Cleanup(func() { c.Close() })
				continue
			}
			go func() {
				defer c.Close()
				r, err := net.Dial("tcp", f.realKDC)
				if err != nil {
					return
				}
				defer r.Close()
				go func() { _, _ = io.Copy(r, c) }()
				_, _ = io.Copy(c, r)
			}()
		}
	}()
	return f
}

// deadAddr is a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	return addr
}

func writeConf(t *testing.T, dir string, udpLimit int, kdcs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[libdefaults]\n\tdefault_realm = TEST.LOCAL\n\tdns_lookup_kdc = false\n\tallow_weak_crypto = true\n")
	if udpLimit > 0 {
		fmt.Fprintf(&b, "\tudp_preference_limit = %d\n", udpLimit)
	}
	b.WriteString("[realms]\n\tTEST.LOCAL = {\n")
	for _, k := range kdcs {
		fmt.Fprintf(&b, "\t\tkdc = %s\n", k)
	}
	b.WriteString("\t}\n")
	path := filepath.Join(dir, fmt.Sprintf("krb5-%d.conf", time.Now().UnixNano()))
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

// logon runs a password logon and a TGS exchange (the first ISC) with the
// given configuration.
func logon(ctx context.Context, conf string, timeout time.Duration) error {
	cred, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, &Config{
		Identity:    &sspi.AuthIdentity{User: "user", Password: "secret"},
		ConfigFiles: []string{conf}, KDCTimeout: timeout, Context: ctx,
	})
	if err != nil {
		return err
	}
	_, _, err = sspi.InitializeSecurityContext(cred, nil, "host/localhost", fullReq, nil, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN, Buffer: make([]byte, 4096)}})
	return err
}

// TestTransport: the KDC transport's failover, timeout, TCP fallback,
// udp_preference_limit and cancellation, with the real KDC behind.
func TestTransport(t *testing.T) {
	r := newRealm(t, false)
	real := fmt.Sprintf("127.0.0.1:%d", r.Port)

	t.Run("failover past a dead and a silent KDC", func(t *testing.T) {
		silent := startFakeKDC(t, false, "")
		start := time.Now()
		require.NoError(t, logon(context.Background(), writeConf(t, r.Dir, 0, deadAddr(t), silent.addr, real), 300*time.Millisecond))
		assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "the silent KDC was waited for")
		assert.NotZero(t, silent.udpHits.Load())
	})
	t.Run("RESPONSE_TOO_BIG falls back to TCP", func(t *testing.T) {
		big := startFakeKDC(t, true, real)
		require.NoError(t, logon(context.Background(), writeConf(t, r.Dir, 0, big.addr), time.Second))
		assert.NotZero(t, big.udpHits.Load())
		assert.NotZero(t, big.tcpHits.Load(), "the request was resent over TCP")
	})
	t.Run("udp_preference_limit 1 means TCP only", func(t *testing.T) {
		relay := startFakeKDC(t, true, real)
		require.NoError(t, logon(context.Background(), writeConf(t, r.Dir, 1, relay.addr), time.Second))
		assert.Zero(t, relay.udpHits.Load())
		assert.NotZero(t, relay.tcpHits.Load())
	})
	t.Run("no KDC answers", func(t *testing.T) {
		err := logon(context.Background(), writeConf(t, r.Dir, 0, deadAddr(t)), 200*time.Millisecond)
		require.Error(t, err)
		assert.Equal(t, engine.SEC_E_NO_AUTHENTICATING_AUTHORITY, sspi.StatusOf(err), "%v", err)
	})
	t.Run("DNS SRV records", func(t *testing.T) {
		conf := filepath.Join(r.Dir, "krb5-srv.conf")
		require.NoError(t, os.WriteFile(conf, []byte("[libdefaults]\n\tdefault_realm = TEST.LOCAL\n\tdns_lookup_kdc = true\n"), 0o600))
		cs, err := acquire("", sspi.SECPKG_CRED_OUTBOUND, &Config{Identity: &sspi.AuthIdentity{User: "user", Password: "secret"}, ConfigFiles: []string{conf}, KDCTimeout: 300 * time.Millisecond})
		require.NoError(t, err)
		var asked []string
		_, deadPort, _ := net.SplitHostPort(deadAddr(t))
		cs.transport.lookupSRV = func(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
			asked = append(asked, fmt.Sprintf("_%s._%s.%s", service, proto, name))
			if proto == "udp" {
				p, _ := strconv.Atoi(deadPort)
				return "", []*net.SRV{{Target: "127.0.0.1.", Port: uint16(p)}}, nil
			}
			return "", []*net.SRV{{Target: ".", Port: 0}, {Target: "127.0.0.1.", Port: uint16(r.Port)}}, nil
		}
		cs.mu.Lock()
		_, err = cs.getTGT(context.Background())
		cs.mu.Unlock()
		require.NoError(t, err, "the TCP SRV record leads to the KDC")
		assert.Contains(t, asked, "_kerberos._udp.TEST.LOCAL")
		assert.Contains(t, asked, "_kerberos._tcp.TEST.LOCAL")
	})
	t.Run("cancellation", func(t *testing.T) {
		silent := startFakeKDC(t, false, "")
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		err := logon(ctx, writeConf(t, r.Dir, 0, silent.addr), time.Minute)
		require.Error(t, err)
		assert.Less(t, time.Since(start), 10*time.Second)
		assert.True(t, errors.Is(err, context.Canceled), "%v", err)
		assert.Equal(t, engine.SEC_E_NO_AUTHENTICATING_AUTHORITY, sspi.StatusOf(err))
	})
}
