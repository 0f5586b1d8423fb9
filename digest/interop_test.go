package digest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel/digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requirePeer skips when a peer program is missing, or fails when
// SCHANNEL_INTEROP=require, as the interop package's helper of that name
// does.
func requirePeer(t *testing.T, program string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		path, err = exec.LookPath("/usr/sbin/" + program)
	}
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("interop peer %q is not installed (%v)", program, err)
	if os.Getenv("SCHANNEL_INTEROP") == "require" {
		t.Fatal(msg + " (SCHANNEL_INTEROP=require)")
	}
	t.Skip(msg)
	return ""
}

// TestInteropCurlAgainstMiddleware runs curl --digest against the
// Middleware: MD5, SHA-256, their -sess forms and userhash, two requests,
// then a wrong password. (Debian 12's curl 7.88 computes SHA-512-256 with
// SHA-256, so it is no peer for that algorithm.)
func TestInteropCurlAgainstMiddleware(t *testing.T) {
	curl := requirePeer(t, "curl")
	for _, tc := range []struct {
		alg      string
		userhash bool
	}{
		{"MD5", false}, {"MD5-sess", false}, {"SHA-256", false}, {"SHA-256-sess", false},
		{"MD5", true}, {"SHA-256", true},
	} {
		t.Run(fmt.Sprintf("%s/userhash=%v", tc.alg, tc.userhash), func(t *testing.T) {
			mw := newMiddleware(t, func(c *digest.ServerConfig) {
				c.Algorithms = []string{tc.alg}
				c.Userhash = tc.userhash
			})
			var mu sync.Mutex
			var seen []string
			h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				user, _ := digest.UserFromContext(r.Context())
				fmt.Fprintf(w, "hello %s\n", user)
			}))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if a := r.Header.Get("Authorization"); a != "" {
					mu.Lock()
					seen = append(seen, a)
					mu.Unlock()
				}
				h.ServeHTTP(w, r)
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			url := srv.URL + "/dir/index.html?x=1"
			out, err := exec.CommandContext(ctx, curl, "-sS", "--digest", "-u", testUser+":"+testPassword,
				"-w", "%{http_code}\n", url, url).CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Equal(t, "hello "+testUser+"\n200\nhello "+testUser+"\n200\n", string(out))
			mu.Lock()
			require.NotEmpty(t, seen)
			assert.Contains(t, seen[0], "algorithm="+tc.alg)
			assert.Equal(t, tc.userhash, strings.Contains(seen[0], "userhash=true"), seen[0])
			mu.Unlock()

			out, err = exec.CommandContext(ctx, curl, "-sS", "--digest", "-u", testUser+":wrong",
				"-w", "%{http_code}\n", "-o", "/dev/null", url).CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Equal(t, "401\n", string(out))
		})
	}
}
