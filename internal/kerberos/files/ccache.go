package files

import (
	"time"
)

// Credential cache format versions (the file's first two bytes).
const (
	ccacheV3 = 0x0503
	ccacheV4 = 0x0504
	// headerDeltaTime is the one v4 header tag MIT defines.
	headerDeltaTime = 1
	// ConfigRealm marks configuration entries, MIT's ccache_file_format.
	ConfigRealm = "X-CACHECONF:"
)

// Address is a host address of a credential.
type Address struct {
	AddrType int32
	Address  []byte
}

// AuthData is one authorization-data element of a credential.
type AuthData struct {
	ADType int32
	Data   []byte
}

// Credential is one entry of a credential cache.
type Credential struct {
	Client, Server Principal
	// KeyType and Key are the session key.
	KeyType                                 int32
	Key                                     []byte
	AuthTime, StartTime, EndTime, RenewTill time.Time
	// IsSKey marks a user-to-user ticket (ENC-TKT-IN-SKEY).
	IsSKey bool
	// Flags are the ticket flags, bit 0 of RFC 4120 in the top bit.
	Flags        uint32
	Addresses    []Address
	AuthData     []AuthData
	Ticket       []byte
	SecondTicket []byte
}

// IsConfig reports whether this is a configuration entry rather than a
// ticket; its Ticket holds the value of Server.Components[1].
func (c *Credential) IsConfig() bool {
	return c.Server.Realm == ConfigRealm
}

// CCache is the content of a FILE: credential cache.
type CCache struct {
	// Version is 3 or 4; Marshal always writes 4.
	Version int
	// KDCOffset is the KDC's clock minus ours, from the v4 DeltaTime
	// header, zero when absent.
	KDCOffset time.Duration
	// HasKDCOffset reports whether the header carried a DeltaTime.
	HasKDCOffset bool
	Principal    Principal
	Credentials  []Credential
}

