//go:build linux

package interop_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// postfixMainCf is a confined Postfix: its own queue, data and mailbox
// directories, listening on 127.0.0.1 only, delivering mail for
// bob@interop.test to an mbox file with the virtual(8) agent, logging to a
// file (there is no syslog in the sandbox), no DNS.
const postfixMainCf = `compatibility_level = 3.6
queue_directory = {{DIR}}/queue
data_directory = {{DIR}}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.interop.test
mydomain = interop.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = interop.test
virtual_mailbox_base = {{DIR}}/mail
virtual_mailbox_maps = inline:{ bob@interop.test=bob }
virtual_uid_maps = static:{{UID}}
virtual_gid_maps = static:{{GID}}
virtual_minimum_uid = 1
virtual_mailbox_limit = 0
message_size_limit = 0
smtpd_tls_cert_file = {{DIR}}/etc/cert.pem
smtpd_tls_key_file = {{DIR}}/etc/key.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
maillog_file = {{DIR}}/maillog
maillog_file_prefixes = {{DIR}}
smtputf8_enable = no
biff = no
alias_maps =
alias_database =
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtpd_banner = $myhostname ESMTP interop
`

// postfixMasterCf: a plain smtpd that offers STARTTLS, an SMTPS smtpd
// (wrapper mode), and the services delivery needs; nothing chrooted.
const postfixMasterCf = `127.0.0.1:{{SMTP}} inet n - n - - smtpd
127.0.0.1:{{SMTPS}} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
proxywrite unix - - n -  1 proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
local     unix  - n n -  - local
virtual   unix  - n n -  - virtual
lmtp      unix  - - n -  - lmtp
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
`

// postfixInstance is a running confined Postfix.
type postfixInstance struct {
	dir         string
	smtp, smtps string // addresses
}

func (pf *postfixInstance) maillog() string {
	b, _ := os.ReadFile(filepath.Join(pf.dir, "maillog"))
	return string(b)
}

func (pf *postfixInstance) mailbox() string {
	b, _ := os.ReadFile(filepath.Join(pf.dir, "mail", "bob"))
	return string(b)
}

// startPostfix configures and starts Postfix in a directory of its own with
// "postfix -c DIR start-fg", and stops it on cleanup.
func startPostfix(t *testing.T) *postfixInstance {
	t.Helper()
	requirePeers(t, "postfix", "postconf")
	if os.Geteuid() != 0 {
		// The master daemon must start as root (it drops to mail_owner).
		msg := "Postfix's master daemon must be started as root; this test runs as uid " + strconv.Itoa(os.Geteuid())
		if os.Getenv("SCHANNEL_INTEROP") == "require" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	owner, err := user.Lookup("postfix")
	require.NoError(t, err, "the postfix user (made by the Debian package)")
	mailUser, err := user.Lookup("nobody")
	require.NoError(t, err)

	// Not t.TempDir: Postfix's unprivileged processes must traverse it.
	dir, err := os.MkdirTemp("", "schannel-postfix-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	for _, d := range []string{"etc", "queue", "data", "mail"} {
		require.NoError(t, os.Mkdir(filepath.Join(dir, d), 0o755))
	}
	ownerUID, _ := strconv.Atoi(owner.Uid)
	mailUID, _ := strconv.Atoi(mailUser.Uid)
	mailGID, _ := strconv.Atoi(mailUser.Gid)
	require.NoError(t, os.Chown(filepath.Join(dir, "data"), ownerUID, -1))
	require.NoError(t, os.Chown(filepath.Join(dir, "mail"), mailUID, mailGID))
	copyFile(t, thePKI.ECDSAFile, filepath.Join(dir, "etc", "cert.pem"), 0o644)
	copyFile(t, thePKI.ECDSAKey, filepath.Join(dir, "etc", "key.pem"), 0o600)

	pf := &postfixInstance{dir: dir}
	smtpPort, smtpsPort := peertest.FreePort(t), peertest.FreePort(t)
	pf.smtp, pf.smtps = hostPort(smtpPort), hostPort(smtpsPort)
	r := strings.NewReplacer("{{DIR}}", dir, "{{UID}}", mailUser.Uid, "{{GID}}", mailUser.Gid,
		"{{SMTP}}", strconv.Itoa(smtpPort), "{{SMTPS}}", strconv.Itoa(smtpsPort))
	etc := filepath.Join(dir, "etc")
	require.NoError(t, os.WriteFile(filepath.Join(etc, "main.cf"), []byte(r.Replace(postfixMainCf)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(etc, "master.cf"), []byte(r.Replace(postfixMasterCf)), 0o644))

	// "postfix check" creates the queue directories; Postfix reports its
	// errors to syslog or a terminal only, so a failure here says little.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	out, err := peerCommand(ctx, "postfix", "-c", etc, "check").CombinedOutput()
	require.NoError(t, err, "postfix -c %s check: %s (main.cf and master.cf are in that directory)", etc, out)

	p := startProc(t, ctx, "postfix", "-c", etc, "start-fg")
	t.Cleanup(func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 20*time.Second)
		defer stop()
		if out, err := peerCommand(stopCtx, "postfix", "-c", etc, "stop").CombinedOutput(); err != nil && !p.exited() {
			t.Logf("postfix stop: %v %s", err, out)
		}
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			t.Logf("the Postfix master did not stop within 15 s; killing its process group")
		}
		// The master has stopped its children; kill whatever is left of the
		// group (startProc's cleanup does it again, harmlessly).
		_ = p.killGroup()
		if t.Failed() {
			t.Logf("Postfix maillog:\n%s", tail(pf.maillog(), 6000))
		}
	})
	waitListening(t, p, pf.smtp, 30*time.Second)
	waitListening(t, p, pf.smtps, 10*time.Second)
	return pf
}

