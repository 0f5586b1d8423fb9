package engine

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gosspi/schannel/internal/certgen"
	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pairWith runs a handshake between two engine contexts with the given
// settings; it returns the server's last output (a TLS 1.3 ticket, which the
// tests below do not need) undelivered.
func pairWith(t *testing.T, ccfg, scfg *tls.Config) (*Context, *Context) {
	t.Helper()
	ca, err := certgen.NewCA("engine test")
	require.NoError(t, err)
	ccfg.RootCAs, ccfg.ServerName = ca.Pool, "example.com"
	scfg.Certificates = []tls.Certificate{ca.MustIssue(certgen.LeafOptions{Names: []string{"example.com"}})}
	client, serr := NewClient(ccfg, Options{})
	require.Nil(t, serr)
	server, serr := NewServer(scfg, Options{})
	require.Nil(t, serr)
	toServer := client.Handshake(nil).Output
	for range 10 {
		res := server.Handshake(toServer)
		require.Nil(t, res.Err)
		if client.Established() && server.Established() {
			return client, server
		}
		res = client.Handshake(res.Output)
		require.Nil(t, res.Err)
		toServer = res.Output
	}
	t.Fatal("handshake did not complete")
	return nil, nil
}

// sealAs protects a record of any type with c's live write keys, as a peer
// that breaks the rules would.
func sealAs(t *testing.T, c *Context, typ wire.ContentType, payload []byte) []byte {
	t.Helper()
	header, trailer, _ := c.StreamSizes()
	buf := make([]byte, header+len(payload)+trailer)
	copy(buf[header:], payload)
	n, err := c.Encrypt(buf, typ, len(payload))
	require.Nil(t, err)
	return buf[:n]
}

// receive runs Decrypt on rec, and Handshake on what it hands back.
func receive(c *Context, rec []byte) sspi.Status {
	res := c.Decrypt(rec)
	if res.Status != sspi.SEC_I_RENEGOTIATE {
		return res.Status
	}
	return c.Handshake(rec[res.ExtraStart:]).Status
}

// TestPostHandshakeMessagesCountAsEmptyRecords: KeyUpdate, NewSessionTicket
// and HelloRequest carry no application data, so 33 of them in a row end
// the connection like 33 empty records do; application data between them
// resets the count.
func TestPostHandshakeMessagesCountAsEmptyRecords(t *testing.T) {
	ticket, err := (&wire.NewSessionTicket13{Lifetime: 1, Nonce: []byte{0}, Ticket: []byte{1}}).Marshal()
	require.NoError(t, err)
	cases := []struct {
		name     string
		maxVers  uint16
		toServer bool // the flood goes from client to server
		message  func(t *testing.T, from *Context) []byte
	}{
		{"KeyUpdate", tls.VersionTLS13, true, func(t *testing.T, from *Context) []byte {
			res := from.KeyUpdate(false)
			require.Nil(t, res.Err)
			return res.Output
		}},
		{"NewSessionTicket", tls.VersionTLS13, false, func(t *testing.T, from *Context) []byte {
			return sealAs(t, from, wire.ContentHandshake, ticket)
		}},
		{"HelloRequest", tls.VersionTLS12, false, func(t *testing.T, from *Context) []byte {
			return sealAs(t, from, wire.ContentHandshake, []byte{0, 0, 0, 0})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, server := pairWith(t, &tls.Config{MaxVersion: tc.maxVers}, &tls.Config{})
			from, to := server, client
			if tc.toServer {
				from, to = client, server
			}
			for range 32 {
				require.Equal(t, sspi.SEC_E_OK, receive(to, tc.message(t, from)))
			}
			require.Equal(t, sspi.SEC_E_OK, receive(to, sealAs(t, from, wire.ContentApplicationData, []byte("x"))))
			for i := range 32 {
				require.Equal(t, sspi.SEC_E_OK, receive(to, tc.message(t, from)), "message %d after data", i)
			}
			status := receive(to, tc.message(t, from))
			assert.Equal(t, sspi.SEC_E_ILLEGAL_MESSAGE, status, "the 33rd in a row ends the connection")
			require.NotNil(t, to.failure)
			assert.Equal(t, int(wire.AlertUnexpectedMessage), to.failure.Alert)
		})
	}
}

