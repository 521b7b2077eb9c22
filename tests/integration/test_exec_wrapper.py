"""The exec wrapper, build/fnshield-exec (wrappers/fnshield-exec.c; wrappers/fnshield-exec links
to it): where it finds the library, LD_PRELOAD, FNSHIELD_HOME, FNSHIELD_NEXT_WRAPPER, the PATH
search and argv[0], and every error line with its exit status.

Each test builds a small tree in its tmp dir: the layer (OPT/fnshield-exec and
OPT/fnshield/lib/libfnshield.so, copies of the build) or the repository (R/build/ with both,
R/wrappers/fnshield-exec a link to ../build/fnshield-exec). Commands are busybox's env (prints
the environment it was given) and small scripts that leave a marker when they run.
"""
import json
import os
import re
import shutil
import stat
import subprocess

import pytest

import support

WRAPPER = support.BUILD / "fnshield-exec"
EX_USAGE, EX_CONFIG = 64, 78
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ENV_BASE = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


@pytest.fixture
def opt(built, tmp_path):
    """The layer unpacked: a realpath'd directory standing in for /opt."""
    d = tmp_path / "opt"
    (d / "fnshield" / "lib").mkdir(parents=True)
    shutil.copy2(WRAPPER, d / "fnshield-exec")
    shutil.copy2(support.LIBRARY, d / "fnshield" / "lib" / "libfnshield.so")
    return os.path.realpath(d)


