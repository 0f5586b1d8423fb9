package kerberos

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/files"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// TestParseSPN: the target's realm is the SPN's, else [domain_realm]'s,
// else "" (the client realm's KDC is asked and its referral followed),
// as MIT's krb5_get_host_realm leaves it.
func TestParseSPN(t *testing.T) {
	kc, err := files.ParseConfig("test", []byte("[libdefaults]\n\tdefault_realm = A.TEST\n[domain_realm]\n\t.b.test = B.TEST\n\texact.c.test = C.TEST\n"))
	require.NoError(t, err)
	tests := []struct {
		target, realm string
		name          []string
	}{
		{"host/svc.b.test@OTHER.TEST", "OTHER.TEST", []string{"host", "svc.b.test"}},
		{"host/svc.b.test", "B.TEST", []string{"host", "svc.b.test"}},
		{"HTTP/SVC.B.TEST:8080", "B.TEST", []string{"HTTP", "SVC.B.TEST:8080"}},
		{"host/exact.c.test", "C.TEST", []string{"host", "exact.c.test"}},
		{"host/other.c.test", "", []string{"host", "other.c.test"}},
		{"host/localhost", "", []string{"host", "localhost"}},
		{"MSSQLSvc/db.b.test/instance", "B.TEST", []string{"MSSQLSvc", "db.b.test", "instance"}},
	}
	for _, tc := range tests {
		name, realm, err := parseSPN(tc.target, kc)
		require.NoError(t, err, tc.target)
		assert.Equal(t, tc.realm, realm, tc.target)
		assert.Equal(t, wire.PrincipalName{NameType: wire.NTSrvHst, NameString: tc.name}, name, tc.target)
	}
	for _, bad := range []string{"host@svc.b.test", "host/", "/svc", "host/svc@", ""} {
		_, _, err := parseSPN(bad, kc)
		assert.Equal(t, sspi.SEC_E_TARGET_UNKNOWN, sspi.StatusOf(err), bad)
	}
}
