package session_test

import (
	"bytes"
	"time"

	"github.com/gosspi/schannel/internal/tls/session"
)

// baseTime is a fixed "now" for tests that do not move the clock: the start
// of a day, so day-long epochs begin exactly here.
var baseTime = time.Unix(1_700_006_400, 0) // 2023-11-15 00:00:00 UTC

var testRoot = [32]byte{
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
}

type namedState struct {
	name  string
	state session.State
}

// sampleStates covers both versions, the optional fields set and unset, and
// every field at its largest allowed size.
func sampleStates() []namedState {
	created := uint64(baseTime.Unix())
	return []namedState{
		{"tls13-full", session.State{
			Version:          session.VersionTLS13,
			CipherSuite:      0x1301,
			Secret:           bytes.Repeat([]byte{0x13}, 32),
			CreatedAt:        created,
			Lifetime:         session.MaxLifetime,
			AgeAdd:           0xdeadbeef,
			MaxEarlyData:     16384,
			ALPN:             "h2",
			ServerName:       "server.test",
			PeerCertificates: [][]byte{[]byte("leaf certificate"), []byte("intermediate")},
			Group:            0x11ec,
			VerifiedChain:    [][]byte{[]byte("leaf certificate"), []byte("intermediate"), []byte("root")},
		}},
		{"tls13-minimal", session.State{
			Version:     session.VersionTLS13,
			CipherSuite: 0x1302,
			Secret:      []byte{1},
			CreatedAt:   created,
		}},
		{"tls12-ems", session.State{
			Version:              session.VersionTLS12,
			CipherSuite:          0xc02f,
			Secret:               bytes.Repeat([]byte{0x12}, 48),
			ExtendedMasterSecret: true,
			CreatedAt:            created,
			Lifetime:             7200,
			ALPN:                 "http/1.1",
			ServerName:           "server.test",
			PeerCertificates:     [][]byte{[]byte("leaf")},
		}},
		{"largest-fields", session.State{
			Version:          session.VersionTLS13,
			CipherSuite:      0x1303,
			Secret:           bytes.Repeat([]byte{0xff}, session.MaxSecretLen),
			CreatedAt:        created,
			Lifetime:         session.MaxLifetime,
			AgeAdd:           0xffffffff,
			MaxEarlyData:     0xffffffff,
			ALPN:             string(bytes.Repeat([]byte{'a'}, session.MaxNameLen)),
			ServerName:       string(bytes.Repeat([]byte{'n'}, session.MaxNameLen)),
			PeerCertificates: repeatCerts(session.MaxCertificates, 3),
			VerifiedChain:    repeatCerts(session.MaxCertificates, 3),
			AuthenticatedAt:  created - 3600,
		}},
	}
}

func repeatCerts(count, size int) [][]byte {
	certs := make([][]byte, count)
	for i := range certs {
		certs[i] = bytes.Repeat([]byte{byte(i + 1)}, size)
	}
	return certs
}

func mustMarshal(s session.State) []byte {
	b, err := s.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}
