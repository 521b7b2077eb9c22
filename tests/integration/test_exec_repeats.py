"""A refused exec made again is logged again; one PATH search is logged once.

Runtimes that search PATH themselves try every candidate and go on after EACCES; with /bin a
link to /usr/bin, /usr/bin/sh and /bin/sh are one program, and one spawn must log one line. But a
runtime that spawns from the parent (posix_spawn: CPython 3.13+, Debian's Node.js 24 with
libuv 1.53) makes every later spawn of the same program from the same process: each of those is
a call that was refused and has its line (found by the runtime matrix: the second identical
`subprocess.run` of Python 3.13 in one process was refused without a line). And one call is
one line even when it passes two hooks: glibc before 2.34 (the matrix's bullseye) has
libpthread's system() call libc's exported __libc_system.
"""
import json
import subprocess

import pytest

import support

POLICY = json.dumps({"version": 1, "exec": {"default": "block", "allow": ["/usr/bin/true"]}})
PY = "/usr/bin/python3"   # Debian's interpreter: os.posix_spawn is glibc's posix_spawn

SPAWN_PROGRAM = r"""
import json, os, sys
def spawn(path):
    try:
        pid = os.posix_spawn(path, ["sh", "-c", "exit 0"], dict(os.environ))
        os.waitpid(pid, 0)
        return "ran"
    except OSError as e:
        return e.errno
out = [spawn(p) for p in sys.argv[1:]]
print(json.dumps({"ok": True, "out": out}))
"""


def spawn_lines(mode, paths):
    res = support.run_preload([PY, "-c", SPAWN_PROGRAM] + paths,
                              {"FNSHIELD_POLICY": POLICY, "FNSHIELD_MODE": mode})
    assert res.rc == 0, res.explain()
    return res.result["out"], [v for v in res.violations if v["category"] == "exec"]


@pytest.mark.parametrize("mode", ["alert", "block"])
def test_the_same_spawn_twice_from_one_process_has_two_lines(mode):
    out, lines = spawn_lines(mode, ["/bin/sh", "/bin/sh", "/bin/sh"])
    assert out == (["ran"] * 3 if mode == "alert" else [13] * 3)
    assert len(lines) == 3, lines
    assert all(v["action"] == mode for v in lines)


def test_one_search_over_two_spellings_has_one_line_and_a_second_search_its_own():
    # The candidates a runtime's PATH search makes for `sh` with PATH=/usr/bin:/bin, twice (in
    # alert mode the first candidate runs and the search ends there).
    out, lines = spawn_lines("block", ["/usr/bin/sh", "/bin/sh", "/usr/bin/sh", "/bin/sh"])
    assert out == [13] * 4
    assert len(lines) == 2, lines
    assert [v["target"] for v in lines] == ["/usr/bin/sh", "/usr/bin/sh"]


def test_another_program_between_two_refusals_does_not_hide_the_second():
    out, lines = spawn_lines("block", ["/bin/sh", "/usr/bin/true", "/bin/sh", "/bin/dash", "/bin/sh"])
    assert out == [13, "ran", 13, 13, 13]
    assert len(lines) == 4, lines


@pytest.mark.parametrize("runtime", ["python", "node"])
def test_a_runtime_spawning_the_same_shell_twice_logs_twice(runtime):
    # The runtime's own PATH search over /usr/bin and /bin: one line per spawn, not per candidate.
    if runtime == "python":
        code = ("import subprocess, json\n"
                "r = []\n"
                "for _ in range(2):\n"
                "    try: subprocess.run(['sh', '-c', 'exit 0']); r.append('ran')\n"
                "    except PermissionError as e: r.append(e.errno)\n"
                "print(json.dumps({'ok': True, 'out': r}))\n")
        cmd = [PY, "-c", code]
    else:
        code = ("const cp = require('child_process'); const r = [];"
                "for (let i = 0; i < 2; i++) { const s = cp.spawnSync('sh', ['-c', 'exit 0']);"
                " r.push(s.error ? s.error.code : 'ran'); }"
                "console.log(JSON.stringify({ok: true, out: r}));")
        cmd = ["/usr/bin/node", "-e", code]
    res = support.run_preload(cmd, {"FNSHIELD_POLICY": POLICY, "FNSHIELD_MODE": "block",
                                    "PATH": "/usr/bin:/bin"})
    assert res.rc == 0, res.explain()
    assert res.result["out"] in ([13, 13], ["EACCES", "EACCES"]), res.explain()
    lines = [v for v in res.violations if v["category"] == "exec"]
    assert len(lines) == 2, res.explain()


# Before glibc 2.34, libpthread exports a system() that calls libc's exported __libc_system;
# both are hooked. A library of the same shape stands in for it on a newer glibc.
FORWARDER = r"""
int __libc_system(const char *command);
int system(const char *command) { return __libc_system(command); }
"""
CALLER = r"""
#include <stdio.h>
#include <stdlib.h>
int main(void) { int a = system("exit 0"), b = system("exit 0"); printf("{\"ok\":true,\"out\":[%d,%d]}\n", a, b); return 0; }
"""


@pytest.mark.parametrize("mode", ["alert", "block"])
def test_system_through_libpthreads_forwarder_is_one_call_one_line(mode, tmp_path):
    (tmp_path / "fwd.c").write_text(FORWARDER)
    (tmp_path / "main.c").write_text(CALLER)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", tmp_path / "libfwd.so", tmp_path / "fwd.c"], check=True)
    subprocess.run(["gcc", "-o", tmp_path / "caller", tmp_path / "main.c", "-L", tmp_path, "-lfwd",
                    "-Wl,-rpath," + str(tmp_path)], check=True)
    res = support.run_preload([tmp_path / "caller"], {"FNSHIELD_POLICY": POLICY, "FNSHIELD_MODE": mode})
    assert res.rc == 0, res.explain()
    assert res.result["out"] == ([0, 0] if mode == "alert" else [-1, -1]), res.explain()
    lines = [v for v in res.violations if v["category"] == "exec"]
    assert len(lines) == 2, res.explain()
    assert all(v["call"] == "system" for v in lines), res.explain()