def wrap(argv, env=None, argv0=None, exe=None, cwd=None):
    """Run the wrapper (exe, default build/fnshield-exec) with argv; argv0 replaces argv[0]."""
    exe = str(exe or WRAPPER)
    full = [argv0 if argv0 is not None else exe] + list(argv)
    p = subprocess.run(full, executable=exe, env=dict(ENV_BASE, **(env or {})), cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    return p


# The "runtime" that prints the environment it was exec'd with: a static program, into which
# nothing is preloaded (the library would take what it added back out of a dynamic one's).
PRINT_ENV = ["/bin/busybox", "env"]


def env_of(p):
    """The environment PRINT_ENV printed."""
    out = {}
    for line in p.stdout.decode().splitlines():
        k, _, v = line.partition("=")
        out[k] = v
    return out


def error_line(p, status, message, exe=None):
    """Exactly one "fnshield":"error" line with MESSAGE, exit STATUS, nothing on stdout."""
    assert p.returncode == status, (p.returncode, p.stderr)
    assert p.stdout == b""
    lines = p.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    e = json.loads(lines[0])
    assert list(e)[:6] == ["fnshield", "timestamp", "level", "message", "pid", "exe"], e
    assert e["fnshield"] == "error" and e["level"] == "ERROR"
    assert TS.match(e["timestamp"]), e["timestamp"]
    assert isinstance(e["pid"], int) and e["pid"] > 0
    if exe is not None:
        assert e["exe"] == exe
    if isinstance(message, re.Pattern):
        assert message.fullmatch(e["message"]), e["message"]
    else:
        assert e["message"] == message
    return e


def marker_cmd(tmp_path):
    """(argv, marker): a command that creates the marker file when it runs."""
    m = tmp_path / "ran"
    return ["/bin/sh", "-c", ': > "$0"', str(m)], m


# ---- where the library is, LD_PRELOAD -----------------------------------------------------

def test_layer_layout(opt):
    p = wrap(PRINT_ENV, exe=opt + "/fnshield-exec")
    assert p.returncode == 0, p.stderr
    assert env_of(p)["LD_PRELOAD"] == opt + "/fnshield/lib/libfnshield.so"


def test_repository_layout_and_link(built, tmp_path):
    r = tmp_path / "repo"
    (r / "build").mkdir(parents=True)
    (r / "wrappers").mkdir()
    shutil.copy2(WRAPPER, r / "build" / "fnshield-exec")
    shutil.copy2(support.LIBRARY, r / "build" / "libfnshield.so")
    os.symlink("../build/fnshield-exec", r / "wrappers" / "fnshield-exec")
    lib = os.path.realpath(r / "build" / "libfnshield.so")
    for exe in (r / "build" / "fnshield-exec", r / "wrappers" / "fnshield-exec"):
        p = wrap(PRINT_ENV, exe=exe)
        assert p.returncode == 0, p.stderr
        assert env_of(p)["LD_PRELOAD"] == lib, exe


def test_spec_path_is_the_built_wrapper(built):
    """wrappers/fnshield-exec (SPEC.md's path) is a link to build/fnshield-exec."""
    spec = support.ROOT / "wrappers" / "fnshield-exec"
    assert os.path.islink(spec) and os.readlink(spec) == "../build/fnshield-exec"
    if support.BUILD == (support.ROOT / "build").resolve():
        p = wrap(PRINT_ENV, exe=spec)
        assert p.returncode == 0, p.stderr
        assert env_of(p)["LD_PRELOAD"] == str(support.LIBRARY)


def test_static_executable(built):
    """No dynamic loader, no shared library: nothing but the kernel runs before main()."""
    p = subprocess.run(["objdump", "-p", str(WRAPPER)], stdout=subprocess.PIPE, check=True)
    text = p.stdout.decode()
    assert "INTERP" not in text and "NEEDED" not in text, text


def test_preload_keeps_other_entries(opt):
    lib = opt + "/fnshield/lib/libfnshield.so"
    p = wrap(PRINT_ENV, exe=opt + "/fnshield-exec", env={"LD_PRELOAD": "/nonexistent/other.so"})
    assert env_of(p)["LD_PRELOAD"] == lib + ":/nonexistent/other.so"
    for already in (lib, "/x/a.so:" + lib, "/x/a.so " + lib + " /x/b.so", lib + "::/x/c.so"):
        p = wrap(PRINT_ENV, exe=opt + "/fnshield-exec", env={"LD_PRELOAD": already})
        assert env_of(p)["LD_PRELOAD"] == already
    # a prefix of an entry is not the entry
    p = wrap(PRINT_ENV, exe=opt + "/fnshield-exec", env={"LD_PRELOAD": lib + ".old"})
    assert env_of(p)["LD_PRELOAD"] == lib + ":" + lib + ".old"
    p = wrap(PRINT_ENV, exe=opt + "/fnshield-exec", env={"LD_PRELOAD": ""})
    assert env_of(p)["LD_PRELOAD"] == lib


def test_fnshield_home(built, tmp_path):
    lib_home = tmp_path / "home1"
    (lib_home / "lib").mkdir(parents=True)
    shutil.copy2(support.LIBRARY, lib_home / "lib" / "libfnshield.so")
    shutil.copy2(support.LIBRARY, lib_home / "libfnshield.so")  # lib/ wins
    flat = tmp_path / "home2"
    flat.mkdir()
    shutil.copy2(support.LIBRARY, flat / "libfnshield.so")
    p = wrap(PRINT_ENV, env={"FNSHIELD_HOME": str(lib_home)})
    assert env_of(p)["LD_PRELOAD"] == str(lib_home / "lib" / "libfnshield.so")
    p = wrap(PRINT_ENV, env={"FNSHIELD_HOME": str(flat)})
    assert env_of(p)["LD_PRELOAD"] == str(flat / "libfnshield.so")
    # relative: made absolute against the working directory, by text (the shell's $PWD)
    real = os.path.realpath(tmp_path)
    p = wrap(PRINT_ENV, env={"FNSHIELD_HOME": "home2"}, cwd=real)
    assert env_of(p)["LD_PRELOAD"] == real + "/home2/libfnshield.so"
    os.symlink(real, tmp_path / "via-link")
    p = wrap(PRINT_ENV, env={"FNSHIELD_HOME": "home2", "PWD": str(tmp_path / "via-link")},
             cwd=real)
    assert env_of(p)["LD_PRELOAD"] == str(tmp_path / "via-link") + "/home2/libfnshield.so"
    p = wrap(PRINT_ENV, env={"FNSHIELD_HOME": "home2", "PWD": "/"}, cwd=real)  # stale
    assert env_of(p)["LD_PRELOAD"] == real + "/home2/libfnshield.so"


# ---- PATH search and argv[0] ---------------------------------------------------------------

def test_path_search(opt, tmp_path):
    bin1, bin2 = tmp_path / "bin1", tmp_path / "bin2"
    bin1.mkdir()
    bin2.mkdir()
    (bin1 / "hello").write_text("#!/bin/sh\necho one\n")  # not executable: skipped
    (bin2 / "hello").write_text("#!/bin/sh\necho two \"$0\" \"$@\"\n")
    os.chmod(bin2 / "hello", 0o755)
    path = "%s:%s:/usr/bin:/bin" % (bin1, bin2)
    p = wrap(["hello", "a b"], exe=opt + "/fnshield-exec", env={"PATH": path})
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == "two %s a b\n" % (bin2 / "hello")
    # a file without #!: run by /bin/sh, like the shell's exec
    (bin2 / "plain").write_text("echo plain \"$@\"\n")
    os.chmod(bin2 / "plain", 0o755)
    p = wrap(["plain", "x"], exe=opt + "/fnshield-exec", env={"PATH": path})
    assert (p.returncode, p.stdout) == (0, b"plain x\n"), p.stderr
    # with a '/', no search
    p = wrap(["bin2/hello"], exe=opt + "/fnshield-exec", env={"PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert p.stdout.decode().startswith("two bin2/hello"), p.stderr


def test_command_cannot_run(opt, tmp_path):
    exe = opt + "/fnshield-exec"
    p = wrap(["no-such-command-xyz"], exe=exe)
    error_line(p, 127, "fnshield-exec: cannot run the command no-such-command-xyz: No such file or directory")
    p = wrap([str(tmp_path / "missing")], exe=exe)
    error_line(p, 127, "fnshield-exec: cannot run the command %s: No such file or directory" % (tmp_path / "missing"))
    p = wrap([str(tmp_path)], exe=exe)
    error_line(p, 126, "fnshield-exec: cannot run the command %s: Permission denied" % tmp_path)
    (tmp_path / "noexec").write_text("#!/bin/sh\n")
    os.chmod(tmp_path / "noexec", 0o644)
    p = wrap(["noexec"], exe=exe, env={"PATH": str(tmp_path)})
    error_line(p, 126, "fnshield-exec: cannot run the command noexec: Permission denied")


def test_argv0(opt, tmp_path):
    """argv[0] is only the error line's "exe": the library is found from /proc/self/exe
    whatever the wrapper was called (by name through PATH, through a link, a made-up name)."""
    lib = opt + "/fnshield/lib/libfnshield.so"
    p = subprocess.run(["fnshield-exec"] + PRINT_ENV, env=dict(ENV_BASE, PATH=opt + ":/usr/bin:/bin"),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert env_of(p)["LD_PRELOAD"] == lib, p.stderr
    os.symlink(opt + "/fnshield-exec", tmp_path / "elsewhere")
    p = wrap(PRINT_ENV, exe=tmp_path / "elsewhere")
    assert env_of(p)["LD_PRELOAD"] == lib, p.stderr
    p = wrap(PRINT_ENV, exe=opt + "/fnshield-exec", argv0="made up")
    assert env_of(p)["LD_PRELOAD"] == lib, p.stderr
    p = wrap([], exe=opt + "/fnshield-exec", argv0='we"ird\\\n')
    error_line(p, EX_USAGE, re.compile("fnshield-exec: no command to run.*"), exe='we"ird\\\n')
    # the runtime gets argv[1] as its argv[0], as the shell's exec "$@" gives it
    p = wrap(["/bin/sh", "-c", 'echo "$0"'], exe=opt + "/fnshield-exec")
    assert p.stdout == b"/bin/sh\n"


# ---- the second wrapper --------------------------------------------------------------------

def test_next_wrapper(opt, tmp_path):
    nxt = tmp_path / "next-wrapper"
    args = tmp_path / "args"
    nxt.write_text('#!/bin/sh\nprintf "%%s\\n" "$0" "$@" > %s\nenv > %s.env\n'
                   'export NEXT_RAN=yes\nexec "$@"\n' % (args, args))
    os.chmod(nxt, 0o755)
    lib = opt + "/fnshield/lib/libfnshield.so"
    exe = opt + "/fnshield-exec"
    # a bare name is the file in the working directory: the one checked is the one run (no PATH
    # search, which could find another file of that name)
    for how, value, path in (("path", str(nxt), "/usr/bin:/bin"),
                             ("name in the working directory", "next-wrapper", "/usr/bin:/bin")):
        p = wrap(PRINT_ENV, exe=exe, env={"FNSHIELD_NEXT_WRAPPER": value, "PATH": path,
                                                 "LD_PRELOAD": "/x/other.so"}, cwd=tmp_path)
        assert p.returncode == 0, (how, p.stderr)
        got = env_of(p)
        assert got["NEXT_RAN"] == "yes" and "FNSHIELD_NEXT_WRAPPER" not in got, how
        assert got["LD_PRELOAD"] == lib + ":/x/other.so", how
        assert args.read_text().splitlines() == [value, exe] + PRINT_ENV, how
        nenv = dict(l.partition("=")[::2] for l in (tmp_path / "args.env").read_text().splitlines())
        assert "FNSHIELD_NEXT_WRAPPER" not in nenv and nenv["LD_PRELOAD"] == "/x/other.so", how
    # set but empty: no second wrapper, the variable stays
    p = wrap(PRINT_ENV, exe=exe, env={"FNSHIELD_NEXT_WRAPPER": ""})
    assert env_of(p)["FNSHIELD_NEXT_WRAPPER"] == "" and env_of(p)["LD_PRELOAD"] == lib


# ---- every error line ----------------------------------------------------------------------

def test_error_no_command(opt):
    p = wrap([], exe=opt + "/fnshield-exec")
    error_line(p, EX_USAGE, "fnshield-exec: no command to run (usage: fnshield-exec COMMAND [ARG...]; "
               "Lambda passes the runtime's command line)", exe=opt + "/fnshield-exec")


def test_error_fields_under_lambda(opt, tmp_path):
    cmd, m = marker_cmd(tmp_path)
    p = wrap(cmd, exe=opt + "/fnshield-exec", argv0="/opt/fnshield-exec",
             env={"FNSHIELD_HOME": "/nonexistent", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
                  "AWS_LAMBDA_FUNCTION_NAME": 'my-"fn"\\\t'})
    e = error_line(p, EX_CONFIG, "fnshield-exec: FNSHIELD_HOME=/nonexistent is not a directory",
                   exe="/opt/fnshield-exec")
    assert list(e)[6:] == ["phase", "function"] and e["phase"] == "init"
    assert e["function"] == 'my-"fn"\\\t'  # control characters escaped, by the library's writer
    assert not m.exists()
    p = wrap(cmd, exe=opt + "/fnshield-exec", env={"FNSHIELD_HOME": "/nonexistent",
                                                   "AWS_LAMBDA_RUNTIME_API": ""})
    assert "phase" not in error_line(p, EX_CONFIG, re.compile(".*not a directory"))


def test_error_home_not_a_directory(built, tmp_path):
    cmd, m = marker_cmd(tmp_path)
    (tmp_path / "file").write_text("")
    for home in (str(tmp_path / "nope"), str(tmp_path / "file"), 'rel"ative\\x'):
        p = wrap(cmd, env={"FNSHIELD_HOME": home}, cwd=tmp_path)
        error_line(p, EX_CONFIG, "fnshield-exec: FNSHIELD_HOME=%s is not a directory" % home)
    assert not m.exists()


def test_error_library_not_found(built, tmp_path):
    d = os.path.realpath(tmp_path)
    shutil.copy2(WRAPPER, tmp_path / "fnshield-exec")
    cmd, m = marker_cmd(tmp_path)
    p = wrap(cmd, exe=tmp_path / "fnshield-exec")
    error_line(p, EX_CONFIG, "fnshield-exec: libfnshield.so not found (looked in %s/fnshield/lib "
               "and %s; set FNSHIELD_HOME)" % (d, d))
    assert not m.exists()


def test_error_library_unreadable(built, tmp_path):
    cmd, m = marker_cmd(tmp_path)
    home = tmp_path / "home"
    (home / "lib").mkdir(parents=True)
    p = wrap(cmd, env={"FNSHIELD_HOME": str(home)})        # missing
    error_line(p, EX_CONFIG, "fnshield-exec: cannot read %s/libfnshield.so (missing, empty or not a "
               "readable file)" % home)
    (home / "lib" / "libfnshield.so").write_bytes(b"")  # empty
    p = wrap(cmd, env={"FNSHIELD_HOME": str(home)})
    error_line(p, EX_CONFIG, "fnshield-exec: cannot read %s/lib/libfnshield.so (missing, empty or not a "
               "readable file)" % home)
    assert not m.exists()


def test_error_not_a_library(built, tmp_path):
    cmd, m = marker_cmd(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    for content in (b"not an ELF file\n", b"\x7fELF", open(WRAPPER, "rb").read(4096)):
        (home / "libfnshield.so").write_bytes(content)
        p = wrap(cmd, env={"FNSHIELD_HOME": str(home)})
        error_line(p, EX_CONFIG, "fnshield-exec: %s/libfnshield.so is not a 64-bit ELF shared library" % home)
    assert not m.exists()


def test_error_library_other_architecture(built, tmp_path):
    """A library of the other architecture: ld.so would ignore it with a warning and start the
    runtime unprotected. (The wrapper itself, static and of one architecture, does not start
    at all on the other: layer/test-layer.sh runs the arm64 layer's on this machine.)"""
    cmd, m = marker_cmd(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    data = bytearray(open(support.LIBRARY, "rb").read(65536))
    mine = int.from_bytes(data[18:20], "little")
    other, names = (183, ("arm64", "x86_64")) if mine == 62 else (62, ("x86_64", "arm64"))
    data[18:20] = other.to_bytes(2, "little")
    (home / "libfnshield.so").write_bytes(bytes(data))
    p = wrap(cmd, env={"FNSHIELD_HOME": str(home)})
    error_line(p, EX_CONFIG, "fnshield-exec: %s/libfnshield.so is built for another architecture (%s) "
               "than this machine's (%s): attach the layer built for the function's architecture"
               % ((home,) + names))
    assert not m.exists()


def test_error_library_path_with_space(built, tmp_path):
    cmd, m = marker_cmd(tmp_path)
    for name in ("with space", "with:colon"):
        home = tmp_path / name
        home.mkdir()
        shutil.copy2(support.LIBRARY, home / "libfnshield.so")
        p = wrap(cmd, env={"FNSHIELD_HOME": str(home)})
        error_line(p, EX_CONFIG, "fnshield-exec: library path %s/libfnshield.so contains ':' or a "
                   "space and cannot be preloaded" % home)
    assert not m.exists()


def test_error_next_wrapper(opt, tmp_path):
    cmd, m = marker_cmd(tmp_path)
    (tmp_path / "noexec").write_text("#!/bin/sh\n")
    os.chmod(tmp_path / "noexec", 0o644)
    for nxt in (str(tmp_path / "missing"), str(tmp_path), str(tmp_path / "noexec")):
        p = wrap(cmd, exe=opt + "/fnshield-exec", env={"FNSHIELD_NEXT_WRAPPER": nxt})
        error_line(p, EX_CONFIG, "fnshield-exec: FNSHIELD_NEXT_WRAPPER=%s is not an executable file" % nxt)
    # a bare name that is not in the working directory, even if PATH has one
    other = tmp_path / "bin"
    other.mkdir()
    (other / "here").write_text("#!/bin/sh\nexec \"$@\"\n")
    os.chmod(other / "here", 0o755)
    p = wrap(cmd, exe=opt + "/fnshield-exec", env={"FNSHIELD_NEXT_WRAPPER": "here",
                                                   "PATH": "%s:/usr/bin:/bin" % other}, cwd=tmp_path)
    error_line(p, EX_CONFIG, "fnshield-exec: FNSHIELD_NEXT_WRAPPER=here is not an executable file")
    assert not m.exists()


def test_error_message_escaped_and_long(built, tmp_path):
    home = str(tmp_path / ("q\"b\\s\x01" + "x" * 200))
    p = wrap(["true"], env={"FNSHIELD_HOME": home})
    e = error_line(p, EX_CONFIG, re.compile(".*is not a directory"))
    assert e["message"] == "fnshield-exec: FNSHIELD_HOME=%s is not a directory" % home
    assert "\\u0001" in p.stderr.decode()  # escaped, not dropped
    # far past PATH_MAX: the message is cut and marked, the line is one JSON object of at
    # most 4096 bytes (SPEC "Log lines") that says it was cut
    p = wrap(["true"], env={"FNSHIELD_HOME": "/" + "\"" * 100000})
    e = error_line(p, EX_CONFIG, re.compile('fnshield-exec: FNSHIELD_HOME=/"+\\.\\.\\.\\[truncated\\]'))
    assert e["truncated"] is True
    assert len(p.stderr) <= 4096
