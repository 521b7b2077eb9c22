"""The situations of the differential test (test_differential.py): generated, seeded, reproducible.

A situation is one call in one setting: a policy, a mode, the phase (init or not), a working
directory, PATH, a directory descriptor, and the call itself, made by the C probe
(programs/diffprobe.c) or by CPython (programs/diffprobe.py), and put to `fnshield explain`.

Everything is built from a few blocks, combined at random from a fixed seed:
  - a small tree (build_tree): files, a non-executable file, programs, symbolic links to files,
    to directories, a dangling link whose missing target is under a blocked directory, a chain
    of links, absolute links;
  - spellings of a path: as is, "//", "/./", a detour through "..", relative to the working
    directory, relative to a directory descriptor;
  - PATH values from entries that are empty (the working directory), relative, missing, ours;
  - policies: each category's default and lists drawn from patterns over the tree (exact paths,
    DIR/**, DIR/*.txt), names and addresses; init overrides; both modes.

Situations are templates: "{R}" is the situation's own tree (each situation gets a fresh one,
so a write that creates a file changes nothing for the others), "{P}" the TCP port of the
loopback server on 127.0.0.1, "{P6}" the one on ::1, "{C}" a closed port, "{L}" a free port to
listen on. instantiate() fills them in.
"""
import json
import os
import random
import re
import shutil

SEED = 20261203

# ---------------------------------------------------------------- the tree -----------------
# name -> what it is; links are relative unless their target starts with {R}.
TREE = [
    ("data/a.txt", "file"),
    ("data/b.log", "file"),
    ("data/sub/c.txt", "file"),
    ("secret/key.txt", "file"),
    ("secret/notes.md", "file"),
    ("bin/tool", "program"),
    ("bin/plain", "file"),            # not executable
    ("bin2/tool", "program"),
    ("bin2/other", "program"),
    ("out/", "dir"),
    ("bin/ln-tool", "link:tool"),
    ("bin/ln-other", "link:../bin2/other"),
    ("bin/ln-dangling", "link:../bin2/missing"),
    ("links/to_a", "link:../data/a.txt"),
    ("links/to_secret", "link:../secret/key.txt"),
    ("links/to_data", "link:../data"),
    ("links/to_secret_dir", "link:{R}/secret"),
    ("links/dangling", "link:../secret/missing.txt"),
    ("links/chain1", "link:chain2"),
    ("links/chain2", "link:chain3"),
    ("links/chain3", "link:../secret/notes.md"),
    ("links/abs_a", "link:{R}/data/a.txt"),
    ("links/loop1", "link:loop2"),
    ("links/loop2", "link:loop1"),
]

PROGRAM_SOURCE = "/usr/bin/true"   # the test uses its probe: run without arguments, it says
                                   # which file it is (its /proc/self/exe)
TREE_DIRS = {"data", "secret", "bin", "bin2", "out", "links"}   # a directory descriptor's place