func copyFile(t testing.TB, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, b, mode))
}

// mailMessage is a message of many records: lines that start with a dot
// (dot-stuffed on the wire) and CRLF line ends.
func mailMessage(subject string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: alice@example.com\r\nTo: bob@interop.test\r\nSubject: %s\r\n\r\n", subject)
	for i := range 3000 {
		fmt.Fprintf(&b, "line %d of the message over schannel, and a dot-led line next:\r\n.dotted %d\r\n", i, i)
	}
	b.WriteString("the end\r\n")
	return b.String()
}

// sendVia runs one mail transaction on a client that is past EHLO.
func sendVia(t testing.TB, c *smtp.Client, msg string) {
	t.Helper()
	require.NoError(t, c.Mail("alice@example.com"))
	require.NoError(t, c.Rcpt("bob@interop.test"))
	w, err := c.Data()
	require.NoError(t, err)
	_, err = w.Write([]byte(msg))
	require.NoError(t, err)
	require.NoError(t, w.Close(), "the server's answer to the message")
	require.NoError(t, c.Quit())
}

// TestPostfix: net/smtp over our Conn delivers mail to a real Postfix, by
// STARTTLS on a plain port and by implicit TLS (smtpd_tls_wrappermode), where
// the server's banner is the first record after the handshake.
func TestPostfix(t *testing.T) {
	pf := startPostfix(t)
	peer := "Postfix " + strings.TrimPrefix(peerVersion("postconf", "-d", "mail_version"), "mail_version = ")
	tlsLine := regexp.MustCompile(`TLS connection established from [^:]*: (TLSv1\.[23]) with cipher (\S+)`)

	for _, v := range versions {
		for _, mode := range []string{"STARTTLS", "implicit TLS (wrappermode)"} {
			c := cell{Peer: peer, Ours: "client", Version: v.Name, Feature: "net/smtp " + mode}
			// One Postfix for all: the cells run one after another.
			runCell(t, c, "", false, func(t *testing.T, n *notes) {
				ctx := cellContext(t)
				cfg := thePKI.clientConfig()
				cfg.MinVersion, cfg.MaxVersion = v.ID, v.ID
				subject := fmt.Sprintf("schannel interop %s %s %d", v.Name, mode, time.Now().UnixNano())
				msg := mailMessage(subject)

				var (
					conn   *schannel.Conn
					client *smtp.Client
					err    error
				)
				if mode == "STARTTLS" {
					raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", pf.smtp)
					require.NoError(t, err)
					d, _ := ctx.Deadline()
					require.NoError(t, raw.SetDeadline(d))
					t.Cleanup(func() { _ = raw.Close() })
					client, err = smtp.NewClient(raw, "localhost")
					require.NoError(t, err)
					require.NoError(t, client.Hello("client.interop.test"))
					ok, _ := client.Extension("STARTTLS")
					require.True(t, ok, "Postfix offers STARTTLS")
					// One call: STARTTLS, our handshake, EHLO again (RFC 3207).
					client, conn, err = schannel.SMTPStartTLS(client, raw, cfg, "client.interop.test")
					require.NoError(t, err)
					ok, _ = client.Extension("STARTTLS")
					assert.False(t, ok, "STARTTLS offered again inside TLS")
					n.add("upgraded by schannel.SMTPStartTLS")
				} else {
					nc, err := (&schannel.Dialer{Config: cfg}).DialContext(ctx, "tcp", pf.smtps)
					require.NoError(t, err)
					conn = nc.(*schannel.Conn)
					d, _ := ctx.Deadline()
					require.NoError(t, conn.SetDeadline(d))
					t.Cleanup(func() { _ = conn.Close() })
					// The banner is the first thing read after the handshake.
					client, err = smtp.NewClient(conn, "localhost")
					require.NoError(t, err, "reading Postfix's banner over TLS")
					require.NoError(t, client.Hello("client.interop.test"))
				}
				require.NoError(t, err)
				st, info := connInfo(conn)
				assert.Equal(t, v.ID, st.Version)
				sendVia(t, client, msg)

				// Delivery is asynchronous: wait for the message in bob's mbox.
				deadline := time.Now().Add(30 * time.Second)
				for !strings.Contains(pf.mailbox(), subject) && time.Now().Before(deadline) {
					time.Sleep(100 * time.Millisecond)
				}
				box := pf.mailbox()
				require.Contains(t, box, "Subject: "+subject, "the message was not delivered; maillog:\n%s", tail(pf.maillog(), 3000))
				_, body, _ := strings.Cut(msg, "\r\n\r\n")
				want := strings.ReplaceAll(body, "\r\n", "\n")
				i := strings.Index(box, "Subject: "+subject)
				delivered := box[i:]
				assert.True(t, strings.Contains(delivered, "\n\n"+want), "the delivered body differs from what was sent (%d bytes sent)", len(want))
				n.add("%s %s: %d-byte message delivered intact to the mailbox", tls.VersionName(st.Version), info.CipherSuiteName, len(msg))
				if m := tlsLine.FindAllStringSubmatch(pf.maillog(), -1); len(m) > 0 {
					last := m[len(m)-1]
					n.add("smtpd: %s %s", last[1], last[2])
				}
			})
		}
	}
}
