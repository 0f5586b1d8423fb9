package schannel

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosspi/schannel/sspi"
)

// Conn is a TLS connection over a net.Conn, driven through this package's
// SSPI calls exactly as a careful Schannel program drives secur32.dll. It
// implements net.Conn and mirrors crypto/tls.Conn, so replacing tls.Client,
// tls.Server, tls.Dial or tls.NewListener with the functions of this package
// is a one-word change.
//
// The first Read or Write runs the handshake (or call Handshake). One
// goroutine may Read while another Writes; Close may be called from any
// goroutine and unblocks both.
type Conn struct {
	conn       net.Conn
	config     *tls.Config
	isClient   bool
	serverName string // the target name of InitializeSecurityContext
	trace      func(TraceEvent)

	// Handshake. hsMu serialises handshake attempts so that concurrent first
	// callers share one; established publishes its success to the fast path.
	hsMu        sync.Mutex
	hsErr       error
	established atomic.Bool
	cred        *Credentials
	helloCred   *Credentials // cred carrying the socket, for the first handshake call
	ctx         *Context
	flags       uint32      // the ISC_REQ_*/ASC_REQ_* flags of the handshake calls
	sizes       StreamSizes // cached at the end of the handshake
	state       tls.ConnectionState

	// engMu keeps DecryptMessage apart from the other calls on the context
	// after the handshake (the RENEGOTIATE answer, KeyUpdate, shutdown):
	// SSPI allows EncryptMessage in parallel with DecryptMessage and nothing
	// else. It is held only around those calls, never during I/O.
	engMu sync.Mutex

	// Read side, guarded by readMu (in is also used by the handshake, which
	// finishes before any Read gets past it).
	readMu  sync.Mutex
	in      recvBuffer
	plain   []byte // decrypted bytes not yet returned, inside in.buf
	readErr error  // sticky
	// decBufs are DecryptMessage's buffers, kept here rather than on the
	// stack because the SSPI calls go through an interface (the provider),
	// which makes every argument escape: a Read must not allocate.
	decBufs [4]SecBuffer

	// Write side, guarded by writeMu. Whoever changes the write keys or
	// sends a record holds it, so no record is sent twice or out of order.
	writeMu   sync.Mutex
	out       []byte  // buffer of sealed records, from writeBufferPool during a Write
	outPooled *[]byte // the pool's handle on out
	unsent    []byte  // sealed bytes a write deadline cut off; sent before anything else
	// ticketsOwed says that unsent holds only the NewSessionTickets a TLS 1.3
	// server's last AcceptSecurityContext call produced, which go out with
	// the first record written (see handshake). Read reads it without the
	// lock to decide whether to flush them before it waits for the peer.
	ticketsOwed     atomic.Bool
	writeErr        error // sticky
	closeNotifySent bool
	// fatalAlertDue is set by the reader when a failure calls for a fatal
	// alert: nothing else may be written after it, even when the alert
	// itself had to be skipped because a Write held the lock.
	fatalAlertDue atomic.Bool
	encBufs       [4]SecBuffer // EncryptMessage's buffers; see decBufs

	// writeDeadline mirrors the inner conn's write deadline (UnixNano, 0 for
	// none) so that Write can refuse before sealing anything: a record that
	// was sealed must be sent, so it cannot be dropped on a timeout.
	writeDeadline atomic.Int64

	// activeCall interlocks Close with Write as crypto/tls does: bit 0 is set
	// by Close, and every Write or KeyUpdate in progress adds 2. Close does
	// not send close_notify while a write is in progress, since that write
	// may be blocked on a peer that does not read.
	activeCall atomic.Int32
}

// closeNotifyTimeout bounds how long Close waits to send close_notify to a
// peer that does not read.
const closeNotifyTimeout = 5 * time.Second

var (
	errRecordTooLarge  = sspi.Errorf(SEC_E_INTERNAL_ERROR, "schannel: a record larger than the %d-byte receive buffer was announced", recvBufferSize)
	errShutdown        = sspi.Errorf(SEC_E_CONTEXT_EXPIRED, "schannel: write after close_notify (CloseWrite) was sent")
	errEarlyCloseWrite = errors.New("schannel: CloseWrite called before the handshake completed")
	errReadFailed      = sspi.Errorf(SEC_E_CONTEXT_EXPIRED, "schannel: the connection failed while reading; nothing may follow the fatal alert")
)

