package schannel

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
)

// Dial connects to addr and runs the client handshake, as tls.Dial does.
// When config.ServerName is empty the host part of addr is used (on a copy
// of config; the caller's is not modified).
func Dial(network, addr string, config *tls.Config) (*Conn, error) {
	return dial(context.Background(), new(net.Dialer), network, addr, config, nil)
}

// DialWithDialer is Dial with the given net.Dialer. Its Timeout and Deadline
// bound the connection and the handshake together.
func DialWithDialer(dialer *net.Dialer, network, addr string, config *tls.Config) (*Conn, error) {
	return dial(context.Background(), dialer, network, addr, config, nil)
}

// Dialer dials TLS connections. Its DialContext fits
// http.Transport.DialTLSContext:
//
//	d := &schannel.Dialer{Config: &tls.Config{RootCAs: pool}}
//	client := &http.Client{Transport: &http.Transport{DialTLSContext: d.DialContext}}
type Dialer struct {
	// NetDialer dials the underlying connection; nil means a zero
	// net.Dialer. Its Timeout and Deadline also bound the handshake.
	NetDialer *net.Dialer
	// Config is the TLS configuration; nil means the defaults, with the
	// server name taken from the address.
	Config *tls.Config
	// Trace, if set, receives every SSPI call of the connections dialed
	// (see Conn.SetTrace).
	Trace func(TraceEvent)
}

// Dial connects to addr and runs the handshake. The returned net.Conn is a
// *Conn.
func (d *Dialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

// DialContext connects to addr and runs the handshake; ctx bounds both. The
// returned net.Conn is a *Conn.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	netDialer := d.NetDialer
	if netDialer == nil {
		netDialer = new(net.Dialer)
	}
	c, err := dial(ctx, netDialer, network, addr, d.Config, d.Trace)
	if err != nil {
		return nil, err // not a nil *Conn inside a non-nil net.Conn
	}
	return c, nil
}

func dial(ctx context.Context, netDialer *net.Dialer, network, addr string, config *tls.Config, trace func(TraceEvent)) (*Conn, error) {
	if netDialer.Timeout != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, netDialer.Timeout)
		defer cancel()
	}
	if !netDialer.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, netDialer.Deadline)
		defer cancel()
	}
	if config == nil {
		config = &tls.Config{}
	}
	if config.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		config = config.Clone()
		config.ServerName = host
	}
	raw, err := netDialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	conn := Client(raw, config)
	conn.trace = trace
	if err := conn.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, err
	}
	return conn, nil
}

// ListenerOption configures the listeners of NewListener and Listen.
type ListenerOption func(*listener)

// WithTrace sets the trace hook of every connection a listener accepts (see
// Conn.SetTrace). The hook is shared, so it sees calls of many connections
// at once.
func WithTrace(f func(TraceEvent)) ListenerOption {
	return func(l *listener) { l.trace = f }
}

type listener struct {
	net.Listener
	config *tls.Config
	trace  func(TraceEvent)
}

// Accept waits for a connection and returns it as a server-side *Conn. The
// handshake runs on the connection's first Read or Write (or Handshake), so
// a slow client does not hold up Accept.
func (l *listener) Accept() (net.Conn, error) {
	raw, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := Server(raw, l.config)
	c.trace = l.trace
	return c, nil
}

// NewListener returns a listener whose Accept wraps each connection of inner
// with Server(conn, config), as tls.NewListener does.
func NewListener(inner net.Listener, config *tls.Config, opts ...ListenerOption) net.Listener {
	l := &listener{Listener: inner, config: config}
	for _, opt := range opts {
		opt(l)
	}
	return l
}

// Listen creates a TLS listener on network and laddr, as tls.Listen does.
// config must have Certificates or GetCertificate.
func Listen(network, laddr string, config *tls.Config, opts ...ListenerOption) (net.Listener, error) {
	if config == nil || (len(config.Certificates) == 0 && config.GetCertificate == nil) {
		return nil, errors.New("schannel: neither Certificates nor GetCertificate set in the tls.Config")
	}
	inner, err := net.Listen(network, laddr)
	if err != nil {
		return nil, err
	}
	return NewListener(inner, config, opts...), nil
}
