package schannel_test

import (
	"testing"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/require"
)

// FuzzDecryptMessage feeds arbitrary bytes to DecryptMessage on an
// established context: every input must give a status, never a panic, and
// the buffers must describe slices of the input.
func FuzzDecryptMessage(f *testing.F) {
	p := pki(f)
	f.Add([]byte{23, 3, 3, 0, 17, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})
	f.Add([]byte{23, 3, 3, 0, 0})
	f.Add([]byte{21, 3, 3, 0, 2, 1, 0})
	f.Add([]byte{23, 3, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, server := established(t, p.clientConfig(), p.serverConfig())
		in := append([]byte{}, data...)
		for range 64 {
			bufs := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, in), {}, {}, {}}
			status, err := server.ctx.DecryptMessage(bufs)
			if status.Failed() {
				require.Error(t, err)
				if status == schannel.SEC_E_INCOMPLETE_MESSAGE {
					require.Equal(t, schannel.SECBUFFER_MISSING, bufs[0].BufferType)
					require.Positive(t, bufs[0].Size)
				}
				return
			}
			if bufs[3].BufferType != schannel.SECBUFFER_EXTRA {
				return
			}
			require.LessOrEqual(t, len(bufs[3].Buffer), len(in))
			in = bufs[3].Buffer
			if status == schannel.SEC_I_RENEGOTIATE {
				server.inbox = in
				if st, _, _ := server.call(t); st.Failed() {
					return
				}
				in = server.inbox
			}
		}
	})
}

// FuzzAcceptSecurityContext feeds arbitrary bytes to a server as its first
// input, whole and then one byte at a time: a status every time, no panic,
// the same verdict either way.
func FuzzAcceptSecurityContext(f *testing.F) {
	p := pki(f)
	client, _ := newPeers(&testing.T{}, p.clientConfig(), p.serverConfig())
	if _, hello, err := client.call(&testing.T{}); err == nil {
		f.Add(hello)
	}
	f.Add([]byte{22, 3, 1, 0, 4, 1, 0, 0, 0})
	f.Add([]byte("GET / HTTP/1.0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, whole := newPeers(t, p.clientConfig(), p.serverConfig())
		whole.inbox = append([]byte{}, data...)
		wholeStatus, _, _ := whole.call(t)

		_, bytewise := newPeers(t, p.clientConfig(), p.serverConfig())
		var status schannel.Status
		for i := range data {
			bytewise.inbox = append(bytewise.inbox, data[i])
			status, _, _ = bytewise.call(t)
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
// bytes.
func FuzzInitializeSecurityContext(f *testing.F) {
	p := pki(f)
	client, server := newPeers(&testing.T{}, p.clientConfig(), p.serverConfig())
	if _, hello, err := client.call(&testing.T{}); err == nil {
		server.inbox = hello
		if _, flight, err := server.call(&testing.T{}); err == nil {
			f.Add(flight)
		}
	}
	f.Add([]byte{22, 3, 3, 0, 4, 2, 0, 0, 0})
	f.Add([]byte{21, 3, 3, 0, 2, 2, 40})
	f.Fuzz(func(t *testing.T, data []byte) {
		client, _ := newPeers(t, p.clientConfig(), p.serverConfig())
		_, _, err := client.call(t)
		require.NoError(t, err)
		client.inbox = append([]byte{}, data...)
		for range 64 {
			status, _, _ := client.call(t)
			if status != schannel.SEC_I_CONTINUE_NEEDED || len(client.inbox) == 0 {
				return
			}
		}
	})
}
