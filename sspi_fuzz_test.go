package schannel_test

import (
	"testing"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/require"
)

// The SSPI fuzz targets feed arbitrary bytes to the public calls. Beyond "no
// panic" they hold every call to the buffer rules of SSPI.md: MISSING only
// with SEC_E_INCOMPLETE_MESSAGE and with the exact count, EXTRA the trailing
// bytes of the input and never more than it, DecryptMessage's four buffers
// adding up to its input, and no success status for bytes nobody with the
// keys produced. Seeds are built with the *testing.F each target is given,
// so a broken seed fails the target instead of vanishing.

// checkedHandshakeCall runs one handshake call on p.inbox, checks the
// buffers it returns, and consumes what it used.
func checkedHandshakeCall(t *testing.T, p *sspiPeer) schannel.Status {
	t.Helper()
	inbox := p.inbox
	input := []schannel.SecBuffer{
		schannel.NewSecBuffer(schannel.SECBUFFER_TOKEN, inbox),
		schannel.NewSecBuffer(schannel.SECBUFFER_EMPTY, nil),
	}
	output := []schannel.SecBuffer{{BufferType: schannel.SECBUFFER_TOKEN}, {BufferType: schannel.SECBUFFER_ALERT}}
	var status schannel.Status
	var err error
	if p.server {
		p.ctx, status, err = schannel.AcceptSecurityContext(p.cred, p.ctx, input, schannel.ASC_REQ_ALLOCATE_MEMORY, output)
	} else {
		p.ctx, status, err = schannel.InitializeSecurityContext(p.cred, p.ctx, p.target, schannel.ISC_REQ_ALLOCATE_MEMORY, input, output)
	}
	require.Equal(t, status.Failed(), err != nil, "an error goes with a failure status and only then: %s %v", status, err)
	missing := input[1].BufferType == schannel.SECBUFFER_MISSING
	require.Equal(t, status == schannel.SEC_E_INCOMPLETE_MESSAGE, missing, "MISSING with SEC_E_INCOMPLETE_MESSAGE and only then (%s)", status)
	if missing {
		require.Positive(t, input[1].Size)
		require.Equal(t, expectedMissing(inbox), input[1].Size, "MISSING count for %d bytes", len(inbox))
		require.Empty(t, output[0].Buffer, "no output with SEC_E_INCOMPLETE_MESSAGE")
		return status
	}
	if status.Failed() {
		require.Empty(t, output[0].Buffer, "a failure sends no token, only an alert")
		return status
	}
	consumed := len(inbox)
	if input[1].BufferType == schannel.SECBUFFER_EXTRA {
		require.Positive(t, input[1].Size)
		require.LessOrEqual(t, input[1].Size, len(inbox), "EXTRA cannot exceed the input")
		require.Equal(t, input[1].Size, len(input[1].Buffer))
		consumed -= input[1].Size
		require.Equal(t, inbox[consumed:], input[1].Buffer, "EXTRA is the trailing bytes")
	} else {
		require.Equal(t, schannel.SECBUFFER_EMPTY, input[1].BufferType)
	}
	p.inbox = inbox[consumed:]
	return status
}