// ParseCCache reads a version 3 or 4 credential cache (MIT's
// doc/formats/ccache_file_format.rst):
//
//	file       ::= 05 0N [header (v4)] principal credential...
//	header     ::= length (16) { tag (16) length (16) value }
//	principal  ::= name type (32) count (32) realm (data) component (data)...
//	credential ::= client server keyblock authtime starttime endtime
//	               renew_till (32 each) is_skey (8) flags (32)
//	               addresses authdata ticket (data) second_ticket (data)
//	keyblock   ::= enctype (16) [enctype again (16), v3] key (data)
//	data       ::= length (32) value
//
// Unknown header tags are skipped, as the format asks.
func ParseCCache(b []byte) (*CCache, error) {
	if len(b) > MaxFileSize {
		return nil, errorf("credential cache of %d bytes is above the %d-byte cap", len(b), MaxFileSize)
	}
	r := &reader{b: b}
	cc := &CCache{Credentials: []Credential{}}
	switch v := r.u16("ccache version"); {
	case r.err != nil:
		return nil, r.err
	case v == ccacheV3:
		cc.Version = 3
	case v == ccacheV4:
		cc.Version = 4
	default:
		return nil, errorf("credential cache version %#04x is not 0x503 or 0x504", v)
	}
	if cc.Version == 4 {
		hr := &reader{b: r.take(int(r.u16("header length")), "header")}
		for r.err == nil && hr.err == nil && len(hr.b) > 0 {
			tag := hr.u16("header tag")
			val := hr.take(int(hr.u16("header field length")), "header field")
			if hr.err == nil && tag == headerDeltaTime {
				if len(val) != 8 {
					return nil, errorf("DeltaTime header field of %d bytes, want 8", len(val))
				}
				vr := &reader{b: val}
				sec := int32(vr.u32("time offset"))
				usec := int32(vr.u32("usec offset"))
				if usec <= -1e6 || usec >= 1e6 {
					return nil, errorf("DeltaTime microseconds %d out of range", usec)
				}
				cc.KDCOffset = time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond
				cc.HasKDCOffset = true
			}
		}
		if hr.err != nil {
			return nil, hr.err
		}
	}
	cc.Principal = readCCPrincipal(r)
	for r.err == nil && len(r.b) > 0 {
		if len(cc.Credentials) == maxEntries {
			return nil, errorf("credential cache has more than %d credentials", maxEntries)
		}
		c := readCredential(r, cc.Version)
		if r.err == nil {
			cc.Credentials = append(cc.Credentials, c)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return cc, nil
}

func readCCPrincipal(r *reader) Principal {
	var p Principal
	p.NameType = int32(r.u32("name type"))
	n := r.u32("component count")
	if r.err == nil && n > maxComponents {
		r.fail("principal has %d components, above %d", n, maxComponents)
		return p
	}
	p.Realm = string(r.data32("realm"))
	p.Components = make([]string, 0, n)
	for i := uint32(0); i < n && r.err == nil; i++ {
		p.Components = append(p.Components, string(r.data32("component")))
	}
	return p
}

func readTime32(r *reader, what string) time.Time {
	v := r.u32(what)
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(int64(v), 0).UTC()
}

func readCredential(r *reader, version int) Credential {
	var c Credential
	c.Client = readCCPrincipal(r)
	c.Server = readCCPrincipal(r)
	c.KeyType = int32(int16(r.u16("enctype")))
	if version == 3 {
		r.u16("repeated enctype")
	}
	c.Key = r.data32("key")
	c.AuthTime = readTime32(r, "authtime")
	c.StartTime = readTime32(r, "starttime")
	c.EndTime = readTime32(r, "endtime")
	c.RenewTill = readTime32(r, "renew_till")
	switch skey := r.u8("is_skey"); {
	case r.err != nil:
	case skey > 1:
		r.fail("is_skey is %d", skey)
	default:
		c.IsSKey = skey == 1
	}
	c.Flags = r.u32("ticket flags")
	n := r.u32("address count")
	if r.err == nil && n > maxAddresses {
		r.fail("%d addresses, above %d", n, maxAddresses)
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		a := Address{AddrType: int32(int16(r.u16("address type")))}
		a.Address = r.data32("address")
		c.Addresses = append(c.Addresses, a)
	}
	n = r.u32("authdata count")
	if r.err == nil && n > maxAddresses {
		r.fail("%d authdata elements, above %d", n, maxAddresses)
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		a := AuthData{ADType: int32(int16(r.u16("authdata type")))}
		a.Data = r.data32("authdata")
		c.AuthData = append(c.AuthData, a)
	}
	c.Ticket = r.data32("ticket")
	c.SecondTicket = r.data32("second ticket")
	return c
}

// Marshal writes the cache in format 0x504, with a DeltaTime header when
// HasKDCOffset is set (MIT writes one always; an absent one reads as 0).
func (cc *CCache) Marshal() ([]byte, error) {
	w := &writer{}
	w.u16(ccacheV4)
	if cc.HasKDCOffset {
		sec := int64(cc.KDCOffset / time.Second)
		usec := int64((cc.KDCOffset % time.Second) / time.Microsecond)
		w.u16(12)
		w.u16(headerDeltaTime)
		w.u16(8)
		w.u32(uint32(int32(sec)))
		w.u32(uint32(int32(usec)))
	} else {
		w.u16(0)
	}
	if err := writeCCPrincipal(w, cc.Principal); err != nil {
		return nil, err
	}
	for i := range cc.Credentials {
		if err := writeCredential(w, &cc.Credentials[i]); err != nil {
			return nil, err
		}
	}
	return w.b, w.err
}

func writeCCPrincipal(w *writer, p Principal) error {
	if len(p.Components) > maxComponents {
		return errorf("principal %s has too many components", p)
	}
	w.u32(uint32(p.NameType))
	w.u32(uint32(len(p.Components)))
	w.data32([]byte(p.Realm))
	for _, c := range p.Components {
		w.data32([]byte(c))
	}
	return nil
}

func writeTime32(w *writer, t time.Time) {
	if t.IsZero() {
		w.u32(0)
		return
	}
	w.u32(uint32(t.Unix()))
}

func fits16(v int32) bool { return v >= -1<<15 && v <= 1<<15-1 }

func writeCredential(w *writer, c *Credential) error {
	if err := writeCCPrincipal(w, c.Client); err != nil {
		return err
	}
	if err := writeCCPrincipal(w, c.Server); err != nil {
		return err
	}
	if !fits16(c.KeyType) {
		return errorf("enctype %d does not fit a credential cache", c.KeyType)
	}
	w.u16(uint16(int16(c.KeyType)))
	w.data32(c.Key)
	for _, t := range []time.Time{c.AuthTime, c.StartTime, c.EndTime, c.RenewTill} {
		writeTime32(w, t)
	}
	if c.IsSKey {
		w.u8(1)
	} else {
		w.u8(0)
	}
	w.u32(c.Flags)
	if len(c.Addresses) > maxAddresses || len(c.AuthData) > maxAddresses {
		return errorf("credential has too many addresses or authdata elements")
	}
	w.u32(uint32(len(c.Addresses)))
	for _, a := range c.Addresses {
		if !fits16(a.AddrType) {
			return errorf("address type %d does not fit", a.AddrType)
		}
		w.u16(uint16(int16(a.AddrType)))
		w.data32(a.Address)
	}
	w.u32(uint32(len(c.AuthData)))
	for _, a := range c.AuthData {
		if !fits16(a.ADType) {
			return errorf("authdata type %d does not fit", a.ADType)
		}
		w.u16(uint16(int16(a.ADType)))
		w.data32(a.Data)
	}
	w.data32(c.Ticket)
	w.data32(c.SecondTicket)
	return nil
}

// ReadCCache reads and parses a credential cache file.
func ReadCCache(path string) (*CCache, error) {
	b, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	return ParseCCache(b)
}

// WriteCCache replaces a credential cache file atomically, mode 0600.
func WriteCCache(path string, cc *CCache) error {
	b, err := cc.Marshal()
	if err != nil {
		return err
	}
	return writeAtomic(path, b)
}
