package schannel

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/gosspi/schannel/sspi"
)

// Request flags of the handshake calls: what curl and .NET ask Schannel for
// on a stream connection. ALLOCATE_MEMORY lets the package size the output
// token, so no call fails with SEC_E_BUFFER_TOO_SMALL.
const (
	clientRequestFlags = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY |
		ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_EXTENDED_ERROR | ISC_REQ_STREAM
	serverRequestFlags = ASC_REQ_SEQUENCE_DETECT | ASC_REQ_REPLAY_DETECT | ASC_REQ_CONFIDENTIALITY |
		ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_EXTENDED_ERROR | ASC_REQ_STREAM
)

// recordHeaderLen is the least a handshake can make progress with: nothing
// shorter than a record header can be a message.
const recordHeaderLen = 5

// aLongTimeAgo is a deadline in the past, which makes blocked I/O return.
var aLongTimeAgo = time.Unix(1, 0)

// Handshake runs the TLS handshake if it has not run yet. Read and Write
// call it, so most programs never do; concurrent callers share one
// handshake. A failed handshake fails every later call the same way.
func (c *Conn) Handshake() error { return c.HandshakeContext(context.Background()) }

// HandshakeContext is Handshake that gives up when ctx is done: it sets a
// deadline in the past on the connection, which leaves it unusable, and
// returns ctx.Err(). Deadlines set on the Conn apply as well.
//
// Failures from the SSPI calls wrap their Status:
// errors.Is(err, SEC_E_UNTRUSTED_ROOT) works, and errors.As reaches the
// *Error with the TLS alert that was sent or received.
func (c *Conn) HandshakeContext(ctx context.Context) error {
	if c.established.Load() {
		return nil
	}
	c.hsMu.Lock()
	defer c.hsMu.Unlock()
	if c.hsErr != nil {
		return c.hsErr
	}
	if c.established.Load() {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err // nothing was sent: the handshake may still be tried later
	}
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(aLongTimeAgo) })
	err := c.handshake()
	if !stop() {
		// The deadline was set, whether or not the handshake got through.
		err = ctx.Err()
	}
	if err != nil {
		c.hsErr = err
		return err
	}
	c.in.release() // unless application data arrived with the last flight
	c.established.Store(true)
	return nil
}

// handshake is the ISC/ASC loop of a careful Schannel program:
//
//   - the input is [TOKEN = bytes received and not yet consumed, EMPTY];
//   - SEC_I_CONTINUE_NEEDED: send the output token (possibly empty); when
//     input[1] came back as SECBUFFER_EXTRA those bytes are the next input,
//     and the call is made again at once, without reading;
//   - SEC_E_INCOMPLETE_MESSAGE: read at least the SECBUFFER_MISSING count;
//   - SEC_I_INCOMPLETE_CREDENTIALS: call again with
//     ISC_REQ_USE_SUPPLIED_CREDS (go on without a client certificate);
//   - a failure: send the SECBUFFER_ALERT output and return the error;
//   - SEC_E_OK: send the final token; EXTRA left over is application data
//     that arrived with the last flight, so it stays in the receive buffer
//     for DecryptMessage and never goes back into the handshake.
func (c *Conn) handshake() error {
	if err := c.acquireCredentials(); err != nil {
		return fmt.Errorf("schannel: AcquireCredentialsHandle: %w", err)
	}
	c.flags = serverRequestFlags
	if c.isClient {
		c.flags = clientRequestFlags
	}
	// The ALPN list goes in as Schannel programs pass it, on the first call.
	var protocols []byte
	if len(c.config.NextProtos) > 0 {
		var err error
		if protocols, err = EncodeApplicationProtocols(c.config.NextProtos); err != nil {
			return err
		}
	}
	// A client speaks first, with no input; a server needs a ClientHello.
	haveInput := !c.isClient
	if haveInput {
		if err := c.in.fill(c.conn, recordHeaderLen); err != nil {
			return err
		}
	}
	for {
		var in []SecBuffer
		if haveInput {
			in = []SecBuffer{NewSecBuffer(SECBUFFER_TOKEN, c.in.unconsumed()), {BufferType: SECBUFFER_EMPTY}}
		}
		if c.ctx == nil && protocols != nil {
			in = append(in, NewSecBuffer(SECBUFFER_APPLICATION_PROTOCOLS, protocols))
		}
		out := []SecBuffer{{BufferType: SECBUFFER_TOKEN}, {BufferType: SECBUFFER_ALERT}}
		status, err := c.handshakeCall(c.flags, in, out)
		switch {
		case status == SEC_E_INCOMPLETE_MESSAGE && haveInput:
			missing := 1
			if in[1].BufferType.Kind() == SECBUFFER_MISSING && in[1].Size > 0 {
				missing = in[1].Size
			}
			if err := c.in.fill(c.conn, missing); err != nil {
				return err
			}
			continue
		case status.Failed() || err != nil:
			if alert := out[1]; alert.BufferType.Kind() == SECBUFFER_ALERT && alert.Size > 0 {
				// Best effort: the handshake has failed whatever happens to the alert.
				_, _ = c.conn.Write(alert.Buffer[:alert.Size])
			}
			return c.handshakeError(err, status)
		}
		if haveInput && status != SEC_I_INCOMPLETE_CREDENTIALS {
			c.in.keepExtra(in[1])
		}
		if status == SEC_E_OK {
			if err := c.finishHandshake(); err != nil {
				return err
			}
			return c.sendFinalToken(out[0])
		}
		if token := out[0]; token.Size > 0 {
			if _, err := c.conn.Write(token.Buffer[:token.Size]); err != nil {
				return err
			}
		}
		haveInput = true
		switch status {
		case SEC_I_INCOMPLETE_CREDENTIALS:
			// The server asked for a certificate and the configuration has
			// none that fits: continue without one, as Windows callers do,
			// feeding the same input again (a package may not have consumed
			// it; this engine recognises it and skips what it already used).
			c.flags |= ISC_REQ_USE_SUPPLIED_CREDS
		case SEC_I_CONTINUE_NEEDED:
			if c.in.buffered() == 0 {
				if err := c.in.fill(c.conn, recordHeaderLen); err != nil {
					return err
				}
			}
		default:
			return c.handshakeError(fmt.Errorf("unexpected status %s", status), status)
		}
	}
}