// Client returns a client-side TLS connection over conn. config must set
// ServerName (the target name) unless InsecureSkipVerify is set; its other
// fields are those of crypto/tls (RootCAs, NextProtos, Certificates...).
// Fields the engine does not honour make the handshake fail with a
// SEC_E_UNSUPPORTED_FUNCTION error rather than being ignored.
//
// conn may already have carried plaintext (STARTTLS), as long as nothing of
// the TLS stream was read from it yet.
func Client(conn net.Conn, config *tls.Config) *Conn {
	c := newConn(conn, config)
	c.isClient = true
	c.serverName = c.config.ServerName
	return c
}

// Server returns a server-side TLS connection over conn. config must have
// Certificates or GetCertificate.
func Server(conn net.Conn, config *tls.Config) *Conn {
	return newConn(conn, config)
}

// ClientWithCredentials is Client on credentials acquired beforehand: the
// Conn then drives whichever security package they belong to, such as the
// system's Schannel through AcquireNativeCredentialsHandle on Windows.
// serverName is the target name given to InitializeSecurityContext.
func ClientWithCredentials(conn net.Conn, cred *Credentials, serverName string) *Conn {
	c := newConn(conn, tlsConfigOf(cred))
	c.isClient = true
	c.cred = cred
	c.serverName = serverName
	return c
}

// ServerWithCredentials is Server on credentials acquired beforehand (see
// ClientWithCredentials).
func ServerWithCredentials(conn net.Conn, cred *Credentials) *Conn {
	c := newConn(conn, tlsConfigOf(cred))
	c.cred = cred
	return c
}

func newConn(conn net.Conn, config *tls.Config) *Conn {
	if config == nil {
		config = &tls.Config{}
	}
	return &Conn{conn: conn, config: config}
}

// SetTrace sets a hook that is called after every SSPI call the Conn makes,
// from whichever goroutine makes it (Read and Write may run at once, so the
// hook must be safe for concurrent use). The hook runs while the Conn holds
// its locks: it must return promptly and must not call the Conn. Call
// SetTrace before the handshake starts.
func (c *Conn) SetTrace(f func(TraceEvent)) { c.trace = f }

// NetConn returns the connection the Conn wraps. Reading from or writing to
// it directly corrupts the TLS stream.
func (c *Conn) NetConn() net.Conn { return c.conn }

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// RemoteAddr returns the remote network address.
func (c *Conn) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }

// SetDeadline sets the read and write deadlines of the connection, the
// handshake included. A Read that times out can be retried once the deadline
// is extended; so can a Write (see Write).
func (c *Conn) SetDeadline(t time.Time) error {
	c.writeDeadline.Store(deadlineNanos(t))
	return c.conn.SetDeadline(t)
}

// SetReadDeadline sets the read deadline of the connection.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline of the connection.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.writeDeadline.Store(deadlineNanos(t))
	return c.conn.SetWriteDeadline(t)
}

func deadlineNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// ConnectionState returns what the handshake negotiated, as crypto/tls
// reports it; the zero value until the handshake has completed.
func (c *Conn) ConnectionState() tls.ConnectionState {
	if !c.established.Load() {
		return tls.ConnectionState{}
	}
	return c.state
}

// StreamSizes returns QueryContextAttributes(SECPKG_ATTR_STREAM_SIZES) of the
// established connection: how Write splits and frames records.
func (c *Conn) StreamSizes() (StreamSizes, error) {
	if !c.established.Load() {
		return StreamSizes{}, sspi.Errorf(SEC_E_INVALID_HANDLE, "schannel: stream sizes are known once the handshake completes")
	}
	return c.sizes, nil
}

