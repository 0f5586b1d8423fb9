package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// fuzzMessage checks the codec contract on arbitrary input: decoding never
// panics and fails only with *Error, and anything that decodes marshals
// back to an encoding that decodes to the same fields and is a fixed point
// of Marshal.
func fuzzMessage[T any, PT interface {
	*T
	message
}](f *testing.F, seeds ...[]byte) {
	for _, seed := range seeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := PT(new(T))
		if err := m.Unmarshal(data); err != nil {
			var wireErr *Error
			if !errors.As(err, &wireErr) {
				t.Fatalf("Unmarshal returned %T, want *Error: %v", err, err)
			}
			return
		}
		if !bytes.Equal(rawOf(m), data) {
			t.Fatalf("Raw = %x, want the input %x", rawOf(m), data)
		}
		encoded, err := m.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a decoded message failed: %v", err)
		}
		m2 := PT(new(T))
		if err := m2.Unmarshal(encoded); err != nil {
			t.Fatalf("Unmarshal of %x (re-marshalled from %x) failed: %v", encoded, data, err)
		}
		if a, b := fieldsOf(m), fieldsOf(m2); !reflect.DeepEqual(a, b) {
			t.Fatalf("fields changed across a round trip:\n%#v\n%#v", a, b)
		}
		again, err := m2.Marshal()
		if err != nil {
			t.Fatalf("second Marshal failed: %v", err)
		}
		if !bytes.Equal(encoded, again) {
			t.Fatalf("Marshal is not idempotent:\n%x\n%x", encoded, again)
		}
	})
}

// sampleSeeds returns the encodings of the representative samples of type
// T plus extra, so every target starts from valid messages.
func sampleSeeds[T any](f *testing.F, extra ...string) [][]byte {
	var seeds [][]byte
	for _, s := range samples() {
		if reflect.TypeOf(s.msg) == reflect.TypeFor[*T]() {
			seeds = append(seeds, marshalSample(f, s))
		}
	}
	for _, h := range extra {
		seeds = append(seeds, unhex(f, h))
	}
	return seeds
}

func FuzzClientHello(f *testing.F) {
	fuzzMessage[ClientHello](f, sampleSeeds[ClientHello](f, rfc8448ClientHello, rfc8448ResumeClientHello)...)
}

func FuzzServerHello(f *testing.F) {
	fuzzMessage[ServerHello](f, sampleSeeds[ServerHello](f, rfc8448ServerHello, rfc8448ResumeServerHello)...)
}

func FuzzEncryptedExtensions(f *testing.F) {
	fuzzMessage[EncryptedExtensions](f, sampleSeeds[EncryptedExtensions](f, rfc8448EncryptedExtensions, rfc8448ResumeEncryptedExtensions)...)
}

func FuzzCertificateRequest13(f *testing.F) {
	fuzzMessage[CertificateRequest13](f, sampleSeeds[CertificateRequest13](f)...)
}

func FuzzCertificateRequest12(f *testing.F) {
	fuzzMessage[CertificateRequest12](f, sampleSeeds[CertificateRequest12](f)...)
}

func FuzzCertificate13(f *testing.F) {
	fuzzMessage[Certificate13](f, sampleSeeds[Certificate13](f, rfc8448Certificate)...)
}

func FuzzCertificate12(f *testing.F) {
	fuzzMessage[Certificate12](f, sampleSeeds[Certificate12](f)...)
}

func FuzzCertificateVerify(f *testing.F) {
	fuzzMessage[CertificateVerify](f, sampleSeeds[CertificateVerify](f, rfc8448CertificateVerify)...)
}

func FuzzFinished(f *testing.F) {
	fuzzMessage[Finished](f, sampleSeeds[Finished](f, rfc8448ServerFinished, rfc8448ClientFinished)...)
}

func FuzzNewSessionTicket13(f *testing.F) {
	fuzzMessage[NewSessionTicket13](f, sampleSeeds[NewSessionTicket13](f, rfc8448NewSessionTicket)...)
}

func FuzzNewSessionTicket12(f *testing.F) {
	fuzzMessage[NewSessionTicket12](f, sampleSeeds[NewSessionTicket12](f)...)
}

func FuzzKeyUpdate(f *testing.F) {
	fuzzMessage[KeyUpdate](f, sampleSeeds[KeyUpdate](f)...)
}

func FuzzServerKeyExchange(f *testing.F) {
	fuzzMessage[ServerKeyExchangeECDHE](f, sampleSeeds[ServerKeyExchangeECDHE](f)...)
}

func FuzzClientKeyExchange(f *testing.F) {
	fuzzMessage[ClientKeyExchangeECDHE](f, sampleSeeds[ClientKeyExchangeECDHE](f)...)
}

// FuzzRecordHeader checks that the record and handshake header parsers
// accept exactly the inputs long enough for them and agree with the
// encoder.
func FuzzRecordHeader(f *testing.F) {
	f.Add([]byte{22, 3, 1, 0, 0xc4})
	f.Add([]byte{23, 3, 3, 0x40, 0x11, 0xaa})
	f.Add([]byte{21, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, version, length, ok := ParseRecordHeader(data)
		if ok != (len(data) >= RecordHeaderLen) {
			t.Fatalf("ParseRecordHeader ok = %v for %d bytes", ok, len(data))
		}
		if ok {
			if got := AppendRecordHeader(nil, typ, version, length); !bytes.Equal(got, data[:RecordHeaderLen]) {
				t.Fatalf("AppendRecordHeader = %x, want %x", got, data[:RecordHeaderLen])
			}
		}
		_, bodyLen, ok := ParseHandshakeHeader(data)
		if ok != (len(data) >= HandshakeHeaderLen) {
			t.Fatalf("ParseHandshakeHeader ok = %v for %d bytes", ok, len(data))
		}
		if ok && (bodyLen < 0 || bodyLen > 1<<24-1) {
			t.Fatalf("ParseHandshakeHeader body length %d out of range", bodyLen)
		}
	})
}