// TestPostHandshakeRecordRules: nothing may follow a KeyUpdate in its
// record, and nothing may come between the fragments of a post-handshake
// message (RFC 8446 section 5.1).
func TestPostHandshakeRecordRules(t *testing.T) {
	ticket, err := (&wire.NewSessionTicket13{Lifetime: 1, Nonce: []byte{0}, Ticket: []byte{1}}).Marshal()
	require.NoError(t, err)
	keyUpdate, err := (&wire.KeyUpdate{}).Marshal()
	require.NoError(t, err)

	t.Run("bytes after KeyUpdate", func(t *testing.T) {
		client, server := pairWith(t, &tls.Config{}, &tls.Config{})
		status := receive(server, sealAs(t, client, wire.ContentHandshake, append(keyUpdate, ticket[:2]...)))
		assert.Equal(t, sspi.SEC_E_ILLEGAL_MESSAGE, status)
		require.NotNil(t, server.failure)
		assert.Equal(t, int(wire.AlertUnexpectedMessage), server.failure.Alert)
	})
	t.Run("a whole message after KeyUpdate", func(t *testing.T) {
		client, server := pairWith(t, &tls.Config{}, &tls.Config{})
		status := receive(server, sealAs(t, client, wire.ContentHandshake, append(keyUpdate, keyUpdate...)))
		assert.Equal(t, sspi.SEC_E_ILLEGAL_MESSAGE, status)
	})
	t.Run("two tickets in one record are fine", func(t *testing.T) {
		client, server := pairWith(t, &tls.Config{}, &tls.Config{})
		status := receive(client, sealAs(t, server, wire.ContentHandshake, append(ticket, ticket...)))
		assert.Equal(t, sspi.SEC_E_OK, status)
	})
	for _, between := range []struct {
		name    string
		typ     wire.ContentType
		payload []byte
	}{
		{"application data", wire.ContentApplicationData, []byte("x")},
		{"empty application data", wire.ContentApplicationData, nil},
		{"user_canceled", wire.ContentAlert, []byte{1, byte(wire.AlertUserCanceled)}},
	} {
		t.Run(between.name+" between the fragments of a ticket", func(t *testing.T) {
			client, server := pairWith(t, &tls.Config{}, &tls.Config{})
			require.Equal(t, sspi.SEC_E_OK, receive(client, sealAs(t, server, wire.ContentHandshake, ticket[:5])))
			res := client.Decrypt(sealAs(t, server, between.typ, between.payload))
			assert.Equal(t, sspi.SEC_E_ILLEGAL_MESSAGE, res.Status)
			require.NotNil(t, res.Err)
			assert.Equal(t, int(wire.AlertUnexpectedMessage), res.Err.Alert)
		})
	}
}

// TestTLS12RecordVersionAfterServerHello: once TLS 1.2 is chosen every
// record says 0x0303 (RFC 5246 section 6.2.1).
func TestTLS12RecordVersionAfterServerHello(t *testing.T) {
	for _, vers := range []uint16{wire.VersionTLS10, wire.VersionTLS11, wire.VersionTLS13} {
		ca, err := certgen.NewCA("engine test")
		require.NoError(t, err)
		client, serr := NewClient(&tls.Config{RootCAs: ca.Pool, ServerName: "example.com", MaxVersion: tls.VersionTLS12}, Options{})
		require.Nil(t, serr)
		server, serr := NewServer(&tls.Config{Certificates: []tls.Certificate{ca.MustIssue(certgen.LeafOptions{Names: []string{"example.com"}})}}, Options{})
		require.Nil(t, serr)
		flight := server.Handshake(client.Handshake(nil).Output)
		require.Nil(t, flight.Err)
		// Our server sends its flight as one record per message: the
		// ServerHello first, then the Certificate.
		_, _, n, _ := wire.ParseRecordHeader(flight.Output)
		out := append([]byte{}, flight.Output...)
		out[5+n+1], out[5+n+2] = byte(vers>>8), byte(vers)
		res := client.Handshake(out)
		assert.Equal(t, sspi.SEC_E_ILLEGAL_MESSAGE, res.Status, "version %#04x", vers)
		require.NotNil(t, res.Err)
		assert.Equal(t, int(wire.AlertProtocolVersion), res.Err.Alert)
		assert.NotEmpty(t, res.Alert, "the alert goes back")
	}
}