// Context returns the SSPI context under the connection, nil until the
// handshake has completed. It is for queries (ConnectionInfo, RemoteCertificate);
// any other call on it while the Conn is in use corrupts the stream.
func (c *Conn) Context() *Context {
	if !c.established.Load() {
		return nil
	}
	return c.ctx
}

// beginWrite registers a Write or KeyUpdate with the Close interlock; it
// fails once Close has been called.
func (c *Conn) beginWrite() bool {
	for {
		x := c.activeCall.Load()
		if x&1 != 0 {
			return false
		}
		if c.activeCall.CompareAndSwap(x, x+2) {
			return true
		}
	}
}

func (c *Conn) endWrite() { c.activeCall.Add(-2) }

// Close sends close_notify (when the handshake has completed and no Write is
// in progress) and closes the connection. A Read or Write blocked in another
// goroutine returns with an error.
//
// close_notify is ApplyControlToken(SCHANNEL_SHUTDOWN) followed by one more
// InitializeSecurityContext/AcceptSecurityContext call whose output is sent.
// Failing to send it (the peer may have closed already) is not reported:
// Close's job is to release the connection, and that still happens.
func (c *Conn) Close() error {
	var x int32
	for {
		x = c.activeCall.Load()
		if x&1 != 0 {
			return net.ErrClosed
		}
		if c.activeCall.CompareAndSwap(x, x|1) {
			break
		}
	}
	if x == 0 && c.established.Load() {
		// The deadline also frees the write lock from a reader that is
		// answering a KeyUpdate to a peer that stopped reading.
		_ = c.conn.SetWriteDeadline(time.Now().Add(closeNotifyTimeout))
		_ = c.closeNotify()
		c.discardUnread()
	}
	return c.conn.Close()
}

// closeDrainWait bounds how long Close reads what has arrived but was never
// read, where the socket cannot be read without blocking.
const closeDrainWait = time.Millisecond

// closeDrainLimit bounds how much Close drops: the peer may keep sending.
const closeDrainLimit = 4 * recvBufferSize

// discardUnread reads and drops what the peer sent that nobody read, unless
// a Read is in progress. A TLS 1.3 server sends a NewSessionTicket after the
// handshake; a client that only writes never reads it, and closing a TCP
// socket with unread data makes the kernel send RST instead of FIN, which
// destroys whatever the peer has not read yet of what we wrote. On Unix
// sockets only what has already arrived is dropped, without waiting, so
// Close costs no time.
func (c *Conn) discardUnread() {
	if !c.readMu.TryLock() {
		return
	}
	defer c.readMu.Unlock()
	if drainReceived(c.conn, closeDrainLimit) {
		return
	}
	if c.conn.SetReadDeadline(time.Now().Add(closeDrainWait)) != nil {
		return
	}
	buf := make([]byte, 4096)
	for range closeDrainLimit / len(buf) {
		if _, err := c.conn.Read(buf); err != nil {
			return
		}
	}
}

// CloseWrite sends close_notify and, when the inner connection supports it
// (*net.TCPConn does), shuts down its writing side. The peer reads io.EOF;
// this side can go on reading.
func (c *Conn) CloseWrite() error {
	if !c.established.Load() {
		return errEarlyCloseWrite
	}
	if err := c.closeNotify(); err != nil {
		return err
	}
	if cw, ok := c.conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// closeNotify sends close_notify once, the way Schannel programs shut down.
func (c *Conn) closeNotify() error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closeNotifySent {
		return nil
	}
	if c.writeErr != nil {
		return c.writeErr
	}
	c.closeNotifySent = true
	var token [4]byte
	token[0] = SCHANNEL_SHUTDOWN // a little-endian DWORD
	out := [2]SecBuffer{{BufferType: SECBUFFER_TOKEN}, {BufferType: SECBUFFER_ALERT}}
	c.engMu.Lock()
	_, err := c.applyControlToken([]SecBuffer{NewSecBuffer(SECBUFFER_TOKEN, token[:])})
	if err == nil {
		_, err = c.handshakeCall(c.flags, nil, out[:])
	}
	c.engMu.Unlock()
	if err != nil {
		return err
	}
	return c.sendLocked(out[0].Buffer[:out[0].Size])
}
