"""One compiled policy per protected tree (shim/policy_share.c): children and grandchildren map
the root's sealed copy instead of compiling the policy again; a forged entry, another file put
on the copy's number, or a root that is gone only make a child load the policy itself — never
a weaker policy."""
import json
import os
import subprocess
import time

import support

PARENT = r'''
import fcntl, json, os, subprocess, sys
SECRET, ALLOW_ALL = sys.argv[1], sys.argv[2]
MARK = "memfd:fnshield-policy"
def child(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    return p.returncode, p.stdout
out = {}
out["child_maps"] = child(["/usr/bin/cat", "/proc/self/maps"])[1].count(MARK)
out["grandchild_maps"] = child(["/bin/sh", "-c", "/usr/bin/cat /proc/self/maps"])[1].count(MARK)
out["blocked"] = child(["/usr/bin/cat", SECRET])[0]
# an allow-all image of our own, sealed as fnshield seals its copy
fake = os.memfd_create("fnshield-policy", os.MFD_ALLOW_SEALING)
os.write(fake, open(ALLOW_ALL, "rb").read())
fcntl.fcntl(fake, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE)
st = os.fstat(fake)
forged = "%d:%d:%d:%d" % (os.getpid(), fake, st.st_dev, st.st_ino)
env = dict(os.environ, _FNSHIELD_POLICY_IMAGE=forged)
out["forged_env"] = child(["/usr/bin/cat", SECRET], env=env, pass_fds=[fake])[0]
# the root's copy: one descriptor of its own, close-on-exec, out of the way
def links():
    out = {}
    for f in os.listdir("/proc/self/fd"):
        try:
            out[int(f)] = os.readlink("/proc/self/fd/" + f)
        except OSError:  # listdir's own descriptor, gone
            pass
    return out
mine = [f for f, target in links().items() if f != fake and "fnshield-policy" in target]
out["copies"] = len(mine)
out["cloexec"] = all(fcntl.fcntl(f, fcntl.F_GETFD) & fcntl.FD_CLOEXEC for f in mine)
# another file put on its number
os.dup2(fake, mine[0], inheritable=False)
out["after_dup2"] = child(["/usr/bin/cat", SECRET])[0]
out["after_dup2_maps"] = child(["/usr/bin/cat", "/proc/self/maps"])[1].count(MARK)
print(json.dumps(out))
'''


