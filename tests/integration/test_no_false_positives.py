"""No false positives: the runtimes' normal work runs clean (zero violation lines) under the
example production policy, with the seccomp backstop on and off — Python's import machinery,
Node.js module loading and worker threads, JVM start-up and class loading, and a subprocess
the policy allows."""
import json

import pytest

import support

PRODUCTION = json.loads((support.ROOT / "policy" / "examples" / "production.json").read_text())

PY = r'''
import asyncio, ctypes, decimal, email.parser, hashlib, http.client, json, multiprocessing
import sqlite3, ssl, subprocess, tempfile, threading, urllib.request, uuid, xml.etree.ElementTree
import zipfile, zlib
with tempfile.TemporaryDirectory() as d:
    open(d + "/x", "w").write("x")
    sqlite3.connect(d + "/db").execute("create table t(x)")
assert subprocess.run(["/usr/bin/true"]).returncode == 0
print(json.dumps({"ok": True}))
'''

NODE = r'''
const mods = ["assert","buffer","child_process","crypto","dns","events","fs","http","https",
  "net","os","path","querystring","readline","stream","string_decoder","timers","tls","url",
  "util","v8","vm","worker_threads","zlib"];
for (const m of mods) require(m);
const { Worker } = require("worker_threads");
const fs = require("fs"), os = require("os"), path = require("path");
const d = fs.mkdtempSync(path.join(os.tmpdir(), "fp-"));
fs.writeFileSync(path.join(d, "x"), "x");
require("child_process").execFileSync("/usr/bin/true");
new Worker("require('crypto').randomBytes(8)", { eval: true }).on("exit", () =>
  console.log(JSON.stringify({ ok: true })));
'''

JAVA = r'''
public class Fp {
  public static void main(String[] a) throws Exception {
    javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
    java.net.http.HttpClient.newHttpClient();
    java.nio.file.Path t = java.nio.file.Files.createTempFile("fp", ".txt");
    java.nio.file.Files.writeString(t, "x");
    new javax.script.ScriptEngineManager();
    java.util.logging.Logger.getLogger("fp").info("x");
    if (new ProcessBuilder("/usr/bin/true").start().waitFor() != 0) throw new Error();
    System.out.println("{\"ok\": true}");
  }
}
'''


def _policy():
    p = json.loads(json.dumps(PRODUCTION))
    p["exec"]["allow"] = ["/usr/bin/true"]
    return p


@pytest.fixture(scope="module")
def java_fp(tmp_path_factory):
    d = tmp_path_factory.mktemp("fp")
    (d / "Fp.java").write_text(JAVA)
    import subprocess
    subprocess.run([support.JAVAC, "-d", str(d), str(d / "Fp.java")], check=True)
    return d


@pytest.mark.parametrize("seccomp", ["on", "off"])
@pytest.mark.parametrize("runtime", ["python", "node", "java"])
def test_runtime_runs_clean_under_production_policy(runtime, seccomp, run, java_fp):
    if runtime == "python":
        cmd = [support.PYTHON, "-c", PY]
    elif runtime == "node":
        cmd = [support.NODE, "-e", NODE]
    else:
        cmd = [support.JAVA] + support.JAVA_FLAGS + ["-cp", str(java_fp), "Fp"]
    env = {"FNSHIELD_SECCOMP": "off"} if seccomp == "off" else {}
    r = run(cmd, _policy(), "block", env_extra=env)
    ctx = r.explain()
    assert r.rc == 0 and r.result == {"ok": True}, ctx
    assert not r.violations, ctx
    assert r.starts and r.starts[0]["seccomp"] == ("on" if seccomp == "on" else "off"), ctx