def build_tree(root, program=PROGRAM_SOURCE):
    """Makes the tree under root (an existing, empty, absolute directory); its programs are
    copies of program."""
    for name, what in TREE:
        p = os.path.join(root, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if what == "dir":
            os.makedirs(p, exist_ok=True)
        elif what == "file":
            with open(p, "w") as f:
                f.write("content of %s\n" % name)
            os.chmod(p, 0o644)
        elif what == "program":
            shutil.copyfile(program, p)
            os.chmod(p, 0o755)
        else:
            os.symlink(what[len("link:"):].replace("{R}", root), p)


# ---------------------------------------------------------------- building blocks ----------
READ_TARGETS = ["data/a.txt", "data/b.log", "data/sub/c.txt", "secret/key.txt", "secret/notes.md",
                "secret/missing.txt", "data/nosuch.txt", "data/a.txt/x", "links/to_a",
                "links/to_secret", "links/to_data/a.txt", "links/to_data/sub/c.txt",
                "links/to_secret_dir/key.txt", "links/dangling", "links/chain1", "links/abs_a",
                "links/to_data/../secret/key.txt", "links/loop1", "data/a.txt/"]
WRITE_TARGETS = ["data/a.txt", "secret/key.txt", "out/new.txt", "out/new.log", "secret/new.txt",
                 "links/to_a", "links/to_secret", "links/dangling", "links/chain1",
                 "links/to_data/new.txt", "links/to_secret_dir/new.txt", "nosuchdir/new.txt",
                 "links/to_data/../secret/new.txt", "links/loop1", "out/"]

FILE_PATTERNS = ["{R}/secret/**", "{R}/secret/*.txt", "{R}/secret/key.txt", "{R}/data/**",
                 "{R}/data/*.txt", "{R}/data/a.txt", "{R}/links/*", "{R}/links/**",
                 "{R}/links/to_a", "{R}/links/dangling", "{R}/out/**", "{R}/out/*.log",
                 "{R}/**/c.txt", "{R}/**", "/proc/*/mem", "/proc/*/environ", "/nowhere/**"]

EXEC_PATTERNS = ["{R}/bin/tool", "{R}/bin/*", "{R}/bin2/**", "{R}/bin2/other", "{R}/bin/ln-tool",
                 "{R}/**", "/usr/bin/true", "/usr/bin/*", "/bin/sh", "/usr/bin/dash", "/nowhere/*"]

CONNECT_PATTERNS = ["localhost:{P}", "localhost", "vm:{P}", "*.localhost", "127.0.0.0/8:{P}",
                    "127.0.0.1", "127.0.0.1:{C}", "[::1]:{P6}", "::1", "10.0.0.0/8", "*", "[::ffff:7f00:0]/104:{P}"]

LISTEN_PATTERNS = ["127.0.0.1:{L}", "127.0.0.0/8", "0.0.0.0", "*", "10.0.0.0/8:{L}", "::1"]

# connect targets: (probe's how, probe's host, port, explain's target, explain's --ip)
CONNECTS = [
    ("inet", "127.0.0.1", "{P}", "127.0.0.1:{P}", None),
    ("inet", "127.0.0.1", "{C}", "127.0.0.1:{C}", None),
    ("inet", "127.0.0.2", "{P}", "127.0.0.2:{P}", None),
    ("name", "localhost", "{P}", "localhost:{P}", "127.0.0.1"),
    ("name", "vm", "{P}", "vm:{P}", "127.0.0.1"),
    ("inet6", "::1", "{P6}", "[::1]:{P6}", None),
    ("inet6", "::ffff:127.0.0.1", "{P}", "[::ffff:127.0.0.1]:{P}", None),
    ("inet", "127.0.0.1", "9", "127.0.0.1:9", None),   # the Runtime API in --init situations
]
LISTENS = ["127.0.0.1", "0.0.0.0"]

ACTIONS = ["allow", "alert", "block"]
MODES = ["alert", "block"]

# Exec: working directories and programs named without a directory.
EXEC_NAMES = ["tool", "other", "plain", "true", "nosuch", "ln-tool", "ln-dangling"]
PATH_ENTRIES = ["", "{R}/bin", "{R}/bin2", "bin", "../bin2", "/nonexistent", "/usr/bin",
                "{R}/data/a.txt"]
EXEC_PATHS = ["links/loop1", "links/to_data/../bin/tool", "bin/tool", "bin/ln-tool", "bin/ln-other", "bin/plain", "bin/nosuch",
              "bin/ln-dangling", "bin2/other", "data/a.txt/x", "links/../bin/tool"]
CWDS = ["", "data", "bin", "links"]

C_EXEC_CALLS = ["execve", "execv", "execvp", "execvpe", "execlp", "posix_spawn", "posix_spawnp"]
C_FILE_CALLS = ["open", "openat", "fopen"]


# ---------------------------------------------------------------- policies -----------------
def _category(rng, patterns, allow_default=False):
    """A category: a bare action, or default + lists drawn from patterns."""
    default = "allow" if allow_default else rng.choice(ACTIONS)
    if rng.random() < 0.15:
        return default
    cat = {"default": default}
    for lst in ACTIONS:
        n = rng.choice([0, 0, 1, 1, 2, 3])
        if n:
            cat[lst] = rng.sample(patterns, n)
    return cat


def make_policy(rng, category):
    """A policy whose `category` is drawn at random (others allow), maybe with an init override."""
    patterns = {"read": FILE_PATTERNS, "write": FILE_PATTERNS, "exec": EXEC_PATTERNS,
                "connect": CONNECT_PATTERNS, "listen": LISTEN_PATTERNS}[category]
    policy = {"version": 1, category: _category(rng, patterns)}
    if rng.random() < 0.35:
        policy["init"] = {category: _category(rng, patterns)}
    return policy


# ---------------------------------------------------------------- spellings ----------------
def spell(rng, rel, cwd):
    """(how the path is written, dirfd dir or None) for the tree path rel, from working dir cwd.
    Spellings: absolute, "//", "/./", a ".." detour, relative to cwd, relative to a dirfd."""
    kind = rng.choice(["abs", "abs", "dslash", "dot", "detour", "rel", "rel", "dirfd"])
    head, _, tail = rel.partition("/")
    if kind == "dslash":
        return "{R}//%s" % rel.replace("/", "//", 1), None
    if kind == "dot":
        return "{R}/./%s" % rel.replace("/", "/./", 1), None
    if kind == "detour":
        return "{R}/bin/../%s" % rel, None
    if kind == "rel":
        return os.path.relpath("/T/" + rel, "/T/" + cwd if cwd else "/T"), None
    if kind == "dirfd" and tail and head in TREE_DIRS:
        return tail, "{R}/" + head
    return "{R}/" + rel, None


# ---------------------------------------------------------------- situations ---------------
def _base(rng, idx, lang, category, policy=None):
    return {"id": idx, "lang": lang, "category": category,
            "policy": policy or make_policy(rng, category),
            "mode": rng.choice(MODES), "init": rng.random() < 0.3, "cwd": "", "path_env": "/usr/bin",
            "dirfd": None, "ip": None, "call": None, "target": None, "probe": None}


def file_situation(rng, idx, lang):
    category = rng.choice(["read", "write"])
    s = _base(rng, idx, lang, category)
    s["cwd"] = rng.choice(CWDS)
    rel = rng.choice(READ_TARGETS if category == "read" else WRITE_TARGETS)
    if rng.random() < 0.08:
        target, dirfd = rng.choice(["/proc/self/mem", "/proc/self//mem", "/proc/./self/mem",
                                    "/proc/self/environ"]), None
    else:
        target, dirfd = spell(rng, rel, s["cwd"])
    rw = "w" if category == "write" else "r"
    if lang == "c":
        call = "openat" if dirfd else rng.choice(["open", "fopen"])
        s["probe"] = ["file", call, rw, target] + ([dirfd] if dirfd else [])
    else:
        how = "os.open-dirfd" if dirfd else rng.choice(["os.open", "open"])
        call = "openat" if dirfd else "open"
        s["probe"] = ["file", how, rw, target] + ([dirfd] if dirfd else [])
    s.update(call=call, target=target, dirfd=dirfd)
    if lang == "py":
        _python_can_start(s)
    return s


def _python_can_start(s):
    """CPython reads its standard library at start-up: where reads default to block, allow the
    system's directories (an allow list wins over the default only, never over a block list)."""
    sysdirs = ["/usr/**", "/etc/**", "/dev/**", "/proc/**", "/sys/**", "{HERE}/**"]
    for cats in (s["policy"], s["policy"].get("init", {})):
        for c in ("read", "write", "exec"):
            cat = cats.get(c)
            if cat is None:
                continue
            if isinstance(cat, str):
                cat = cats[c] = {"default": cat}
            if c == "read" and cat["default"] == "block":
                cat["allow"] = cat.get("allow", []) + sysdirs


def exec_situation(rng, idx, lang):
    s = _base(rng, idx, lang, "exec")
    s["cwd"] = rng.choice(CWDS)
    if lang == "c":
        call = rng.choice(C_EXEC_CALLS + ["execveat", rng.choice(["system", "popen"])])
    else:
        call = rng.choice(["os.execv", "subprocess", "posix_spawn"])
    searching = call in ("execvp", "execvpe", "execlp", "posix_spawnp")
    if call in ("system", "popen"):
        s.update(call=call, target="exit 0", probe=["exec", call, "exit 0"])
        return s
    if call == "execveat":
        d, prog = rng.choice([("bin", "tool"), ("bin", "ln-tool"), ("bin", "plain"), ("bin", "nosuch"),
                              ("bin2", "other"), ("links", "../bin/tool"), ("bin", "ln-dangling")])
        s.update(call=call, target=prog, dirfd="{R}/" + d, probe=["exec", call, prog, "{R}/" + d])
        return s
    if searching and rng.random() < 0.7:
        prog = rng.choice(EXEC_NAMES)
    else:
        prog, _ = spell(rng, rng.choice(EXEC_PATHS), s["cwd"])
        if lang == "py" and call == "subprocess":
            prog = "{R}/" + rng.choice(EXEC_PATHS)   # CPython searches PATH itself for a bare name
    if searching or rng.random() < 0.3:
        n = rng.choice([1, 2, 3])
        entries = rng.sample(PATH_ENTRIES, n)
        if rng.random() < 0.2:
            entries.append("")             # a trailing ":": the working directory
        s["path_env"] = ":".join(entries)
        if rng.random() < 0.05:
            s["path_env"] = None           # unset: glibc's default /bin:/usr/bin
    explain_call = {"os.execv": "execv", "subprocess": "execve"}.get(call, call)
    s.update(call=explain_call, target=prog, probe=["exec", call, prog])
    if lang == "py":
        _python_can_start(s)
    return s


def connect_situation(rng, idx, lang):
    s = _base(rng, idx, lang, "connect")
    how, host, port, target, ip = rng.choice(CONNECTS)
    s.update(call="connect", target=target, ip=ip, probe=["connect", how, host, port])
    return s


def listen_situation(rng, idx, lang):
    s = _base(rng, idx, lang, "listen")
    addr = rng.choice(LISTENS)
    s.update(call="bind", target="%s:{L}" % addr, probe=["listen", addr, "{L}"])
    return s


KINDS = [(file_situation, 5), (exec_situation, 4), (connect_situation, 2), (listen_situation, 1)]


def generate(n_c=360, n_py=90, seed=SEED):
    """The situations: n_c made by the C probe, n_py by CPython; the same for the same seed."""
    rng = random.Random(seed)
    kinds = [k for k, w in KINDS for _ in range(w)]
    out = []
    for lang, n in (("c", n_c), ("py", n_py)):
        for _ in range(n):
            out.append(rng.choice(kinds)(rng, len(out), lang))
    return out


# ---------------------------------------------------------------- instantiation ------------
def fill(value, env):
    """value with {R}, {P}, ... replaced (strings, lists, dicts, recursively)."""
    if isinstance(value, str):
        return re.sub(r"\{([A-Z0-9]+)\}", lambda m: str(env.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [fill(v, env) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, env) for k, v in value.items()}
    return value


def instantiate(s, env):
    """The situation with its placeholders filled; cwd made absolute."""
    t = fill(s, env)
    t["cwd"] = os.path.join(env["R"], t["cwd"]) if t["cwd"] else env["R"]
    t["policy_text"] = json.dumps(t["policy"])
    return t


def explain_args(t):
    """`fnshield explain` arguments for an instantiated situation (after the program name)."""
    args = ["explain", "--json", "--policy", t["policy_file"], "--mode", t["mode"]]
    if t["init"]:
        args.append("--init")
    if t["ip"]:
        args += ["--ip", t["ip"]]
    if t["call"] and not (t["category"] == "exec" and t["dirfd"]):
        args += ["--call", t["call"]]
    if t["dirfd"]:
        args += ["--dirfd", t["dirfd"]]
    return args + [t["category"], t["target"]]
