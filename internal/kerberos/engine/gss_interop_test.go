package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/files"
	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/internal/kerberos/wire"
)

// The gss-sample protocol of MIT's krb5-gss-samples: a flags byte, a
// 4-byte big-endian length and the token.
const (
	tokNoop        = 0x01
	tokContext     = 0x02
	tokData        = 0x04
	tokMIC         = 0x08
	tokContextNext = 0x10
	tokWrapped     = 0x20
	tokEncrypted   = 0x40
	tokSendMIC     = 0x80
)

func sendFrame(t *testing.T, c net.Conn, flags byte, tok []byte) {
	t.Helper()
	b := append([]byte{flags}, binary.BigEndian.AppendUint32(nil, uint32(len(tok)))...)
	_, err := c.Write(append(b, tok...))
	require.NoError(t, err)
}

func recvFrame(t *testing.T, c net.Conn) (byte, []byte) {
	t.Helper()
	var h [5]byte
	_, err := io.ReadFull(c, h[:])
	require.NoError(t, err)
	n := binary.BigEndian.Uint32(h[1:])
	require.Less(t, n, uint32(1<<20))
	tok := make([]byte, n)
	_, err = io.ReadFull(c, tok)
	require.NoError(t, err)
	return h[0], tok
}

// gssRealm is a realm with a user, host/localhost in the default keytab
// and a running KDC.
func gssRealm(t *testing.T) (*mitrealm.Realm, string) {
	realm := mitrealm.New(t)
	realm.Admin(t, "addprinc +requires_preauth -pw secret user")
	realm.Admin(t, "addprinc -randkey host/localhost")
	kt := filepath.Join(realm.Dir, "keytab")
	realm.Admin(t, "ktadd -k "+kt+" host/localhost")
	realm.Start(t)
	return realm, kt
}

// TestMITGSSServer: our AS, TGS and AP-REQ against MIT's gss-server, which
// answers with an AP-REP we verify, unwraps our Wrap token and signs the
// message back with a MIC our message layer verifies. With delegation the
// AP-REQ also forwards a TGT (KDCOptForwarded from our TGS exchange), and
// gss-server must decode our KRB-CRED to answer at all.
func TestMITGSSServer(t *testing.T) {
	mitrealm.Require(t, "gss-server")
	for _, delegate := range []bool{false, true} {
		t.Run(fmt.Sprintf("delegate=%v", delegate), func(t *testing.T) {
			testMITGSSServer(t, delegate)
		})
	}
}

