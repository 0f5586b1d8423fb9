package digest

import (
	"crypto/x509"

	"github.com/gosspi/schannel/sspi"
)

// EndpointBindings is tls-server-end-point (RFC 5929 section 4.1) for a
// server certificate, laid out as the SEC_CHANNEL_BINDINGS structure a
// SECBUFFER_CHANNEL_BINDINGS buffer holds: what Middleware.ChannelBindings
// returns for a TLS server, and what Transport sends from the server's
// certificate. It is sspi.EndpointBindings.
func EndpointBindings(cert *x509.Certificate) ([]byte, error) {
	return sspi.EndpointBindings(cert)
}
