"""Situations for the differential test (test_differential.py): generated, seeded, reproducible.

A situation is one call in one setting: a policy, a mode, the phase, a working directory, PATH,
and the call itself (what callprobe does, and what `fnshield explain` is asked). They are made
from a small tree of files and links and a few building blocks, combined, then sampled with a
fixed seed so that the same run makes the same situations.
"""
import itertools
import json
import os
import random
import shutil
import stat
from dataclasses import dataclass, field

SEED = 20261203


@dataclass
class Situation:
    kind: str                 # open, fopen, exec, connect, listen
    category: str             # read, write, exec, connect, listen
    policy: dict
    mode: str                 # alert, block
    init: bool = False
    cwd: str = "/"
    path_env: str = "/usr/bin:/bin"
    call: str = ""            # the entry point
    target: str = ""          # path, program, HOST:PORT
    dirfd: str = None         # directory of a directory descriptor
    probe_args: list = field(default_factory=list)
    explain_args: list = field(default_factory=list)

    def describe(self):
        return json.dumps({k: v for k, v in self.__dict__.items()}, indent=1)


def make_tree(d):
    """The files the situations point at. d: an empty directory (absolute, no links in it)."""
    def mk(rel, mode=0o644, content=b"x"):
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(content)
        os.chmod(p, mode)

    def ln(rel, target):
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.symlink(target, p)

    mk("files/a.txt")
    mk("files/b.log")
    mk("secret/key.txt")
    mk("secret/sub/deep.txt")
    os.makedirs(os.path.join(d, "sub/inner"))
    os.makedirs(os.path.join(d, "empty"))
    true = shutil.which("true")
    for prog in ("pa/prog", "pb/prog", "bin/tool", "pb/other"):
        os.makedirs(os.path.dirname(os.path.join(d, prog)), exist_ok=True)
        shutil.copy(true, os.path.join(d, prog))
        os.chmod(os.path.join(d, prog), 0o755)
    mk("pc/prog", 0o644)                       # there, but not executable
    os.makedirs(os.path.join(d, "pd/prog"))    # a directory of the program's name
    ln("links/to_file", "../files/a.txt")
    ln("links/to_secret", "../secret/key.txt")
    ln("links/to_dir", "../secret")
    ln("links/dangling_secret", "../secret/new.txt")
    ln("links/dangling_files", "../files/new.txt")
    ln("links/chain1", "chain2")
    ln("links/chain2", "to_secret")
    ln("links/abs_secret", os.path.join(d, "secret/key.txt"))
    ln("links/to_tool", "../bin/tool")
    ln("links/to_pa", "../pa")
    ln("links/loop1", "loop2")
    ln("links/loop2", "loop1")


# Targets of file calls, relative to the tree.
FILE_TARGETS = [
    "files/a.txt", "files/b.log", "files/new.txt", "secret/key.txt", "secret/sub/deep.txt",
    "secret/new.txt", "nodir/x.txt", "files/a.txt/x", "links/to_file", "links/to_secret",
    "links/to_dir/key.txt", "links/dangling_secret", "links/dangling_files", "links/chain1",
    "links/abs_secret", "links/loop1", "sub/inner", "empty",
]


def spellings(d, rel):
    """(cwd, path as written, dirfd) triples naming d/rel in different ways."""
    head, _, tail = rel.partition("/")
    out = [
        ("/", os.path.join(d, rel), None),
        ("/", d + "//" + rel, None),
        ("/", d + "/./" + rel, None),
        ("/", d + "/sub/../" + rel, None),
        ("/", d + "/sub/inner/../../" + rel.replace("/", "//", 1), None),
        (d, rel, None),
        (d, "./" + rel, None),
        (os.path.join(d, "sub"), "../" + rel, None),
        ("/", rel, d),                                   # a directory descriptor on d
    ]
    if tail and os.path.isdir(os.path.join(d, head)):
        out.append((os.path.join(d, head), tail, None))  # relative to the parent directory
        out.append(("/", tail, os.path.join(d, head)))
    return out


def file_policies(d):
    s, f, l = d + "/secret", d + "/files", d + "/links"
    return [
        {"read": {"default": "allow", "block": [s + "/**"]}},
        {"read": {"default": "allow", "alert": [f + "/*.txt"], "block": [s + "/key.txt"]}},
        {"read": {"default": "block", "allow": [f + "/**", l + "/*", d + "/sub/**", d + "/empty"]}},
        {"write": {"default": "block", "allow": [f + "/**", l + "/**"], "alert": [f + "/*.log"]}},
        {"write": {"default": "allow", "block": [s + "/**", d + "/files/new.txt"]}},
        {"read": {"default": "alert", "allow": [f + "/**"]}, "write": {"default": "block", "allow": [d + "/**"]},
         "init": {"read": {"default": "allow", "block": [f + "/**"]}}},
    ]


def exec_policies(d):
    return [
        {"exec": {"default": "block", "allow": [d + "/pb/*", "/usr/bin/*", "/bin/*"]}},
        {"exec": {"default": "allow", "block": [d + "/pa/prog"], "alert": [d + "/pb/*"]}},
        {"exec": {"default": "block", "allow": [d + "/links/to_tool", d + "/pa/*"]}},
        {"exec": {"default": "alert", "block": [d + "/bin/**", "/bin/sh"]},
         "init": {"exec": {"default": "block", "allow": [d + "/pa/*", d + "/pb/*"]}}},
    ]