func testMITGSSServer(t *testing.T, delegate bool) {
	realm, _ := gssRealm(t)
	as, _, err := runAgainst(t, realm.Port, ASConfig{
		Client: wire.PrincipalName{NameType: wire.NTPrincipal, NameString: []string{"user"}}, Realm: mitrealm.Name, Password: "secret",
		KDCOptions: wire.KDCOptForwardable,
	})
	require.NoError(t, err)
	ticket := func(opts uint32, service ...string) *TGSResult {
		x, err := NewTGS(TGSConfig{Client: as.CName, CRealm: as.CRealm, TGT: as.Ticket, TGTKey: as.Part.Key,
			Service: wire.PrincipalName{NameType: wire.NTSrvHst, NameString: service}, KDCOptions: opts})
		require.NoError(t, err)
		step, err := x.Start()
		require.NoError(t, err)
		tstep, err := x.Receive(sendTCP(t, realm.Port, step.Send.Message))
		require.NoError(t, err)
		return tstep.Result
	}
	svc := ticket(0, "host", "localhost")
	var deleg *DelegatedCredential
	if delegate {
		fwd := ticket(wire.KDCOptForwarded|wire.KDCOptForwardable, "krbtgt", mitrealm.Name)
		require.NotZero(t, fwd.Part.Flags&wire.TktFlagForwarded)
		r := mitrealm.Name
		deleg = &DelegatedCredential{Ticket: fwd.Ticket, Info: wire.KrbCredInfo{
			Key: fwd.Part.Key, PRealm: &r, PName: &as.CName, Flags: &fwd.Part.Flags,
			AuthTime: fwd.Part.AuthTime, StartTime: fwd.Part.StartTime, EndTime: fwd.Part.EndTime,
			SRealm: &r, SName: &fwd.Part.SName,
		}}
	}

	port := freeTCPPort(t)
	logPath := filepath.Join(realm.Dir, "gss-server.log")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := exec.CommandContext(ctx, mitrealm.Require(t, "gss-server"), "-port", fmt.Sprint(port), "-once", "-logfile", logPath, "host@localhost")
	var srvOut syncBuffer
	srv.Stdout, srv.Stderr = &srvOut, &srvOut
	require.NoError(t, srv.Start())
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	c := dialRetry(t, port)
	defer c.Close()

	ini, tok, err := NewInitiator(InitiatorConfig{
		Client: as.CName, CRealm: as.CRealm, Ticket: svc.Ticket, SessionKey: svc.Part.Key,
		Flags:    GSSMutualFlag | GSSReplayFlag | GSSSequenceFlag | GSSConfFlag | GSSIntegFlag,
		Delegate: deleg,
	})
	require.NoError(t, err)
	sendFrame(t, c, tokNoop|tokContextNext, nil)
	sendFrame(t, c, tokContext, tok)
	flags, reply := recvFrame(t, c)
	require.Equal(t, byte(tokContext), flags)
	require.NoError(t, ini.Receive(reply), "MIT's AP-REP verifies")
	keys, ok := ini.Keys()
	require.True(t, ok)
	require.NotNil(t, keys.AcceptorSubkey, "MIT's acceptor sends a subkey")

	ml, err := NewMessageLayer(keys, false)
	require.NoError(t, err)
	msg := []byte("hello from Go")
	wrapped, err := ml.Wrap(msg, true)
	require.NoError(t, err)
	sendFrame(t, c, tokData|tokWrapped|tokEncrypted|tokSendMIC, wrapped)
	flags, mic := recvFrame(t, c)
	require.Equal(t, byte(tokMIC), flags, "gss-server: %s", srvOut.String())
	require.NoError(t, ml.VerifyMIC(msg, mic), "gss-server's MIC over our message")
	sendFrame(t, c, tokNoop, nil)
	require.NoError(t, srv.Wait())
	log, _ := os.ReadFile(logPath)
	assert.Contains(t, string(log)+srvOut.String(), "hello from Go")
}

// TestMITGSSClient: MIT's gss-client (with a ticket from kinit) against
// our acceptor, which verifies its AP-REQ with the keytab read by the
// files package, answers with our AP-REP, unwraps its Wrap token with our
// message layer and sends a MIC that gss-client verifies.
func TestMITGSSClient(t *testing.T) {
	mitrealm.Require(t, "gss-client")
	realm, ktPath := gssRealm(t)
	realm.Run(t, []byte("secret\n"), "kinit", "user")
	kt, err := files.ReadKeytab(ktPath)
	require.NoError(t, err)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cli := exec.CommandContext(ctx, mitrealm.Require(t, "gss-client"), "-port", fmt.Sprint(port), "127.0.0.1", "host@localhost", "hello from MIT")
	var cliOut syncBuffer
	cli.Stdout, cli.Stderr = &cliOut, &cliOut
	require.NoError(t, cli.Start())
	defer func() { _ = cli.Process.Kill() }()

	c, err := l.Accept()
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(time.Minute)))
	flags, _ := recvFrame(t, c)
	require.Equal(t, byte(tokNoop|tokContextNext), flags)
	flags, tok := recvFrame(t, c)
	require.Equal(t, byte(tokContext), flags)
	acc, err := Accept(AcceptorConfig{
		Keys: func(svc wire.PrincipalName, realm string, etype int32, kvno uint32) ([]byte, bool) {
			e, ok := kt.Key(files.Principal{Realm: realm, Components: svc.NameString}, etype, kvno)
			return e.Key, ok
		},
		Replay: NewReplayCache(16, 10*time.Minute),
	}, tok)
	require.NoError(t, err)
	assert.Equal(t, []string{"user"}, acc.Client.NameString)
	assert.NotZero(t, acc.Keys.Flags&GSSMutualFlag)
	require.NotNil(t, acc.PAC, "MIT 1.20 tickets carry a PAC, verified with our key")
	require.NotNil(t, acc.PAC.ClientInfo)
	assert.Equal(t, "user", acc.PAC.ClientInfo.Name)
	require.NotNil(t, acc.Reply)
	sendFrame(t, c, tokContext, acc.Reply)

	flags, wrapped := recvFrame(t, c)
	require.NotZero(t, flags&tokWrapped, "flags %#x, gss-client: %s", flags, cliOut.String())
	ml, err := NewMessageLayer(acc.Keys, true)
	require.NoError(t, err)
	msg, conf, err := ml.Unwrap(wrapped)
	require.NoError(t, err, "gss-client's Wrap token")
	assert.True(t, conf)
	assert.Equal(t, "hello from MIT", strings.TrimRight(string(msg), "\x00"))
	mic, err := ml.MIC(msg)
	require.NoError(t, err)
	sendFrame(t, c, tokMIC, mic)
	flags, _ = recvFrame(t, c)
	assert.Equal(t, byte(tokNoop), flags)
	require.NoError(t, cli.Wait(), "gss-client: %s", cliOut.String())
	assert.Contains(t, cliOut.String(), "Signature verified")
}

func freeTCPPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func dialRetry(t *testing.T, port int) net.Conn {
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			require.NoError(t, c.SetDeadline(time.Now().Add(time.Minute)))
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("gss-server did not listen: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// syncBuffer collects a child process's output while the test reads it
// for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMITGSSClientDelegation: gss-client -d forwards its TGT to our
// acceptor; we store the delegated credential in a cache with the files
// package and MIT's kvno gets a service ticket with it, as a server
// acting for its client would.
func TestMITGSSClientDelegation(t *testing.T) {
	mitrealm.Require(t, "gss-client")
	mitrealm.Require(t, "kvno")
	realm, ktPath := gssRealm(t)
	realm.Admin(t, "addprinc -randkey HTTP/backend")
	realm.Run(t, []byte("secret\n"), "kinit", "-f", "user")
	kt, err := files.ReadKeytab(ktPath)
	require.NoError(t, err)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cli := exec.CommandContext(ctx, mitrealm.Require(t, "gss-client"), "-d", "-port", fmt.Sprint(l.Addr().(*net.TCPAddr).Port),
		"127.0.0.1", "host@localhost", "delegate")
	var cliOut syncBuffer
	cli.Stdout, cli.Stderr = &cliOut, &cliOut
	require.NoError(t, cli.Start())
	defer func() { _ = cli.Process.Kill(); _ = cli.Wait() }()
	c, err := l.Accept()
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(time.Minute)))
	recvFrame(t, c)
	_, tok := recvFrame(t, c)
	acc, err := Accept(AcceptorConfig{
		Keys: func(svc wire.PrincipalName, realm string, etype int32, kvno uint32) ([]byte, bool) {
			e, ok := kt.Key(files.Principal{Realm: realm, Components: svc.NameString}, etype, kvno)
			return e.Key, ok
		},
	}, tok)
	require.NoError(t, err)
	assert.NotZero(t, acc.Keys.Flags&GSSDelegFlag)
	require.Len(t, acc.Delegated, 1, "gss-client -d forwarded one ticket")
	d := acc.Delegated[0]
	assert.Equal(t, []string{"krbtgt", mitrealm.Name}, d.Ticket.SName.NameString)
	require.NotNil(t, d.Info.Flags)
	assert.NotZero(t, *d.Info.Flags&wire.TktFlagForwarded, "a forwarded TGT")

	client := files.Principal{NameType: acc.Client.NameType, Realm: acc.CRealm, Components: acc.Client.NameString}
	server := files.Principal{NameType: wire.NTSrvInst, Realm: mitrealm.Name, Components: d.Ticket.SName.NameString}
	cc := &files.CCache{Version: 4, Principal: client, Credentials: []files.Credential{{
		Client: client, Server: server, KeyType: d.Info.Key.KeyType, Key: d.Info.Key.KeyValue,
		AuthTime: d.Info.AuthTime, StartTime: d.Info.StartTime, EndTime: d.Info.EndTime, RenewTill: d.Info.RenewTill,
		Flags: *d.Info.Flags, Ticket: d.TicketBytes, SecondTicket: []byte{},
	}}}
	path := filepath.Join(realm.Dir, "delegated.ccache")
	require.NoError(t, files.WriteCCache(path, cc))
	out := realm.Run(t, nil, "kvno", "-c", "FILE:"+path, "HTTP/backend")
	assert.Contains(t, out, "HTTP/backend@"+mitrealm.Name+": kvno = 1")
}