def _setup(case_dir):
    secret = os.path.join(case_dir, "secret.txt")
    with open(secret, "w") as f:
        f.write("s3cret\n")
    allow_all = os.path.join(case_dir, "allow-all.fnsp")
    src = os.path.join(case_dir, "allow-all.json")
    with open(src, "w") as f:
        f.write('{"version": 1}')
    r = subprocess.run([str(support.FNSHIELD), "compile", src, "-o", allow_all], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    parent = os.path.join(case_dir, "parent.py")
    with open(parent, "w") as f:
        f.write(PARENT)
    policy = {"version": 1, "mode": "block", "read": {"default": "allow", "block": [secret]}}
    return secret, allow_all, parent, policy


def _outcome(res):
    assert res.rc == 0, res.explain()
    return json.loads(res.stdout.decode().strip().splitlines()[-1])


def test_children_map_the_roots_copy_and_cannot_be_handed_another(run_preload, case_dir):
    secret, allow_all, parent, policy = _setup(case_dir)
    res = run_preload(["/usr/bin/python3", parent, secret, allow_all],
                      {"FNSHIELD_POLICY": json.dumps(policy)})
    got = _outcome(res)
    ctx = res.explain()
    assert got["child_maps"] == 1 and got["grandchild_maps"] == 1, ctx
    assert got["blocked"] == 1, ctx
    assert got["forged_env"] == 1, ctx          # the exec hook passes the root's own entry
    assert got["copies"] == 1 and got["cloexec"], ctx
    assert got["after_dup2"] == 1, ctx          # identity check fails: the child compiles
    assert got["after_dup2_maps"] == 0, ctx
    blocked = [v for v in res.violations if v["target"] == secret]
    assert len(blocked) == 3 and all(v["action"] == "block" for v in blocked), ctx


def test_a_compiled_file_is_shared_too_and_the_mode_follows(run_preload, case_dir):
    secret, allow_all, parent, policy = _setup(case_dir)
    src = os.path.join(case_dir, "p.json")
    with open(src, "w") as f:
        json.dump(policy, f)
    img = os.path.join(case_dir, "p.fnsp")
    assert subprocess.run([str(support.FNSHIELD), "compile", src, "-o", img]).returncode == 0
    res = run_preload(["/usr/bin/python3", "-c",
                       "import subprocess,sys;"
                       "m=subprocess.run(['/usr/bin/cat','/proc/self/maps'],capture_output=True,text=True).stdout;"
                       "r=subprocess.run(['/usr/bin/cat',sys.argv[1]],capture_output=True).returncode;"
                       "print(m.count('memfd:fnshield-policy'), r)", secret],
                      {"FNSHIELD_POLICY_FILE": img, "FNSHIELD_MODE": "alert"})
    assert res.rc == 0, res.explain()
    assert res.stdout.decode().split() == ["1", "0"], res.explain()
    assert [v["action"] for v in res.violations if v["target"] == secret] == ["alert"], res.explain()


def test_a_grandchild_started_after_the_root_exited_loads_the_policy_itself(run_preload, case_dir):
    secret, _, _, policy = _setup(case_dir)
    out = os.path.join(case_dir, "late.txt")
    res = run_preload(["/usr/bin/python3", "-c",
                       "import subprocess,sys;"
                       "subprocess.run(['/bin/sh','-c','(sleep 0.5; /usr/bin/cat %s; echo rc=$? > %s) "
                       ">/dev/null 2>&1 &'])" % (secret, out)],
                      {"FNSHIELD_POLICY": json.dumps(policy)})
    assert res.rc == 0, res.explain()
    for _ in range(100):
        if os.path.exists(out) and open(out).read().strip():
            break
        time.sleep(0.05)
    assert open(out).read().strip() == "rc=1", res.explain()


def test_an_unrestricted_policy_is_not_shared(run_preload, case_dir):
    res = run_preload(["/usr/bin/python3", "-c",
                       "import os,subprocess;"
                       "fds=os.listdir('/proc/self/fd');"
                       "print(sum('fnshield-policy' in os.readlink('/proc/self/fd/'+f) for f in fds if os.path.exists('/proc/self/fd/'+f)),"
                       "subprocess.run(['/usr/bin/cat','/proc/self/maps'],capture_output=True,text=True).stdout.count('memfd:fnshield'))"],
                      {"FNSHIELD_POLICY": '{"version": 1}'})
    assert res.rc == 0 and res.stdout.decode().split() == ["0", "0"], res.explain()



# Preloaded ahead of fnshield: counts the calls to the allocator and to formatted printing that
# reach libc from anywhere in the process, and a /usr/bin/true reports its counts at exit.
COUNTER = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
extern void *__libc_malloc(size_t), *__libc_calloc(size_t, size_t), *__libc_realloc(void *, size_t);
extern int __vsnprintf_chk(char *, size_t, int, size_t, const char *, va_list);
static unsigned allocs, prints;
void *malloc(size_t n) { allocs++; return __libc_malloc(n); }
void *calloc(size_t n, size_t k) { allocs++; return __libc_calloc(n, k); }
void *realloc(void *p, size_t n) { allocs++; return __libc_realloc(p, n); }
int vsnprintf(char *b, size_t n, const char *f, va_list ap) { prints++; return __vsnprintf_chk(b, n, 0, n, f, ap); }
int snprintf(char *b, size_t n, const char *f, ...)
{ va_list ap; va_start(ap, f); int r = vsnprintf(b, n, f, ap); va_end(ap); return r; }
__attribute__((destructor)) static void report(void)
{
	char exe[64] = {0}, line[64];
	if (readlink("/proc/self/exe", exe, sizeof exe - 1) < 0 || strcmp(exe, "/usr/bin/true"))
		return;
	int fd = open(getenv("COUNTS"), O_WRONLY | O_APPEND | O_CREAT, 0600);
	unsigned n = allocs, k = prints, i = sizeof line;
	line[--i] = '\n';
	do line[--i] = (char)('0' + k % 10); while (k /= 10);
	line[--i] = ' ';
	do line[--i] = (char)('0' + n % 10); while (n /= 10);
	write(fd, line + i, sizeof line - i);
	close(fd);
}
"""


def test_a_child_of_a_protected_process_neither_allocates_nor_formats(case_dir):
    """A child maps the root's copy, asks the runtimes' probes without a failing dlsym, and
    writes its states without snprintf: in a program that allocates and prints nothing itself,
    fnshield does neither (their first use in a process costs ~0.1 ms each on this kind of
    machine: issue #13). The policy keeps the default log.stack (the probes) on."""
    _, _, _, policy = _setup(case_dir)
    src, lib = os.path.join(case_dir, "counter.c"), os.path.join(case_dir, "counter.so")
    with open(src, "w") as f:
        f.write(COUNTER)
    r = subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", lib, src], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    counts = os.path.join(case_dir, "counts")
    start_true = "import subprocess; subprocess.run(['/usr/bin/true'], check=True)"
    for preload in (lib, "%s %s" % (lib, support.LIBRARY)):
        env = support.base_env(LD_PRELOAD=preload, COUNTS=counts, FNSHIELD_POLICY=json.dumps(policy),
                               AWS_LAMBDA_FUNCTION_NAME="counted")
        r = subprocess.run([support.PYTHON, "-c", start_true], env=env, capture_output=True, text=True,
                           timeout=support.TIMEOUT)
        assert r.returncode == 0, r.stderr
    got = open(counts).read().split("\n")[:2]
    assert got == ["0 0", "0 0"], (got, "unprotected, then protected: allocations, formatted prints")
