"""MIT's GSS-API as a scripted peer for the Go tests (python3-gssapi).

Run with /usr/bin/python3 (Debian's python3-gssapi). One context per run.
Commands arrive one a line on stdin, words separated by spaces, byte
strings in hex ("-" for empty); each gets one line on stdout: "OK ..." or
"ERR <exception class> <message>".

  init TARGET FLAGS CB    start an initiator for TARGET (GSS host-based
                          service@host); FLAGS is an int of GSS_C_* flags;
                          CB the channel bindings' application data or -
  accept CB               start an acceptor (keytab from KRB5_KTNAME)
  step TOKEN              one context step: OK OUTTOKEN COMPLETE(0/1)
  info                    OK FLAGS DELEGATED(0/1) PEERNAME
  wrap CONF MSG           OK TOKEN (gss_wrap)
  unwrap TOKEN            OK MSG CONF
  mic MSG                 OK TOKEN
  verify MSG TOKEN        OK
  wrapiov CONF MSG        gss_wrap_iov into [HEADER, DATA] (no trailer
                          buffer: the DCE RPC layout): OK HEADER DATA
  unwrapiov HEADER DATA   gss_unwrap_iov of [HEADER, DATA]: OK MSG CONF
"""

import sys

import gssapi
import gssapi.raw as raw


def h(b):
    return b.hex() if b else "-"


def unh(s):
    return b"" if s == "-" else bytes.fromhex(s)


def bindings(s):
    if s == "-":
        return None
    return raw.ChannelBindings(application_data=unh(s))


def main():
    ctx = None
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd, args = words[0], words[1:]
        try:
            if cmd == "init":
                name = gssapi.Name(args[0], gssapi.NameType.hostbased_service)
                ctx = gssapi.SecurityContext(
                    name=name, usage="initiate", mech=gssapi.MechType.kerberos,
                    flags=int(args[1]), channel_bindings=bindings(args[2]))
                out = "OK"
            elif cmd == "accept":
                ctx = gssapi.SecurityContext(usage="accept", channel_bindings=bindings(args[0]))
                out = "OK"
            elif cmd == "step":
                tok = ctx.step(unh(args[0]) if args[0] != "-" else None)
                out = "OK %s %d" % (h(tok), 1 if ctx.complete else 0)
            elif cmd == "info":
                deleg = 1 if ctx.usage == "accept" and ctx.delegated_creds is not None else 0
                peer = ctx.initiator_name if ctx.usage == "accept" else ctx.target_name
                out = "OK %d %d %s" % (int(ctx.actual_flags), deleg, str(peer))
            elif cmd == "wrap":
                res = ctx.wrap(unh(args[1]), args[0] == "1")
                out = "OK " + h(res.message)
            elif cmd == "unwrap":
                res = ctx.unwrap(unh(args[0]))
                out = "OK %s %d" % (h(res.message), 1 if res.encrypted else 0)
            elif cmd == "mic":
                out = "OK " + h(ctx.get_signature(unh(args[0])))
            elif cmd == "verify":
                ctx.verify_signature(unh(args[0]), unh(args[1]))
                out = "OK"
            elif cmd == "wrapiov":
                iov = raw.IOV(raw.IOVBufferType.header, unh(args[1]), std_layout=False)
                raw.wrap_iov(ctx, iov, confidential=args[0] == "1")
                out = "OK %s %s" % (h(iov[0].value), h(iov[1].value))
            elif cmd == "unwrapiov":
                iov = raw.IOV((raw.IOVBufferType.header, False, unh(args[0])), unh(args[1]), std_layout=False)
                res = raw.unwrap_iov(ctx, iov)
                out = "OK %s %d" % (h(iov[1].value), 1 if res.encrypted else 0)
            else:
                out = "ERR ValueError unknown command " + cmd
        except Exception as e:  # every failure is an answer, not a crash
            out = "ERR %s %s" % (type(e).__name__, str(e).replace("\n", " "))
        sys.stdout.write(out + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
