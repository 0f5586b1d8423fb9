package files

import (
	"io"
	"os"
	"path/filepath"
	"time"
)

// keytabVersion is the 0x502 format: 5, then version 2, big-endian.
const keytabVersion = 0x0502

// KeytabEntry is one key of a keytab.
type KeytabEntry struct {
	Principal Principal
	// Timestamp is when the key was written, to the second.
	Timestamp time.Time
	// KVNO is the key version; the 8-bit field of the file holds its low
	// byte, and a 32-bit field after the key holds all of it.
	KVNO uint32
	// EncType and Key are the keyblock.
	EncType int32
	Key     []byte
}

// Keytab is the content of a FILE: keytab.
type Keytab struct {
	Entries []KeytabEntry
}

// ParseKeytab reads a version 0x502 keytab:
//
//	file   ::= 05 02 { length (int32) ( entry | hole ) }
//	entry  ::= count (16) realm (data16) component (data16)...
//	           name type (32) timestamp (32) vno8 (8)
//	           enctype (16) key (data16) [vno32 (32)]
//
// A negative length is a hole left by a deleted entry and is skipped; a
// zero length ends the file. The 32-bit kvno, when the record has room
// for it and it is not 0, supersedes the 8-bit one, as in MIT's
// krb5_ktfileint_internal_read_entry.
func ParseKeytab(b []byte) (*Keytab, error) {
	if len(b) > MaxFileSize {
		return nil, errorf("keytab of %d bytes is above the %d-byte cap", len(b), MaxFileSize)
	}
	r := &reader{b: b}
	if v := r.u16("keytab version"); r.err == nil && v != keytabVersion {
		return nil, errorf("keytab version %#04x is not 0x502", v)
	}
	kt := &Keytab{Entries: []KeytabEntry{}}
	for r.err == nil && len(r.b) > 0 {
		if len(r.b) < 4 {
			// MIT pads nothing; a short tail is a truncated file.
			r.fail("keytab ends inside a record length")
			break
		}
		size := int32(r.u32("record length"))
		if size == 0 {
			break
		}
		if size < 0 {
			if size == -1<<31 {
				r.fail("keytab hole length out of range")
				break
			}
			r.take(int(-size), "keytab hole")
			continue
		}
		rec := r.take(int(size), "keytab record")
		if r.err != nil {
			break
		}
		if len(kt.Entries) == maxEntries {
			r.fail("keytab has more than %d entries", maxEntries)
			break
		}
		e, err := parseKeytabEntry(rec)
		if err != nil {
			return nil, err
		}
		kt.Entries = append(kt.Entries, e)
	}
	if r.err != nil {
		return nil, r.err
	}
	return kt, nil
}

func parseKeytabEntry(rec []byte) (KeytabEntry, error) {
	r := &reader{b: rec}
	var e KeytabEntry
	n := int(r.u16("component count"))
	if n > maxComponents {
		return e, errorf("keytab principal has %d components, above %d", n, maxComponents)
	}
	e.Principal.Realm = string(r.data16("realm"))
	e.Principal.Components = make([]string, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		e.Principal.Components = append(e.Principal.Components, string(r.data16("component")))
	}
	e.Principal.NameType = int32(r.u32("name type"))
	e.Timestamp = time.Unix(int64(r.u32("timestamp")), 0).UTC()
	e.KVNO = uint32(r.u8("vno8"))
	e.EncType = int32(int16(r.u16("enctype")))
	e.Key = r.data16("key")
	if r.err != nil {
		return e, r.err
	}
	if len(r.b) >= 4 {
		if v := r.u32("vno32"); v != 0 {
			e.KVNO = v
		}
	}
	return e, nil
}

// Marshal writes the keytab in format 0x502, each entry with its 32-bit
// kvno, no holes.
func (kt *Keytab) Marshal() ([]byte, error) {
	w := &writer{}
	w.u16(keytabVersion)
	for i := range kt.Entries {
		e := &kt.Entries[i]
		if len(e.Principal.Components) > maxComponents {
			return nil, errorf("principal %s has too many components", e.Principal)
		}
		rec := &writer{}
		rec.u16(uint16(len(e.Principal.Components)))
		rec.data16([]byte(e.Principal.Realm), "realm")
		for _, c := range e.Principal.Components {
			rec.data16([]byte(c), "component")
		}
		rec.u32(uint32(e.Principal.NameType))
		rec.u32(uint32(e.Timestamp.Unix()))
		rec.u8(uint8(e.KVNO))
		if e.EncType < -1<<15 || e.EncType > 1<<15-1 {
			return nil, errorf("enctype %d does not fit a keytab", e.EncType)
		}
		rec.u16(uint16(int16(e.EncType)))
		rec.data16(e.Key, "key")
		rec.u32(e.KVNO)
		if rec.err != nil {
			return nil, rec.err
		}
		w.u32(uint32(len(rec.b)))
		w.b = append(w.b, rec.b...)
	}
	return w.b, nil
}

// Find returns the entries for a principal, all key versions and enctypes,
// in file order.
func (kt *Keytab) Find(p Principal) []KeytabEntry {
	var out []KeytabEntry
	for _, e := range kt.Entries {
		if e.Principal.Equal(p) {
			out = append(out, e)
		}
	}
	return out
}

// Key returns the key of a principal for one enctype: the given kvno, or
// the highest one when kvno is 0, as an acceptor looks a ticket's key up.
func (kt *Keytab) Key(p Principal, enctype int32, kvno uint32) (KeytabEntry, bool) {
	var best KeytabEntry
	found := false
	for _, e := range kt.Entries {
		if e.EncType != enctype || !e.Principal.Equal(p) {
			continue
		}
		if kvno != 0 {
			if e.KVNO == kvno {
				return e, true
			}
			continue
		}
		if !found || e.KVNO > best.KVNO {
			best, found = e, true
		}
	}
	return best, found
}

// ReadKeytab reads and parses a keytab file.
func ReadKeytab(path string) (*Keytab, error) {
	b, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	return ParseKeytab(b)
}

// WriteKeytab writes a keytab file with mode 0600, atomically: a reader
// sees the old file or the new one, never half of one.
func WriteKeytab(path string, kt *Keytab) error {
	b, err := kt.Marshal()
	if err != nil {
		return err
	}
	return writeAtomic(path, b)
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileSize {
		return nil, errorf("%s is larger than %d bytes", path, MaxFileSize)
	}
	return b, nil
}

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	ok = true
	return nil
}
