#!/bin/sh
# capture.sh records the Kerberos messages MIT krb5 exchanges in a throwaway
# realm and writes them as NAME.hex beside this script, for the wire
# package's round-trip tests and fuzz seeds. It needs krb5-kdc,
# krb5-admin-server, krb5-user, krb5-gss-samples and python3, and touches
# nothing outside a temporary directory (loopback only).
#
# The password and the service key are written too (secrets.txt), so the
# tests can decrypt what MIT encrypted: they are test-only secrets.
set -eu
out=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'kill $(cat "$dir/kdc.pid" 2>/dev/null) 2>/dev/null || true; kill $proxy_pid 2>/dev/null || true; rm -rf "$dir"' EXIT
kdcport=$((20000 + $$ % 10000))
proxyport=$((kdcport + 1))
gssport=$((kdcport + 2))
gssproxy=$((kdcport + 3))
cat >"$dir/krb5.conf" <<CONF
[libdefaults]
	default_realm = TEST.LOCAL
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	udp_preference_limit = 1
[realms]
	TEST.LOCAL = {
		kdc = 127.0.0.1:$proxyport
	}
CONF
cat >"$dir/kdc.conf" <<CONF
[kdcdefaults]
	kdc_ports = $kdcport
	kdc_tcp_ports = $kdcport
[realms]
	TEST.LOCAL = {
		database_name = $dir/principal
		key_stash_file = $dir/stash
		acl_file = $dir/kadm5.acl
	}
CONF
export KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf" KRB5CCNAME="FILE:$dir/ccache"
kdb5_util create -s -r TEST.LOCAL -P masterpw >/dev/null
kadmin.local -q "addprinc +requires_preauth -pw password user" >/dev/null
kadmin.local -q "addprinc -randkey -e aes256-cts-hmac-sha1-96:normal host/localhost" >/dev/null
kadmin.local -q "ktadd -k $dir/keytab host/localhost" >/dev/null
krb5kdc -n -P "$dir/kdc.pid" &
sleep 1

# A recording TCP proxy: each connection's two directions are saved.
cat >"$dir/proxy.py" <<'PY'
import socket, sys, threading
listen, target, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen)); srv.listen(8)
n = 0
def pump(a, b, f):
    with open(f, "wb") as out:
        while True:
            d = a.recv(65536)
            if not d:
                break
            out.write(d); out.flush(); b.sendall(d)
    try: b.shutdown(socket.SHUT_WR)
    except OSError: pass
while True:
    c, _ = srv.accept(); n += 1
    s = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pump, args=(c, s, "%s%d.up" % (prefix, n))).start()
    threading.Thread(target=pump, args=(s, c, "%s%d.down" % (prefix, n))).start()
PY
python3 "$dir/proxy.py" $proxyport $kdcport "$dir/kdc" &
proxy_pid=$!
sleep 1.5
echo password | kinit user >/dev/null
kvno host/localhost >/dev/null

# An AP exchange with mutual authentication through gss-sample.
python3 "$dir/proxy.py" $gssproxy $gssport "$dir/gss" &
gssproxy_pid=$!
KRB5_KTNAME="FILE:$dir/keytab" gss-server -port $gssport -once host@localhost >/dev/null 2>&1 &
sleep 1.5
gss-client -port $gssproxy 127.0.0.1 host@localhost "hello" >/dev/null
sleep 1.5
kill $gssproxy_pid 2>/dev/null || true

python3 - "$dir" "$out" <<'PY'
import struct, sys, os, subprocess
d, out = sys.argv[1], sys.argv[2]
def kdc(n, way):
    b = open(os.path.join(d, "kdc%d.%s" % (n, way)), "rb").read()
    (l,) = struct.unpack(">I", b[:4]); return b[4:4+l]
def gss_frames(way):
    b = open(os.path.join(d, "gss1.%s" % way), "rb").read(); fr = []
    while b:
        flags = b[0]; (l,) = struct.unpack(">I", b[1:5]); fr.append((flags, b[5:5+l])); b = b[5+l:]
    return fr
def write(name, data, note):
    with open(os.path.join(out, name + ".hex"), "w") as f:
        f.write("# %s\n# captured by capture.sh from MIT krb5 %s\n" % (note, ver))
        h = data.hex()
        for i in range(0, len(h), 64): f.write(h[i:i+64] + "\n")
ver = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "krb5-kdc"], capture_output=True, text=True).stdout
write("as-req", kdc(1, "up"), "kinit's first AS-REQ, no pre-authentication")
write("krb-error", kdc(1, "down"), "KDC_ERR_PREAUTH_REQUIRED from krb5kdc")
write("as-req-preauth", kdc(2, "up"), "kinit's AS-REQ with PA-ENC-TIMESTAMP")
write("as-rep", kdc(2, "down"), "krb5kdc's AS-REP")
write("tgs-req", kdc(3, "up"), "kvno's TGS-REQ for host/localhost")
write("tgs-rep", kdc(3, "down"), "krb5kdc's TGS-REP")
up, down = gss_frames("up"), gss_frames("down")
ctx_up = [t for f, t in up if f & 0x02 and t]
ctx_down = [t for f, t in down if f & 0x02 and t]
write("gss-ap-req", ctx_up[0], "gss-client's first context token (framed AP-REQ)")
write("gss-ap-rep", ctx_down[0], "gss-server's context token (framed AP-REP)")
wrap = [t for f, t in up if f & 0x20]
write("gss-wrap", wrap[0], "gss-client's Wrap token of \"hello\"")
mic = [t for f, t in down if f & 0x08]
write("gss-mic", mic[0], "gss-server's MIC token over \"hello\"")
PY
keyhex=$(klist -k -K -e "$dir/keytab" | awk '/aes256/ {print $NF; exit}' | sed 's/(0x//; s/)//')
cat >"$out/secrets.txt" <<SEC
# Test-only secrets of the realm capture.sh made.
password password
salt TEST.LOCALuser
host-key-aes256 $keyhex
SEC
