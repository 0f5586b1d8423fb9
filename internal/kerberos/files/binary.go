package files

import "encoding/binary"

// reader is a big-endian cursor over a whole file; every read checks the
// remaining length first.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = errorf(format, args...)
	}
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail("%s needs %d bytes, %d left", what, n, len(r.b))
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8(what string) uint8 {
	b := r.take(1, what)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) u16(what string) uint16 {
	b := r.take(2, what)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

func (r *reader) u32(what string) uint32 {
	b := r.take(4, what)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

// data16 and data32 read a counted octet string with a 16- or 32-bit
// length and return a copy.
func (r *reader) data16(what string) []byte {
	n := r.u16(what + " length")
	return append([]byte{}, r.take(int(n), what)...)
}

func (r *reader) data32(what string) []byte {
	n := r.u32(what + " length")
	if uint64(n) > uint64(len(r.b)) {
		r.fail("%s of %d bytes, %d left", what, n, len(r.b))
		return nil
	}
	return append([]byte{}, r.take(int(n), what)...)
}

// writer appends big-endian values.
type writer struct {
	b   []byte
	err error
}

func (w *writer) u8(v uint8)   { w.b = append(w.b, v) }
func (w *writer) u16(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *writer) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }

func (w *writer) data16(v []byte, what string) {
	if len(v) > 0xffff {
		if w.err == nil {
			w.err = errorf("%s of %d bytes does not fit a 16-bit length", what, len(v))
		}
		return
	}
	w.u16(uint16(len(v)))
	w.b = append(w.b, v...)
}

func (w *writer) data32(v []byte) {
	w.u32(uint32(len(v)))
	w.b = append(w.b, v...)
}