// FuzzDecryptMessage feeds arbitrary bytes to DecryptMessage on an
// established context. Nothing the fuzzer writes can carry the peer's
// keys, so every record must fail; until one does, the four buffers must
// describe the input exactly.
func FuzzDecryptMessage(f *testing.F) {
	p := pki(f)
	client, server := newPeers(f, p.clientConfig(), p.serverConfig())
	require.NoError(f, handshakePair(f, client, server, allAtOnce))
	f.Add(encrypt(f, client.ctx, []byte("a record for another connection")))
	f.Add([]byte{23, 3, 3, 0, 17, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})
	f.Add([]byte{23, 3, 3, 0, 0})
	f.Add([]byte{21, 3, 3, 0, 2, 1, 0})
	f.Add([]byte{23, 3, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, server := established(t, p.clientConfig(), p.serverConfig())
		in := append([]byte{}, data...)
		bufs := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, in), {}, {}, {}}
		status, err := server.ctx.DecryptMessage(bufs)
		require.True(t, status.Failed(), "bytes without the peer's keys were accepted: %s", status)
		require.Error(t, err)
		missing := bufs[0].BufferType == schannel.SECBUFFER_MISSING
		require.Equal(t, status == schannel.SEC_E_INCOMPLETE_MESSAGE, missing, "MISSING with SEC_E_INCOMPLETE_MESSAGE and only then (%s)", status)
		if missing {
			require.Equal(t, expectedMissing(in), bufs[0].Size, "MISSING count for %d bytes", len(in))
			// Nothing changed: the same bytes fail the same way again.
			again := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, in), {}, {}, {}}
			status2, _ := server.ctx.DecryptMessage(again)
			require.Equal(t, status, status2)
			return
		}
		for _, b := range bufs[1:] {
			require.NotEqual(t, schannel.SECBUFFER_EXTRA, b.BufferType, "no EXTRA with a failure")
		}
		// A failed context stays failed.
		again := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, append([]byte{}, data...)), {}, {}, {}}
		status2, _ := server.ctx.DecryptMessage(again)
		require.True(t, status2.Failed())
	})
}

// FuzzAcceptSecurityContext feeds arbitrary bytes to a server as its first
// input, whole and then one byte at a time: the buffer rules every call, no
// SEC_E_OK (a server cannot finish on a client's first flight), and the same
// verdict either way.
func FuzzAcceptSecurityContext(f *testing.F) {
	p := pki(f)
	client, _ := newPeers(f, p.clientConfig(), p.serverConfig())
	_, hello, err := client.call(f)
	require.NoError(f, err)
	f.Add(hello)
	f.Add(append(hello[:len(hello):len(hello)], 23, 3, 3, 0, 1, 0))
	f.Add([]byte{22, 3, 1, 0, 4, 1, 0, 0, 0})
	f.Add([]byte("GET / HTTP/1.0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, whole := newPeers(t, p.clientConfig(), p.serverConfig())
		whole.inbox = append([]byte{}, data...)
		wholeStatus := checkedHandshakeCall(t, whole)
		require.NotEqual(t, schannel.SEC_E_OK, wholeStatus)

		_, bytewise := newPeers(t, p.clientConfig(), p.serverConfig())
		var status schannel.Status
		for i := range data {
			bytewise.inbox = append(bytewise.inbox, data[i])
			status = checkedHandshakeCall(t, bytewise)
			require.NotEqual(t, schannel.SEC_E_OK, status)
			if status != schannel.SEC_E_INCOMPLETE_MESSAGE && status != schannel.SEC_I_CONTINUE_NEEDED {
				break
			}
		}
		if wholeStatus.Failed() && wholeStatus != schannel.SEC_E_INCOMPLETE_MESSAGE {
			require.Equal(t, wholeStatus, status, "a verdict must not depend on how the bytes arrive")
		}
	})
}

// FuzzInitializeSecurityContext answers our ClientHello with arbitrary
// bytes. The server's Finished and signature are bound to this client's
// random, which no seed or mutation knows: SEC_E_OK would be a forgery.
func FuzzInitializeSecurityContext(f *testing.F) {
	p := pki(f)
	client, server := newPeers(f, p.clientConfig(), p.serverConfig())
	f.Add(firstFlight(f, client, server))
	f.Add([]byte{22, 3, 3, 0, 4, 2, 0, 0, 0})
	f.Add([]byte{21, 3, 3, 0, 2, 2, 40})
	f.Fuzz(func(t *testing.T, data []byte) {
		client, _ := newPeers(t, p.clientConfig(), p.serverConfig())
		_, _, err := client.call(t)
		require.NoError(t, err)
		client.inbox = append([]byte{}, data...)
		for range 64 {
			status := checkedHandshakeCall(t, client)
			require.NotEqual(t, schannel.SEC_E_OK, status, "a server flight not made for this client was accepted")
			if status != schannel.SEC_I_CONTINUE_NEEDED || len(client.inbox) == 0 {
				return
			}
		}
	})
}
