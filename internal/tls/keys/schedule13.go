package keys

import (
	"bytes"
	"crypto"
	"crypto/hkdf"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
)

// labelPrefix is prepended to every HKDF-Expand-Label label (RFC 8446, 7.1).
const labelPrefix = "tls13 "

// ivLen13 is the TLS 1.3 per-record nonce length for every defined AEAD.
const ivLen13 = 12

// ExpandLabel is HKDF-Expand-Label from RFC 8446, section 7.1.
//
// The label and context are chosen by this package's callers, never by the
// peer, so oversized ones are programming errors and panic.
func ExpandLabel(h crypto.Hash, secret []byte, label string, context []byte, length int) []byte {
	if len(labelPrefix)+len(label) > 255 || len(context) > 255 || length < 0 || length > 0xffff {
		panic(fmt.Sprintf("keys: HKDF-Expand-Label arguments out of range (label %d, context %d, length %d bytes)",
			len(label), len(context), length))
	}
	// One spare byte holds HKDF-Expand's block counter below.
	info := make([]byte, 0, 2+1+len(labelPrefix)+len(label)+1+len(context)+1)
	info = binary.BigEndian.AppendUint16(info, uint16(length))
	info = append(info, byte(len(labelPrefix)+len(label)))
	info = append(info, labelPrefix...)
	info = append(info, label...)
	info = append(info, byte(len(context)))
	info = append(info, context...)
	if length <= h.Size() {
		// Every TLS 1.3 secret, key and IV is at most one hash long, and
		// then HKDF-Expand is a single block, T(1) = HMAC(PRK, info | 0x01)
		// (RFC 5869 section 2.3). Computing it directly skips crypto/hkdf's
		// general loop and its copies: this runs some 35 times per
		// handshake, both sides counted. TestExpandLabelMatchesHKDF holds it
		// to crypto/hkdf for every length.
		mac := hmac.New(h.New, secret)
		mac.Write(append(info, 1))
		return mac.Sum(make([]byte, 0, h.Size()))[:length:length]
	}
	out, err := hkdf.Expand(h.New, secret, string(info), length)
	if err != nil {
		// Only an output longer than 255 hash blocks fails, which no TLS
		// derivation asks for.
		panic("keys: HKDF-Expand-Label: " + err.Error())
	}
	return out
}

// DeriveSecret is Derive-Secret from RFC 8446, section 7.1. It takes the
// transcript hash rather than the messages so the caller can keep one running
// hash for the whole handshake.
func DeriveSecret(h crypto.Hash, secret []byte, label string, transcriptHash []byte) []byte {
	return ExpandLabel(h, secret, label, transcriptHash, h.Size())
}

func extract(h crypto.Hash, ikm, salt []byte) []byte {
	prk, err := hkdf.Extract(h.New, ikm, salt)
	if err != nil {
		panic("keys: HKDF-Extract: " + err.Error())
	}
	return prk
}

func emptyHash(h crypto.Hash) []byte { return h.New().Sum(nil) }

// Schedule13 walks the three stages of the TLS 1.3 key schedule (RFC 8446,
// section 7.1): early secret, handshake secret, master secret. Each stage is
// entered explicitly so that the handshake decides when the ECDHE output and
// transcript are final; asking for a secret of a stage not yet entered is a
// programming error and panics.
type Schedule13 struct {
	hash      crypto.Hash
	early     []byte
	handshake []byte
	master    []byte
}

// NewSchedule13 starts a key schedule over hash h. A nil psk means no PSK,
// which RFC 8446 defines as a string of Hash.length zero bytes.
func NewSchedule13(h crypto.Hash, psk []byte) *Schedule13 {
	if psk == nil {
		psk = make([]byte, h.Size())
	}
	return &Schedule13{hash: h, early: extract(h, psk, nil)}
}

// Hash returns the hash the schedule was built over.
func (s *Schedule13) Hash() crypto.Hash { return s.hash }

// EarlySecret returns a copy of the early secret.
func (s *Schedule13) EarlySecret() []byte { return bytes.Clone(s.early) }

// BinderKey returns the key PSK binders are computed with: "res binder" for a
// resumption PSK, "ext binder" for an externally provisioned one. The two
// labels keep a binder for one kind from validating as the other.
func (s *Schedule13) BinderKey(resumption bool) []byte {
	label := "ext binder"
	if resumption {
		label = "res binder"
	}
	return DeriveSecret(s.hash, s.early, label, emptyHash(s.hash))
}

// ClientEarlyTrafficSecret returns client_early_traffic_secret (0-RTT data)
// for the ClientHello transcript hash th.
func (s *Schedule13) ClientEarlyTrafficSecret(th []byte) []byte {
	return DeriveSecret(s.hash, s.early, "c e traffic", th)
}

// EarlyExporterMasterSecret returns early_exporter_master_secret for the
// ClientHello transcript hash th.
func (s *Schedule13) EarlyExporterMasterSecret(th []byte) []byte {
	return DeriveSecret(s.hash, s.early, "e exp master", th)
}

// SetSharedSecret enters the handshake stage with the (EC)DHE or hybrid
// shared secret. Pass nil for a PSK-only (psk_ke) handshake, which RFC 8446
// treats as Hash.length zero bytes.
func (s *Schedule13) SetSharedSecret(ecdhe []byte) {
	if ecdhe == nil {
		ecdhe = make([]byte, s.hash.Size())
	}
	derived := DeriveSecret(s.hash, s.early, "derived", emptyHash(s.hash))
	s.handshake = extract(s.hash, ecdhe, derived)
}

// HandshakeSecret returns a copy of the handshake secret.
func (s *Schedule13) HandshakeSecret() []byte {
	s.mustHave(s.handshake, "SetSharedSecret")
	return bytes.Clone(s.handshake)
}

