package engine

import (
	"crypto/x509"
	"runtime"
	"sync"
	"weak"
)

// certCache keeps the certificates parsed for live connections by their
// DER, so that the next connection to the same peer, and above all a
// resumption, which carries its peer's chain in its session, need not parse
// it again (crypto/tls keeps a cache of the same kind). Entries are weak:
// once no connection holds a certificate, its entry goes.
var certCache = struct {
	sync.Mutex
	m map[string]weak.Pointer[x509.Certificate]
}{m: make(map[string]weak.Pointer[x509.Certificate])}

// parseCertificateCached is x509.ParseCertificate through certCache. The
// certificates it returns are shared and must not be modified, which
// tls.ConnectionState already asks of its users.
func parseCertificateCached(der []byte) (*x509.Certificate, error) {
	certCache.Lock()
	if cert := certCache.m[string(der)].Value(); cert != nil {
		certCache.Unlock()
		return cert, nil
	}
	certCache.Unlock()
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	key := string(der)
	certCache.Lock()
	certCache.m[key] = weak.Make(cert)
	certCache.Unlock()
	runtime.AddCleanup(cert, func(key string) {
		certCache.Lock()
		if certCache.m[key].Value() == nil {
			delete(certCache.m, key)
		}
		certCache.Unlock()
	}, key)
	return cert, nil
}
