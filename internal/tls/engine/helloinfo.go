package engine

import (
	"crypto/tls"
	"errors"
	"net"

	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
)

// netConn is net.Conn, named here so that the Context struct needs no import
// of package net.
type netConn = net.Conn

// SetHelloConn gives the server the connection its ClientHelloInfo reports
// as Conn to GetConfigForClient and GetCertificate. The engine never reads
// or writes it: it only hands it to the callbacks, as crypto/tls does.
func (c *Context) SetHelloConn(conn net.Conn) { c.helloConn = conn }

// clientHelloInfo is the tls.ClientHelloInfo crypto/tls would build from
// hello: every field it fills, so callbacks written for crypto/tls see the
// same thing. Its unexported config and context cannot be set from outside
// crypto/tls, so SupportsCertificate judges with the default configuration
// and Context() returns nil.
func (c *Context) clientHelloInfo(hello *wire.ClientHello, retry bool) *tls.ClientHelloInfo {
	info := &tls.ClientHelloInfo{
		CipherSuites:      hello.CipherSuites,
		ServerName:        hello.ServerName,
		SupportedPoints:   hello.ECPointFormats,
		SupportedProtos:   hello.ALPNProtocols,
		SupportedVersions: hello.SupportedVersions,
		Extensions:        hello.Extensions,
		Conn:              c.helloConn,
		HelloRetryRequest: retry,
	}
	if len(info.SupportedVersions) == 0 {
		// As crypto/tls: without supported_versions, the legacy version and
		// every older one (RFC 8446 4.2.1).
		for v := hello.Vers; v >= tls.VersionTLS10 && v <= tls.VersionTLS12; v-- {
			info.SupportedVersions = append(info.SupportedVersions, v)
		}
	}
	for _, g := range hello.SupportedGroups {
		info.SupportedCurves = append(info.SupportedCurves, tls.CurveID(g))
	}
	for _, s := range hello.SignatureAlgorithms {
		info.SignatureSchemes = append(info.SignatureSchemes, tls.SignatureScheme(s))
	}
	return info
}

// applyConfigForClient calls tls.Config.GetConfigForClient once per
// handshake, on the first ClientHello, and puts the configuration it returns
// in force for the rest of the handshake, as crypto/tls does. A nil config
// keeps the current one; an error fails the handshake with internal_error
// (crypto/tls sends the same alert). The returned configuration's NextProtos,
// when it has some, replace those of a SECBUFFER_APPLICATION_PROTOCOLS input
// buffer, which Conn fills from the outer configuration.
func (c *Context) applyConfigForClient(hello *wire.ClientHello) *sspi.Error {
	get := c.set.cfg.GetConfigForClient
	if get == nil {
		return nil
	}
	cfg, err := get(c.clientHelloInfo(hello, false))
	if err != nil {
		return fail(wire.AlertInternalError, "GetConfigForClient: %v", err)
	}
	if cfg == nil {
		return nil
	}
	if cfg.GetConfigForClient != nil {
		// crypto/tls calls it once; a nested one would be silently ignored.
		cfg = cfg.Clone()
		cfg.GetConfigForClient = nil
	}
	set, serr := newSettings(cfg)
	if serr != nil {
		return failWith(serr.Status, wire.AlertInternalError, serr.Err)
	}
	if len(set.cfg.Certificates) == 0 && set.cfg.GetCertificate == nil {
		return failWith(sspi.SEC_E_NO_CREDENTIALS, wire.AlertInternalError,
			errors.New("schannel: the configuration from GetConfigForClient has neither Certificates nor GetCertificate"))
	}
	c.set = set
	if len(cfg.NextProtos) > 0 {
		c.opts.NextProtos = nil
	}
	if c.opts.TicketKeysFor != nil {
		keys, kerr := c.opts.TicketKeysFor(cfg)
		if kerr != nil {
			return failWith(kerr.Status, wire.AlertInternalError, kerr.Err)
		}
		c.opts.TicketKeys = keys
	}
	return nil
}