// ClientHandshakeTrafficSecret returns client_handshake_traffic_secret for the
// ClientHello..ServerHello transcript hash th.
func (s *Schedule13) ClientHandshakeTrafficSecret(th []byte) []byte {
	s.mustHave(s.handshake, "SetSharedSecret")
	return DeriveSecret(s.hash, s.handshake, "c hs traffic", th)
}

// ServerHandshakeTrafficSecret returns server_handshake_traffic_secret for the
// ClientHello..ServerHello transcript hash th.
func (s *Schedule13) ServerHandshakeTrafficSecret(th []byte) []byte {
	s.mustHave(s.handshake, "SetSharedSecret")
	return DeriveSecret(s.hash, s.handshake, "s hs traffic", th)
}

// SetMaster enters the master stage. The master secret depends on nothing
// the handshake sends afterwards, so it needs no input.
func (s *Schedule13) SetMaster() {
	s.mustHave(s.handshake, "SetSharedSecret")
	derived := DeriveSecret(s.hash, s.handshake, "derived", emptyHash(s.hash))
	s.master = extract(s.hash, make([]byte, s.hash.Size()), derived)
}

// MasterSecret returns a copy of the master secret.
func (s *Schedule13) MasterSecret() []byte {
	s.mustHave(s.master, "SetMaster")
	return bytes.Clone(s.master)
}

// ClientApplicationTrafficSecret returns client_application_traffic_secret_0
// for the ClientHello..server Finished transcript hash th.
func (s *Schedule13) ClientApplicationTrafficSecret(th []byte) []byte {
	s.mustHave(s.master, "SetMaster")
	return DeriveSecret(s.hash, s.master, "c ap traffic", th)
}

// ServerApplicationTrafficSecret returns server_application_traffic_secret_0
// for the ClientHello..server Finished transcript hash th.
func (s *Schedule13) ServerApplicationTrafficSecret(th []byte) []byte {
	s.mustHave(s.master, "SetMaster")
	return DeriveSecret(s.hash, s.master, "s ap traffic", th)
}

// ExporterMasterSecret returns exporter_master_secret for the
// ClientHello..server Finished transcript hash th.
func (s *Schedule13) ExporterMasterSecret(th []byte) []byte {
	s.mustHave(s.master, "SetMaster")
	return DeriveSecret(s.hash, s.master, "exp master", th)
}

// ResumptionMasterSecret returns resumption_master_secret for the
// ClientHello..client Finished transcript hash th.
func (s *Schedule13) ResumptionMasterSecret(th []byte) []byte {
	s.mustHave(s.master, "SetMaster")
	return DeriveSecret(s.hash, s.master, "res master", th)
}

func (s *Schedule13) mustHave(secret []byte, step string) {
	if secret == nil {
		panic("keys: Schedule13 used before " + step)
	}
}

// FinishedKey returns finished_key for a handshake traffic secret or a binder
// key (RFC 8446, section 4.4.4).
func FinishedKey(h crypto.Hash, baseSecret []byte) []byte {
	return ExpandLabel(h, baseSecret, "finished", nil, h.Size())
}

// FinishedMAC returns the Finished verify_data, or a PSK binder, over
// transcriptHash.
func FinishedMAC(h crypto.Hash, finishedKey, transcriptHash []byte) []byte {
	mac := hmac.New(h.New, finishedKey)
	mac.Write(transcriptHash)
	return mac.Sum(nil)
}

// VerifyFinishedMAC reports, in constant time, whether got is the Finished
// verify_data (or PSK binder) for transcriptHash.
func VerifyFinishedMAC(h crypto.Hash, finishedKey, transcriptHash, got []byte) bool {
	return hmac.Equal(FinishedMAC(h, finishedKey, transcriptHash), got)
}

// NextTrafficSecret returns application_traffic_secret_N+1 for a KeyUpdate
// (RFC 8446, section 7.2).
func NextTrafficSecret(h crypto.Hash, secret []byte) []byte {
	return ExpandLabel(h, secret, "traffic upd", nil, h.Size())
}

// ResumptionPSK returns the PSK a NewSessionTicket with ticket_nonce nonce
// stands for (RFC 8446, section 4.6.1).
func ResumptionPSK(h crypto.Hash, resumptionMasterSecret, nonce []byte) []byte {
	return ExpandLabel(h, resumptionMasterSecret, "resumption", nonce, h.Size())
}

// TrafficKeys returns the AEAD key and IV for a TLS 1.3 traffic secret under
// suite s (RFC 8446, section 7.3).
func TrafficKeys(s *Suite, secret []byte) (key, iv []byte) {
	key = ExpandLabel(s.Hash, secret, "key", nil, s.KeyLen)
	iv = ExpandLabel(s.Hash, secret, "iv", nil, ivLen13)
	return key, iv
}

// ExportKeyingMaterial is TLS-Exporter from RFC 8446, section 7.5, keyed with
// exporter_master_secret (or early_exporter_master_secret). Label and length
// come from the application, so unusable values are reported, not panicked on.
func ExportKeyingMaterial(h crypto.Hash, exporterSecret []byte, label string, context []byte, length int) ([]byte, error) {
	if len(labelPrefix)+len(label) > 255 {
		return nil, errors.New("keys: exporter label too long")
	}
	if length < 0 || length > 255*h.Size() {
		return nil, fmt.Errorf("keys: exporter length %d out of range", length)
	}
	labelSecret := DeriveSecret(h, exporterSecret, label, emptyHash(h))
	contextHash := h.New()
	contextHash.Write(context)
	return ExpandLabel(h, labelSecret, "exporter", contextHash.Sum(nil), length), nil
}
