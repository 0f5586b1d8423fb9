package session_test

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"
)

func TestStateRoundTrip(t *testing.T) {
	for _, tc := range sampleStates() {
		t.Run(tc.name, func(t *testing.T) {
			encoded, err := tc.state.Marshal()
			require.NoError(t, err)

			var got session.State
			require.NoError(t, got.Unmarshal(encoded))
			assert.Equal(t, tc.state, got)

			again, err := got.Marshal()
			require.NoError(t, err)
			assert.Equal(t, encoded, again)
		})
	}
}

func TestStateUnmarshalDoesNotAliasInput(t *testing.T) {
	encoded := mustMarshal(sampleStates()[0].state)
	var got session.State
	require.NoError(t, got.Unmarshal(encoded))
	want := sampleStates()[0].state

	for i := range encoded {
		encoded[i] ^= 0xff
	}
	assert.Equal(t, want, got)
}

func TestStateUnmarshalTruncated(t *testing.T) {
	sentinel := session.State{Version: session.VersionTLS12, Secret: []byte("untouched")}
	for _, tc := range sampleStates() {
		t.Run(tc.name, func(t *testing.T) {
			encoded := mustMarshal(tc.state)
			for n := range len(encoded) {
				got := sentinel
				err := got.Unmarshal(encoded[:n])
				assert.ErrorIs(t, err, session.ErrInvalidState, "prefix of %d bytes", n)
				assert.Equal(t, sentinel, got, "failed Unmarshal changed the state")
			}
			got := sentinel
			assert.ErrorIs(t, got.Unmarshal(append(encoded, 0)), session.ErrInvalidState, "trailing byte")
			assert.Equal(t, sentinel, got)
		})
	}
}

// rawState spells out an encoding field by field, so a test can write values
// that Marshal would refuse.
type rawState struct {
	format, ems uint8
	version     uint16
	secret      []byte
	lifetime    uint32
	ageAdd      uint32
	earlyData   uint32
	alpn, name  []byte
	certs       [][]byte
	certList    []byte // used instead of certs when not nil
	authAt      uint64
	group       uint16
	chain       [][]byte
}

func validRaw() rawState {
	return rawState{
		format:  2,
		version: session.VersionTLS13,
		authAt:  uint64(baseTime.Unix()) - 10,
		group:   0x001d,
		secret:  bytes.Repeat([]byte{7}, 32),
		certs:   [][]byte{[]byte("leaf")},
	}
}

func (r rawState) encode() []byte {
	var b cryptobyte.Builder
	b.AddUint8(r.format)
	b.AddUint16(r.version)
	b.AddUint16(0x1301)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(r.secret) })
	b.AddUint8(r.ems)
	b.AddUint64(uint64(baseTime.Unix()))
	b.AddUint32(r.lifetime)
	b.AddUint32(r.ageAdd)
	b.AddUint32(r.earlyData)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(r.alpn) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(r.name) })
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		if r.certList != nil {
			b.AddBytes(r.certList)
			return
		}
		for _, c := range r.certs {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c) })
		}
	})
	b.AddUint64(r.authAt)
	b.AddUint16(r.group)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, c := range r.chain {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c) })
		}
	})
	return b.BytesOrPanic()
}

func TestStateUnmarshalRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*rawState)
	}{
		{"unknown format", func(r *rawState) { r.format = 3 }},
		{"format 1", func(r *rawState) { r.format = 1 }},
		{"authenticated after issue", func(r *rawState) { r.authAt = uint64(baseTime.Unix()) + 1 }},
		{"11 certificates in the verified chain", func(r *rawState) {
			r.chain = append([][]byte{[]byte("leaf")}, repeatCerts(session.MaxCertificates, 1)...)
		}},
		{"empty certificate in the verified chain", func(r *rawState) { r.chain = [][]byte{[]byte("leaf"), {}} }},
		{"verified chain of another leaf", func(r *rawState) { r.chain = [][]byte{[]byte("other"), []byte("root")} }},
		{"verified chain without a peer certificate", func(r *rawState) { r.certs, r.chain = nil, [][]byte{[]byte("root")} }},
		{"format zero", func(r *rawState) { r.format = 0 }},
		{"TLS 1.1", func(r *rawState) { r.version = 0x0302 }},
		{"DTLS 1.3", func(r *rawState) { r.version = 0xfefc }},
		{"empty secret", func(r *rawState) { r.secret = nil }},
		{"secret over 64 bytes", func(r *rawState) { r.secret = make([]byte, session.MaxSecretLen+1) }},
		{"secret of 255 bytes", func(r *rawState) { r.secret = make([]byte, 255) }},
		{"ems byte 2", func(r *rawState) { r.version, r.ems = session.VersionTLS12, 2 }},
		{"ems in TLS 1.3", func(r *rawState) { r.ems = 1 }},
		{"age_add in TLS 1.2", func(r *rawState) { r.version, r.ageAdd = session.VersionTLS12, 1 }},
		{"early data in TLS 1.2", func(r *rawState) { r.version, r.earlyData = session.VersionTLS12, 1 }},
		{"lifetime over 7 days", func(r *rawState) { r.lifetime = session.MaxLifetime + 1 }},
		{"lifetime max uint32", func(r *rawState) { r.lifetime = math.MaxUint32 }},
		{"11 certificates", func(r *rawState) { r.certs = repeatCerts(session.MaxCertificates+1, 1) }},
		{"many tiny certificates", func(r *rawState) { r.certs = repeatCerts(5000, 1) }},
		{"empty certificate", func(r *rawState) { r.certs = [][]byte{[]byte("leaf"), {}} }},
		{"certificate longer than list", func(r *rawState) { r.certList = []byte{0xff, 0xff, 1, 2, 3} }},
		{"half a length", func(r *rawState) { r.certList = []byte{0x00} }},
	}
	require.NoError(t, new(session.State).Unmarshal(validRaw().encode()), "baseline must parse")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := validRaw()
			tc.change(&raw)
			var got session.State
			assert.ErrorIs(t, got.Unmarshal(raw.encode()), session.ErrInvalidState)
			assert.Equal(t, session.State{}, got)
		})
	}
}

func TestStateMarshalRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*session.State)
	}{
		{"version zero", func(s *session.State) { s.Version = 0 }},
		{"TLS 1.0", func(s *session.State) { s.Version = 0x0301 }},
		{"no secret", func(s *session.State) { s.Secret = nil }},
		{"secret over 64 bytes", func(s *session.State) { s.Secret = make([]byte, session.MaxSecretLen+1) }},
		{"lifetime over 7 days", func(s *session.State) { s.Lifetime = session.MaxLifetime + 1 }},
		{"ems in TLS 1.3", func(s *session.State) { s.ExtendedMasterSecret = true }},
		{"age_add in TLS 1.2", func(s *session.State) { s.Version = session.VersionTLS12 }},
		{"ALPN over 255 bytes", func(s *session.State) { s.ALPN = string(make([]byte, session.MaxNameLen+1)) }},
		{"server name over 255 bytes", func(s *session.State) { s.ServerName = string(make([]byte, session.MaxNameLen+1)) }},
		{"11 certificates", func(s *session.State) { s.PeerCertificates = repeatCerts(session.MaxCertificates+1, 1) }},
		{"empty certificate", func(s *session.State) { s.PeerCertificates = [][]byte{{}} }},
		{"certificate over 65535 bytes", func(s *session.State) {
			s.PeerCertificates = [][]byte{make([]byte, session.MaxCertificateLen+1)}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sampleStates()[0].state // TLS 1.3 with age_add and early data set
			tc.change(&s)
			b, err := s.Marshal()
			assert.ErrorIs(t, err, session.ErrInvalidState)
			assert.Nil(t, b)
		})
	}
}

// TestStateExpiredCountsFromAuthentication: a renewed ticket (issued
// lately) of a session authenticated long ago expires with the session.
func TestStateExpiredCountsFromAuthentication(t *testing.T) {
	const authenticated = 1_000_000
	s := session.State{AuthenticatedAt: authenticated, CreatedAt: authenticated + 90, Lifetime: 100}
	assert.False(t, s.Expired(time.Unix(authenticated+100, 0)))
	assert.True(t, s.Expired(time.Unix(authenticated+101, 0)), "renewal does not extend the session")
	s.CreatedAt = authenticated + 200 // a renewal issued after the session's end
	assert.True(t, s.Expired(time.Unix(authenticated+200, 0)))
}

func TestStateExpired(t *testing.T) {
	const created = 1_000_000
	at := func(sec int64) time.Time { return time.Unix(sec, 0) }
	tests := []struct {
		name      string
		createdAt uint64
		lifetime  uint32
		now       time.Time
		expired   bool
	}{
		{"at creation", created, 100, at(created), false},
		{"last second of lifetime", created, 100, at(created + 100), false},
		{"within the last second", created, 100, at(created + 100).Add(999 * time.Millisecond), false},
		{"one second past lifetime", created, 100, at(created + 101), true},
		{"zero lifetime at creation", created, 0, at(created), false},
		{"zero lifetime one second later", created, 0, at(created + 1), true},
		{"created a minute ahead", created, 100, at(created - 60), false},
		{"created more than a minute ahead", created, 100, at(created - 61), true},
		{"lifetime capped at 7 days", created, math.MaxUint32, at(created + session.MaxLifetime + 1), true},
		{"7 days allowed", created, session.MaxLifetime, at(created + session.MaxLifetime), false},
		{"created beyond int64", math.MaxUint64, 100, at(math.MaxInt64), true},
		{"now before 1970, within skew", 0, 100, at(-60), false},
		{"now before 1970, beyond skew", 0, 100, at(-61), true},
		{"now far in the past", created, 100, at(math.MinInt64 / 2), true},
		{"now far in the future", created, 100, at(math.MaxInt64 / 2), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := session.State{CreatedAt: tc.createdAt, Lifetime: tc.lifetime}
			assert.Equal(t, tc.expired, s.Expired(tc.now))
		})
	}
}
