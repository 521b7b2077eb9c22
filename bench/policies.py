"""Generated policies of N rules for the benchmarks.

A policy of N rules spreads them over the categories the way a real policy does: half are
read blocks, a quarter write allows, an eighth exec allows, the rest connect allows. The
patterns mix literal paths, `dir/**`, `*.ext` (within one directory and below a `**`) and a
few leading `/**/` patterns, so the automaton is of a realistic shape, not a list of literals.
Every rule is distinct. The files the benchmarks touch are allowed (write, exec, connect) or
match no block (read): every measured call is an allowed call, and no violation is logged
(bench/run.py checks that no violation line was written).

N = 0 is the policy that restricts nothing: every category takes the one-compare fast path.
`listen` is never restricted (the "category without rules" case for every N).
"""
import json

READ_KINDS = [
    lambda i: "/var/task/config/secret-%d.json" % i,                 # literal
    lambda i: "/opt/vendor%d/private/**" % i,                        # dir/**
    lambda i: "/etc/app%d/*.pem" % i,                                # *.ext in a directory
    lambda i: "/var/task/lib%d/**/*.key" % i,                        # *.ext below **
    lambda i: "/home/*/.config/tool%d/credentials" % i,              # * component
    lambda i: "/srv/data%d/[a-f]*.csv" % i,                          # class
    lambda i: "/var/lib/svc%d/**" % i,                               # dir/**
    lambda i: "/root/.aws/profile%d" % i,                            # literal
]
READ_FIXED = ["/proc/**/environ", "/**/.env", "/**/id_rsa"]       # leading ** patterns

WRITE_KINDS = [
    lambda i: "/var/cache/app%d/**" % i,
    lambda i: "/var/log/app%d/*.log" % i,
    lambda i: "/run/app%d/pid" % i,
    lambda i: "/srv/upload%d/**/*.tmp" % i,
]
EXEC_KINDS = [
    lambda i: "/opt/tools%d/bin/*" % i,
    lambda i: "/usr/local/bin/tool%d" % i,
    lambda i: "/opt/runtime%d/**" % i,
]
CONNECT_KINDS = [
    lambda i: "svc%d.internal.example.com:443" % i,
    lambda i: "*.bucket%d.s3.amazonaws.com:443" % i,
    lambda i: "10.%d.%d.0/24:5432" % ((i // 256) % 256, i % 256),
    lambda i: "[2001:db8:%x::]/48:443" % i,
    lambda i: "192.168.%d.%d:6379" % ((i // 256) % 256, i % 256),
]


def split(n):
    """rules per category: read, write, exec, connect"""
    r, w, e = n // 2, n // 4, max(1, n // 8)
    return r, w, e, max(1, n - r - w - e)


def policy(n, bench_dir, mode="block"):
    """The policy of n rules, as a dict. bench_dir: the directory the microbenchmark uses."""
    p = {"version": 1, "mode": mode}
    if n == 0:
        return p
    nr, nw, ne, nc = split(n)
    read = READ_FIXED[:min(len(READ_FIXED), nr)]
    read += [READ_KINDS[i % len(READ_KINDS)](i) for i in range(nr - len(read))]
    # What the workloads need: temporary files, the bench directory, /dev/null.
    write = ["/tmp/**", "/dev/null", "/dev/shm/**"][:nw] if nw else ["/tmp/**"]
    write += [WRITE_KINDS[i % len(WRITE_KINDS)](i) for i in range(nw - len(write))]
    exec_ = [bench_dir + "/noexec"]
    exec_ += [EXEC_KINDS[i % len(EXEC_KINDS)](i) for i in range(ne - len(exec_))]
    connect = ["127.0.0.1", "localhost"][:nc]
    connect += [CONNECT_KINDS[i % len(CONNECT_KINDS)](i) for i in range(nc - len(connect))]
    p["read"] = {"default": "allow", "block": read}
    p["write"] = {"default": "block", "allow": write}
    p["exec"] = {"default": "block", "allow": exec_}
    p["connect"] = {"default": "block", "allow": connect}
    return p


def count(p):
    return sum(len(v[k]) for v in p.values() if isinstance(v, dict)
               for k in ("allow", "alert", "block") if k in v)


if __name__ == "__main__":
    import sys
    for n in (0, 10, 100, 1000):
        p = policy(n, "/tmp/fnbench")
        assert count(p) == n or n == 0, (n, count(p))
    print(json.dumps(policy(int(sys.argv[1]) if len(sys.argv) > 1 else 10, "/tmp/fnbench"), indent=1))