// TestTLS12NothingFollowsFinished: the client's TLS 1.2 Finished ends the
// server's handshake; bytes after it in its record (here the start of a
// HelloRequest, which would otherwise be taken as post-handshake data) are
// unexpected_message.
func TestTLS12NothingFollowsFinished(t *testing.T) {
	for _, extra := range [][]byte{nil, {0, 0}, {0, 0, 0, 0}} {
		ca, err := certgen.NewCA("engine test")
		require.NoError(t, err)
		client, serr := NewClient(&tls.Config{RootCAs: ca.Pool, ServerName: "example.com", MaxVersion: tls.VersionTLS12}, Options{})
		require.Nil(t, serr)
		server, serr := NewServer(&tls.Config{Certificates: []tls.Certificate{ca.MustIssue(certgen.LeafOptions{Names: []string{"example.com"}})},
			SessionTicketsDisabled: true}, Options{})
		require.Nil(t, serr)
		flight := server.Handshake(client.Handshake(nil).Output)
		require.Nil(t, flight.Err)
		second := client.Handshake(flight.Output)
		require.Nil(t, second.Err)
		// [ClientKeyExchange][ChangeCipherSpec][Finished]: open the Finished
		// with the client's write keys and seal it again with extra bytes.
		out := second.Output
		var recs [][]byte
		for len(out) > 0 {
			_, _, n, ok := wire.ParseRecordHeader(out)
			require.True(t, ok)
			recs = append(recs, out[:5+n])
			out = out[5+n:]
		}
		require.Len(t, recs, 3)
		block := client.hs.clientKeyBlock
		opener, kerr := keys.NewRecordProtection12(client.hs.suite, block[0], block[1])
		require.NoError(t, kerr)
		_, fin, kerr := opener.Open(append([]byte{}, recs[2]...))
		require.NoError(t, kerr)
		sealer, kerr := keys.NewRecordProtection12(client.hs.suite, block[0], block[1])
		require.NoError(t, kerr)
		payload := append(append([]byte{}, fin...), extra...)
		header, trailer := sealer.Overhead()
		buf := make([]byte, header+len(payload)+trailer)
		copy(buf[header:], payload)
		n, kerr := sealer.Seal(buf, uint8(wire.ContentHandshake), len(payload))
		require.NoError(t, kerr)
		in := append(append(append([]byte{}, recs[0]...), recs[1]...), buf[:n]...)
		res := server.Handshake(in)
		if extra == nil {
			assert.Equal(t, sspi.SEC_E_OK, res.Status, "%v", res.Err)
			continue
		}
		assert.Equal(t, sspi.SEC_E_ILLEGAL_MESSAGE, res.Status, "%d bytes after Finished", len(extra))
		require.NotNil(t, res.Err)
		assert.Equal(t, int(wire.AlertUnexpectedMessage), res.Err.Alert)
	}
}

// TestRecordVersionAfterTheHandshake: DecryptMessage holds records to
// 0x0303 too, in both versions.
func TestRecordVersionAfterTheHandshake(t *testing.T) {
	for _, vers := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		client, server := pairWith(t, &tls.Config{MaxVersion: vers}, &tls.Config{})
		rec := sealAs(t, client, wire.ContentApplicationData, []byte("x"))
		rec[2] = 1
		res := server.Decrypt(rec)
		assert.Equal(t, sspi.SEC_E_DECRYPT_FAILURE, res.Status, "%#04x", vers)
		require.NotNil(t, res.Err)
		assert.Equal(t, int(wire.AlertProtocolVersion), res.Err.Alert, "%#04x: %v", vers, res.Err)
	}
}

// TestTLS13NothingFollowsTheClientFinished: the client's Finished changes
// the server's read keys; bytes after it in its record are
// unexpected_message.
func TestTLS13NothingFollowsTheClientFinished(t *testing.T) {
	var keyLog bytes.Buffer
	client, serr := NewClient(&tls.Config{InsecureSkipVerify: true, KeyLogWriter: &keyLog}, Options{})
	require.Nil(t, serr)
	ca, err := certgen.NewCA("engine test")
	require.NoError(t, err)
	server, serr := NewServer(&tls.Config{Certificates: []tls.Certificate{ca.MustIssue(certgen.LeafOptions{Names: []string{"example.com"}})}}, Options{})
	require.Nil(t, serr)
	flight := server.Handshake(client.Handshake(nil).Output)
	require.Nil(t, flight.Err)
	second := client.Handshake(flight.Output)
	require.Nil(t, second.Err)
	require.Equal(t, sspi.SEC_E_OK, second.Status)
	var secret []byte
	for _, line := range strings.Split(keyLog.String(), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "CLIENT_HANDSHAKE_TRAFFIC_SECRET" {
			secret, err = hex.DecodeString(f[2])
			require.NoError(t, err)
		}
	}
	require.NotNil(t, secret)
	// [ChangeCipherSpec][Finished]: open the Finished and seal it again
	// with the start of a KeyUpdate behind it.
	out := second.Output
	require.Equal(t, []byte{20, 3, 3, 0, 1, 1}, out[:6])
	opener, kerr := keys.NewRecordProtection13(client.suite, secret)
	require.NoError(t, kerr)
	_, fin, kerr := opener.Open(append([]byte{}, out[6:]...))
	require.NoError(t, kerr)
	sealer, kerr := keys.NewRecordProtection13(client.suite, secret)
	require.NoError(t, kerr)
	payload := append(append([]byte{}, fin...), 24, 0)
	header, trailer := sealer.Overhead()
	buf := make([]byte, header+len(payload)+trailer)
	copy(buf[header:], payload)
	n, kerr := sealer.Seal(buf, uint8(wire.ContentHandshake), len(payload))
	require.NoError(t, kerr)
	res := server.Handshake(append(append([]byte{}, out[:6]...), buf[:n]...))
	assert.Equal(t, sspi.SEC_E_ILLEGAL_MESSAGE, res.Status)
	require.NotNil(t, res.Err)
	assert.Equal(t, int(wire.AlertUnexpectedMessage), res.Err.Alert, "%v", res.Err)
}
