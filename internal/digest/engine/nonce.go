package engine

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"sync"
	"time"

	"github.com/gosspi/schannel/internal/digest/crypto"
)

// A nonce is base64url(timestamp || random || MAC), 8 + 8 + 16 bytes: the
// server needs no memory to know that it issued a nonce and when.
const (
	nonceRandLen = 8
	nonceMACLen  = 16
	nonceLen     = 8 + nonceRandLen + nonceMACLen
)

// nonces issues and checks a server's nonces and remembers which nc values
// each has used.
type nonces struct {
	key      []byte
	lifetime time.Duration

	mu    sync.Mutex
	table map[string]*ncWindow
	max   int
	// floor is the issue time of the newest nonce ever evicted. A nonce
	// issued at or before it that is not in the table may have been
	// evicted, so its nc history is lost and it can only be refused.
	floor int64
}

// ncWindow is the nc history of one nonce: the highest nc seen and a bit
// per value below it, in the manner of a DTLS replay window.
type ncWindow struct {
	issued  int64
	highest uint32
	seen    uint64 // bit i: highest-i was used
}

// windowSize is how far below the highest nc an nc may arrive late,
// covering requests sent in parallel on one nonce.
const windowSize = 64

func (n *nonces) mac(stamp []byte) []byte {
	h := hmac.New(sha256.New, n.key)
	h.Write(stamp)
	return h.Sum(nil)[:nonceMACLen]
}

// issue returns a new nonce for the time now; random supplies its random
// bytes.
func (n *nonces) issue(now time.Time, random [nonceRandLen]byte) string {
	var b [nonceLen]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixNano()))
	copy(b[8:], random[:])
	copy(b[16:], n.mac(b[:16]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// nonceState is what check learns about a nonce.
type nonceState int

const (
	nonceForged  nonceState = iota // not issued by this server
	nonceFresh                     // valid and within its lifetime
	nonceExpired                   // valid but too old: answer stale=true
)

// check authenticates a nonce and reports its age; issued is its time.
func (n *nonces) check(nonce string, now time.Time) (nonceState, int64) {
	// A nonce that asks for channel bindings has the prefix: the MAC is
	// over the rest.
	nonce = strings.TrimPrefix(nonce, crypto.UpgradedV1)
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != nonceLen {
		return nonceForged, 0
	}
	if !hmac.Equal(n.mac(b[:16]), b[16:]) {
		return nonceForged, 0
	}
	issued := int64(binary.BigEndian.Uint64(b[:8]))
	age := now.UnixNano() - issued
	if age < 0 || age > int64(n.lifetime) {
		return nonceExpired, issued
	}
	return nonceFresh, issued
}

// ncResult is the outcome of recording an nc.
type ncResult int

const (
	ncOK     ncResult = iota
	ncReplay          // this nc was used before, or is too old to tell
	ncLost            // the nonce's history was evicted: treat as stale
)

// use records that nonce (issued at issued) was used with nc.
func (n *nonces) use(nonce string, issued int64, nc uint32) ncResult {
	n.mu.Lock()
	defer n.mu.Unlock()
	w, ok := n.table[nonce]
	if !ok {
		if issued <= n.floor {
			return ncLost
		}
		if len(n.table) >= n.max {
			n.evictOldest()
		}
		w = &ncWindow{issued: issued}
		n.table[nonce] = w
	}
	switch {
	case nc > w.highest:
		shift := nc - w.highest
		if shift >= windowSize {
			w.seen = 0
		} else {
			w.seen <<= shift
		}
		w.seen |= 1
		w.highest = nc
		return ncOK
	case w.highest-nc >= windowSize:
		return ncReplay
	default:
		bit := uint64(1) << (w.highest - nc)
		if w.seen&bit != 0 {
			return ncReplay
		}
		w.seen |= bit
		return ncOK
	}
}

// evictOldest drops the nonce issued first. The scan is linear, but the
// table is capped and this runs only when it is full.
func (n *nonces) evictOldest() {
	var oldest string
	var at int64
	first := true
	for k, w := range n.table {
		if first || w.issued < at {
			oldest, at, first = k, w.issued, false
		}
	}
	delete(n.table, oldest)
	if at > n.floor {
		n.floor = at
	}
}