EXEC_SEARCH_CALLS = ["execvp", "execvpe", "execlp", "posix_spawnp"]
EXEC_PATH_CALLS = ["execve", "execv", "execl", "posix_spawn", "syscall"]


def exec_cases(d):
    """(call, program, cwd, PATH, dirfd)."""
    paths = [
        d + "/pa:" + d + "/pb",
        d + "/missing:" + d + "/pb",
        d + "/pc:" + d + "/pd:" + d + "/pb",
        d + "/pc:" + d + "/pd",
        ":" + d + "/pb",                       # an empty entry: the working directory
        "pa:" + d + "/pb",                     # a relative entry
        d + "/links/to_pa:/usr/bin",
        "/usr/bin:/bin",
    ]
    out = []
    for call in EXEC_SEARCH_CALLS:
        for p in paths:
            for prog in ("prog", "nosuch", "tool", "other"):
                for cwd in (d, d + "/bin"):
                    out.append((call, prog, cwd, p, None))
    for call in EXEC_PATH_CALLS:
        for prog in (d + "/pa/prog", d + "/pb/prog", d + "/pc/prog", d + "/pd/prog", d + "/nosuch",
                     d + "/links/to_tool", d + "/links/to_pa/prog", d + "//pa/./prog",
                     "pa/prog", "./bin/tool", "bin/nosuch", d + "/files/a.txt/x"):
            out.append((call, prog, d, "/usr/bin:/bin", None))
    for prog in ("prog", "nosuch", "../bin/tool"):
        out.append(("execveat", prog, "/", "/usr/bin:/bin", d + "/pa"))
    for call in ("system", "popen"):
        out.append((call, "exit 0", d, "/usr/bin:/bin", None))
    return out


def net_cases(port):
    """(kind, host or address, extra probe arg, explain target, --ip)."""
    return [
        ("connect", "127.0.0.1", None, "127.0.0.1:%d" % port, None),
        ("connect", "localhost", None, "localhost:%d" % port, "127.0.0.1"),
        ("connect", "127.0.0.1", "v6", "[::ffff:127.0.0.1]:%d" % port, None),
        ("connect", "localhost", "v6", "localhost:%d" % port, "::ffff:127.0.0.1"),
        ("listen", "127.0.0.1", None, "127.0.0.1:%d" % (port + 1), None),
    ]


def net_policies(port):
    return [
        {"connect": {"default": "block", "allow": ["localhost:%d" % port]}},
        {"connect": {"default": "block", "allow": ["127.0.0.0/8:%d" % port]}},
        {"connect": {"default": "allow", "alert": ["127.0.0.1"], "block": ["[::1]:%d" % port]}},
        {"connect": {"default": "block", "allow": ["*.localhost:%d" % port, "10.0.0.0/8"]}},
        {"listen": {"default": "block", "allow": ["127.0.0.1:%d" % (port + 1)]}},
        {"listen": "alert", "connect": {"default": "alert", "allow": ["localhost"]},
         "init": {"connect": {"default": "block", "allow": ["127.0.0.1:%d" % port]}}},
    ]


def generate(d, port, per_kind=None):
    """Every situation, then a seeded sample of each kind (None: all)."""
    rnd = random.Random(SEED)
    sits = {"file": [], "exec": [], "net": []}
    modes = ("alert", "block")
    for pol, rel, mode, init in itertools.product(file_policies(d), FILE_TARGETS, modes, (False, True)):
        for cwd, path, dirfd in spellings(d, rel):
            for cat, kind in itertools.product(("read", "write"), ("open", "fopen")):
                if kind == "fopen" and dirfd:
                    continue
                call = "fopen" if kind == "fopen" else "openat" if dirfd else "open"
                sits["file"].append(Situation(
                    kind=kind, category=cat, policy=pol, mode=mode, init=init, cwd=cwd, call=call,
                    target=path, dirfd=dirfd,
                    probe_args=[kind, path, "w" if cat == "write" else "r"] + ([dirfd] if dirfd else []),
                    explain_args=["--call", call] + (["--dirfd", dirfd] if dirfd else []) + [cat, path]))
    for pol, (call, prog, cwd, path_env, dirfd), mode, init in itertools.product(
            exec_policies(d), exec_cases(d), modes, (False, True)):
        sits["exec"].append(Situation(
            kind="exec", category="exec", policy=pol, mode=mode, init=init, cwd=cwd, path_env=path_env,
            call=call, target=prog, dirfd=dirfd,
            probe_args=["exec", call, prog] + ([dirfd] if dirfd else []),
            explain_args=["--call", call] + (["--dirfd", dirfd] if dirfd else []) + ["exec", prog]))
    for pol, (kind, host, extra, target, ip), mode, init in itertools.product(
            net_policies(port), net_cases(port), modes, (False, True)):
        p = port + 1 if kind == "listen" else port
        sits["net"].append(Situation(
            kind=kind, category=kind, policy=pol, mode=mode, init=init, call=kind, target=target,
            probe_args=[kind, host, str(p)] + ([extra] if extra else []),
            explain_args=(["--ip", ip] if ip else []) + [kind, target]))
    out = []
    for k, v in sits.items():
        n = (per_kind or {}).get(k)
        out += v if n is None or n >= len(v) else rnd.sample(v, n)
    return out
