"""Accepting what the policy forbids to accept (listen default block).

modes: tcp               socket.listen on 127.0.0.1:LISTEN_PORT, accept one connection (3 s),
                         print what it carries
       udp               a datagram socket bound to 127.0.0.1:LISTEN_PORT, print what arrives
       ctypes-libc       listen() of ctypes.CDLL("libc.so.6") on a bound TCP socket
"""
import ctypes
import select
import socket

from _case import attempt, got, run, say


def serve_once(s, stream):
    if not select.select([s], [], [], 3)[0]:
        return "listening, nothing arrived"
    conn = s.accept()[0] if stream else s
    if not select.select([conn], [], [], 1)[0]:
        return "accepted, nothing read"
    data = conn.recv(256)
    got(data)  # the harness's token: proof that this run listened
    return "received %d bytes" % len(data)


def handler(event, context):
    mode = event["mode"]
    port = int(event["listen_port"])
    stream = mode != "udp"
    # the socket is part of the attempt: where connect and listen are both blocked outright,
    # the kernel refuses inet sockets
    attempt({"tcp": "listen on 127.0.0.1:%d", "udp": "bind a datagram socket to 127.0.0.1:%d",
             "ctypes-libc": "listen() on 127.0.0.1:%d via ctypes.CDLL(\"libc.so.6\")"}[mode] % port)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if stream else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if mode == "tcp":
        s.bind(("127.0.0.1", port))
        s.listen(4)
    elif mode == "udp":
        s.bind(("127.0.0.1", port))
    elif mode == "ctypes-libc":
        s.bind(("127.0.0.1", port))
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        if libc.listen(s.fileno(), 4) < 0:
            return "listen returned -1 errno=%d" % ctypes.get_errno()
    say("LISTENING on 127.0.0.1:%d" % port)
    return serve_once(s, stream)


run(handler)