// sendFinalToken sends the output of the call that returned SEC_E_OK. A
// TLS 1.3 server's last call answers the client's Finished with its
// NewSessionTickets, which nobody waits for: the client has finished its
// handshake already. Rather than spend a socket write (and a wake-up of the
// client) on them alone, they are queued in front of the first record this
// side writes, and are sent before the first Read that waits for the network
// or with close_notify if nothing comes sooner. A server that speaks first
// (an SMTP banner, a response to a request that came with the client's
// Finished) thus sends tickets and data in one write, as crypto/tls does by
// sending its tickets with its Finished. Every other final token (a client's
// Finished, a TLS 1.2 server's ChangeCipherSpec and Finished) is awaited by
// the peer and goes out at once.
func (c *Conn) sendFinalToken(token SecBuffer) error {
	if token.Size == 0 {
		return nil
	}
	if !c.isClient && c.state.Version == tls.VersionTLS13 {
		c.writeMu.Lock()
		c.unsent = append(c.unsent, token.Buffer[:token.Size]...)
		c.ticketsOwed.Store(true)
		c.writeMu.Unlock()
		return nil
	}
	_, err := c.conn.Write(token.Buffer[:token.Size])
	return err
}

// flushOwedTickets sends the queued NewSessionTickets before a Read waits
// for the peer, so that a server that reads first still hands them over.
// It never waits for the write lock: a Write that holds it sends them.
func (c *Conn) flushOwedTickets() {
	if !c.ticketsOwed.Load() || !c.writeMu.TryLock() {
		return
	}
	defer c.writeMu.Unlock()
	if c.ticketsOwed.Load() && c.writableLocked() == nil {
		_ = c.sendLocked(nil) // a failure is kept in writeErr for the next Write
	}
}

// handshakeError names the call that failed; the status stays reachable
// through errors.Is and errors.As.
func (c *Conn) handshakeError(err error, status Status) error {
	fn := "AcceptSecurityContext"
	if c.isClient {
		fn = "InitializeSecurityContext"
	}
	if err == nil {
		err = status
	}
	return fmt.Errorf("schannel: %s: %w", fn, err)
}

// finishHandshake caches what the data path and ConnectionState need, so
// that they never query the context while another goroutine uses it.
func (c *Conn) finishHandshake() error {
	sizes, err := c.queryStreamSizes()
	if err != nil {
		return fmt.Errorf("schannel: QueryContextAttributes: %w", err)
	}
	if sizes.MaximumMessage <= 0 || sizes.Header <= 0 {
		return sspi.Errorf(SEC_E_INTERNAL_ERROR, "schannel: unusable stream sizes %+v", sizes)
	}
	c.sizes = sizes
	c.state = c.ctx.ConnectionState()
	return nil
}
