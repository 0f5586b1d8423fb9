package engine

import (
	"bytes"
	"crypto/hmac"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/gosspi/schannel/internal/sspi"
	"github.com/gosspi/schannel/internal/tls/wire"
)

// Labels of the TLS 1.2 Finished PRF (RFC 5246 7.4.9).
const (
	clientFinishedLabel = "client finished"
	serverFinishedLabel = "server finished"
)

// tlsFallbackSCSV signals a client's fallback retry (RFC 7507).
const tlsFallbackSCSV = 0x5600

// deriveKeys12 computes the extended master secret (RFC 7627; the session
// hash covers the messages through ClientKeyExchange) and the key block.
func (c *Context) deriveKeys12(preMaster []byte) {
	hs := c.hs
	hs.masterSecret = keys.ExtendedMasterSecret(hs.suite.Hash, preMaster, hs.transcript.Sum())
	c.deriveKeyBlock12()
}

// deriveKeyBlock12 expands the master secret into both directions' keys.
func (c *Context) deriveKeyBlock12() {
	hs := c.hs
	c.logKey("CLIENT_RANDOM", hs.masterSecret)
	clientKey, serverKey, clientIV, serverIV := keys.KeyBlock12(hs.suite, hs.masterSecret, hs.clientRandom, hs.serverRandom)
	hs.clientKeyBlock = [2][]byte{clientKey, clientIV}
	hs.serverKeyBlock = [2][]byte{serverKey, serverIV}
}

// sendChangeCipherSpec12 sends ChangeCipherSpec and switches our writes to
// the new keys.
func (c *Context) sendChangeCipherSpec12() *sspi.Error {
	c.writeCompatibilityCCS()
	block := c.hs.clientKeyBlock
	if c.isServer {
		block = c.hs.serverKeyBlock
	}
	prot, err := keys.NewRecordProtection12(c.hs.suite, block[0], block[1])
	if err != nil {
		return asFailure(err)
	}
	c.writeProt = prot
	return nil
}

// changeCipherSpec12 is the peer's ChangeCipherSpec: its records are
// protected from here on.
func (c *Context) changeCipherSpec12() *sspi.Error {
	var next state
	switch c.state {
	case stateClient12WaitTicketOrCCS, stateClient12WaitCCS:
		next = stateClient12WaitFinished
	case stateServer12WaitCCS:
		next = stateServer12WaitFinished
	default:
		return fail(wire.AlertUnexpectedMessage, "unexpected change_cipher_spec")
	}
	if len(c.hsBuf) > 0 {
		return fail(wire.AlertUnexpectedMessage, "a handshake message spans change_cipher_spec")
	}
	block := c.hs.serverKeyBlock
	if c.isServer {
		block = c.hs.clientKeyBlock
	}
	prot, err := keys.NewRecordProtection12(c.hs.suite, block[0], block[1])
	if err != nil {
		return asFailure(err)
	}
	c.readProt = prot
	c.state = next
	return nil
}

// finished12 is the verify_data for label over the transcript so far.
func (c *Context) finished12(label string) []byte {
	return keys.VerifyData12(c.hs.suite.Hash, c.hs.masterSecret, label, c.hs.transcript.Sum())
}

func (c *Context) sendFinished12(label string) *sspi.Error {
	return c.sendMessage(&wire.Finished{VerifyData: c.finished12(label)})
}

func (c *Context) checkFinished12(msg []byte, label string) *sspi.Error {
	var fin wire.Finished
	if err := fin.Unmarshal(msg); err != nil {
		return asFailure(err)
	}
	if !hmac.Equal(fin.VerifyData, c.finished12(label)) {
		return fail(wire.AlertDecryptError, "the peer's Finished does not match the handshake")
	}
	c.record(msg)
	return nil
}

// signedServerParams is what a TLS 1.2 ServerKeyExchange signature covers.
func signedServerParams(clientRandom, serverRandom []byte, kx *wire.ServerKeyExchangeECDHE) []byte {
	return bytes.Join([][]byte{clientRandom, serverRandom, kx.SignedParams()}, nil)
}

// downgradeSentinel reports whether a TLS 1.2 ServerHello random carries the
// RFC 8446 4.1.3 marker of a server that supports TLS 1.3.
func downgradeSentinel(random []byte) bool {
	tail := random[len(random)-8:]
	return bytes.Equal(tail, wire.DowngradeTLS12) || bytes.Equal(tail, wire.DowngradeTLS11)
}
