package crypto

// nfold stretches or shrinks in to n bytes as RFC 3961 section 5.1 defines:
// repeat the input, each copy rotated right by 13 more bits than the last,
// until the length is the least common multiple of the input and output
// lengths, then add the n-byte chunks with one's-complement arithmetic.
func nfold(in []byte, n int) []byte {
	out := make([]byte, n)
	if len(in) == 0 || n == 0 {
		return out
	}
	total := lcm(len(in), n)
	bits := len(in) * 8
	chunk := make([]byte, n)
	for off := 0; off < total; off += n {
		for i := range chunk {
			pos := off + i // byte position in the replicated string
			copyIdx := pos / len(in)
			rot := (13 * copyIdx) % bits
			// Bit b of this byte is bit (b - rot) mod bits of the input.
			var v byte
			for b := 0; b < 8; b++ {
				src := ((pos%len(in))*8 + b - rot) % bits
				if src < 0 {
					src += bits
				}
				if in[src/8]&(0x80>>(src%8)) != 0 {
					v |= 0x80 >> b
				}
			}
			chunk[i] = v
		}
		onesComplementAdd(out, chunk)
	}
	return out
}

// onesComplementAdd sets acc to acc + x with the end-around carry, both
// read as big-endian numbers of the same length.
func onesComplementAdd(acc, x []byte) {
	carry := 0
	for i := len(acc) - 1; i >= 0; i-- {
		s := int(acc[i]) + int(x[i]) + carry
		acc[i] = byte(s)
		carry = s >> 8
	}
	for carry != 0 {
		for i := len(acc) - 1; i >= 0 && carry != 0; i-- {
			s := int(acc[i]) + carry
			acc[i] = byte(s)
			carry = s >> 8
		}
	}
}

func lcm(a, b int) int {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}
