package kerberos

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/engine"
	"github.com/gosspi/schannel/internal/kerberos/files"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

const (
	defaultKDCTimeout = 3 * time.Second
	// maxExchangeSteps bounds the round trips of one exchange: the AS
	// exchange needs at most three (plain, pre-authenticated, skew retry)
	// plus a TCP resend; anything more is a KDC leading us in circles.
	maxExchangeSteps = 6
	// maxUDPReply is the largest datagram we read; a bigger reply comes
	// over TCP after KRB_ERR_RESPONSE_TOO_BIG.
	maxUDPReply = 65535
)

// transport carries KDC messages, above the sans-I/O engine: RFC 4120
// section 7.2 over UDP and TCP, with udp_preference_limit and the
// KRB_ERR_RESPONSE_TOO_BIG fallback, a timeout per KDC and failover across
// the realm's KDCs in krb5.conf order.
type transport struct {
	krb5    *files.Config
	timeout time.Duration
	// dial is net.Dialer.DialContext unless a test replaces it.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// lookupSRV is net.DefaultResolver.LookupSRV unless a test replaces it.
	lookupSRV func(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
}

// run drives an exchange of the engine to its result, sending each of its
// requests through t.
func run[R any](ctx context.Context, t *transport, start func() (engine.Step[R], error), receive func([]byte) (engine.Step[R], error)) (*R, error) {
	return runSteps(ctx, t, maxExchangeSteps, start, receive)
}

// runSteps is run with another bound on the round trips, for exchanges
// that chain several (a service ticket through referrals).
func runSteps[R any](ctx context.Context, t *transport, maxSteps int, start func() (engine.Step[R], error), receive func([]byte) (engine.Step[R], error)) (*R, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	step, err := start()
	for i := 0; err == nil && step.Send != nil; i++ {
		if i == maxSteps {
			return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: the KDC exchange did not finish in %d round trips", maxSteps)
		}
		var reply []byte
		if reply, err = t.exchange(ctx, step.Send); err != nil {
			return nil, err
		}
		step, err = receive(reply)
	}
	if err != nil {
		return nil, err
	}
	if step.Result == nil {
		return nil, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: the KDC exchange ended without a result")
	}
	return step.Result, nil
}

// exchange sends one request to the realm's KDCs until one answers. UDP
// is tried first when the message fits udp_preference_limit (MIT's rule:
// a limit of 1 means always TCP), then TCP on every KDC.
func (t *transport) exchange(ctx context.Context, req *engine.KDCRequest) ([]byte, error) {
	addrs, err := t.kdcs(ctx, req.Realm)
	if err != nil {
		return nil, err
	}
	limit := t.krb5.UDPPreferenceLimit
	if limit == 0 {
		limit = files.DefaultUDPPreferenceLimit
	}
	networks := []string{"udp", "tcp"}
	if req.TCPOnly || len(req.Message) > limit {
		networks = networks[1:]
	}
	var errs []error
	for _, network := range networks {
		for _, addr := range addrs[network] {
			if err := ctx.Err(); err != nil {
				return nil, sspi.Errorf(sspi.SEC_E_NO_AUTHENTICATING_AUTHORITY, "kerberos: KDC exchange cancelled: %w", err)
			}
			reply, err := t.try(ctx, network, addr, req.Message)
			if err == nil {
				return reply, nil
			}
			errs = append(errs, fmt.Errorf("%s %s: %w", network, addr, err))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, sspi.Errorf(sspi.SEC_E_NO_AUTHENTICATING_AUTHORITY, "kerberos: KDC exchange cancelled: %w", err)
	}
	return nil, sspi.Errorf(sspi.SEC_E_NO_AUTHENTICATING_AUTHORITY, "kerberos: no KDC of realm %s answered: %w", req.Realm, errors.Join(errs...))
}

// try is one attempt at one KDC, bounded by the timeout and by ctx.
func (t *transport) try(ctx context.Context, network, addr string, msg []byte) ([]byte, error) {
	timeout := t.timeout
	if timeout <= 0 {
		timeout = defaultKDCTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dial := t.dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	c, err := dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// Closing the connection is what interrupts a blocked read when ctx
	// ends before the deadline (cancellation rather than timeout).
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	if d, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(d)
	}
	if network == "udp" {
		if _, err := c.Write(msg); err != nil {
			return nil, err
		}
		buf := make([]byte, maxUDPReply)
		n, err := c.Read(buf)
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
	// TCP: each message is preceded by its length in four bytes, big
	// endian, whose top bit is reserved and must be zero (RFC 4120 section
	// 7.2.2).
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(msg)), uint32(len(msg)))
	if _, err := c.Write(append(frame, msg...)); err != nil {
		return nil, err
	}
	var n [4]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size&0x80000000 != 0 || size > wire.MaxMessageSize {
		return nil, fmt.Errorf("KDC reply of length %#x refused (more than %d bytes, or the reserved bit set)", size, wire.MaxMessageSize)
	}
	reply := make([]byte, size)
	if _, err := io.ReadFull(c, reply); err != nil {
		return nil, err
	}
	return reply, nil
}

// kdcs lists a realm's KDCs per network: krb5.conf's kdc entries for both,
// else, with dns_lookup_kdc, the SRV records _kerberos._udp.REALM and
// _kerberos._tcp.REALM (RFC 4120 section 7.2.3.2), in the order the
// resolver gives (priority, then weight).
func (t *transport) kdcs(ctx context.Context, realm string) (map[string][]string, error) {
	addrs, cfgErr := t.krb5.KDCAddresses(realm)
	if cfgErr == nil && len(addrs) > 0 {
		return map[string][]string{"udp": addrs, "tcp": addrs}, nil
	}
	if !t.krb5.DNSLookupKDC {
		return nil, sspi.Errorf(sspi.SEC_E_NO_AUTHENTICATING_AUTHORITY, "kerberos: no KDC known for realm %s: %v", realm, cfgErr)
	}
	lookup := t.lookupSRV
	if lookup == nil {
		lookup = net.DefaultResolver.LookupSRV
	}
	out := make(map[string][]string)
	var errs []error
	for _, proto := range []string{"udp", "tcp"} {
		_, srvs, err := lookup(ctx, "kerberos", proto, realm)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, s := range srvs {
			if s.Target == "." || s.Target == "" { // "service not available"
				continue
			}
			out[proto] = append(out[proto], net.JoinHostPort(strings.TrimSuffix(s.Target, "."), strconv.Itoa(int(s.Port))))
		}
	}
	if len(out["udp"])+len(out["tcp"]) == 0 {
		return nil, sspi.Errorf(sspi.SEC_E_NO_AUTHENTICATING_AUTHORITY, "kerberos: no KDC for realm %s in krb5.conf (%v) nor in DNS SRV records: %w", realm, cfgErr, errors.Join(errs...))
	}
	return out, nil
}
