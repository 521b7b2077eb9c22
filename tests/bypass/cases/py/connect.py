"""Reaching a loopback server the policy forbids (connect default block).

modes: raw-ip            connect(("127.0.0.1", port))
       v4mapped          AF_INET6 socket, connect(("::ffff:127.0.0.1", port))
       ipv6              connect(("::1", port6))
       udp-sendto        UDP sendto(addr) without connect
       udp-sendmsg       UDP sendmsg with a destination, without connect
       tfo               TCP fast open: sendto(data, MSG_FASTOPEN, addr), no connect
       ctypes-libc       connect() of ctypes.CDLL("libc.so.6")
       ctypes-alias      __connect, an alias the preload lacks, through ctypes.CDLL(None)
       dns-other-addr    policy allows "localhost"; resolve it, then connect to 127.0.0.3
       dns-other-port    policy allows "localhost:ALLOWED"; resolve it, connect to another port
"""
import ctypes
import socket

from _case import attempt, run


def libc_connect(lib, fn_name, port):
    attempt("%s(127.0.0.1:%d) via ctypes" % (fn_name, port))
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sa = bytearray(16)
    sa[0:2] = socket.AF_INET.to_bytes(2, "little")
    sa[2:4] = port.to_bytes(2, "big")
    sa[4:8] = socket.inet_aton("127.0.0.1")
    buf = (ctypes.c_char * 16).from_buffer(sa)
    fn = lib[fn_name]
    r = fn(s.fileno(), buf, 16)
    return "%s returned %d errno=%d" % (fn_name, r, ctypes.get_errno())


def handler(event, context):
    mode = event["mode"]
    port = int(event.get("tcp4_port", 0))
    if mode == "raw-ip":
        attempt("connect 127.0.0.1:%d" % port)
        s = socket.socket()
        s.connect(("127.0.0.1", port))
        return "connected"
    if mode == "v4mapped":
        attempt("connect [::ffff:127.0.0.1]:%d" % port)
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.connect(("::ffff:127.0.0.1", port))
        return "connected"
    if mode == "ipv6":
        port6 = int(event["tcp6_port"])
        attempt("connect [::1]:%d" % port6)
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.connect(("::1", port6))
        return "connected"
    if mode in ("udp-sendto", "udp-sendmsg"):
        uport = int(event["udp4_port"])
        attempt("%s 127.0.0.1:%d" % (mode, uport))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if mode == "udp-sendto":
            n = s.sendto(b"exfil", ("127.0.0.1", uport))
        else:
            n = s.sendmsg([b"exfil"], [], 0, ("127.0.0.1", uport))
        return "sent %d" % n
    if mode == "tfo":
        attempt("sendto(MSG_FASTOPEN) 127.0.0.1:%d" % port)
        s = socket.socket()
        n = s.sendto(b"exfil", socket.MSG_FASTOPEN, ("127.0.0.1", port))
        return "sent %d" % n
    if mode == "ctypes-libc":
        return libc_connect(ctypes.CDLL("libc.so.6", use_errno=True), "connect", port)
    if mode == "ctypes-alias":
        return libc_connect(ctypes.CDLL(None, use_errno=True), "__connect", port)
    if mode == "dns-other-addr":
        other = event["other_ip"]
        oport = int(event["other_port"])
        attempt("resolve localhost (allowed), connect %s:%d" % (other, oport))
        infos = socket.getaddrinfo("localhost", port, socket.AF_INET, socket.SOCK_STREAM)
        print("NOTE localhost ->", infos[0][4][0], flush=True)
        s = socket.socket()
        s.connect((other, oport))
        return "connected"
    if mode == "dns-other-port":
        attempt("resolve localhost, connect to port %d (the allowed port is %s)"
                % (port, event["allowed_port"]))
        infos = socket.getaddrinfo("localhost", port, socket.AF_INET, socket.SOCK_STREAM)
        addr = infos[0][4][0]
        s = socket.socket()
        s.connect((addr, port))
        return "connected"
    raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    run(handler)
