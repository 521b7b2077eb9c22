'use strict';
// fnshield integration probe for Node.js.
//
// Usage: node probe.js CASE [ARGS...]
//
// Performs exactly one action, prints one JSON result line ({"ok":true,...} or
// {"ok":false,"code":"EACCES",...}) and then {"after":true}; exits 0 whatever happened to the
// action. Argument conventions are those of probe.py: exec cases take none (the program is
// `id`), read/write cases take DIR NAME, connect/listen cases take PORT (host 127.0.0.1).

const cp = require('child_process');
const fs = require('fs');
const fsp = require('fs/promises');
const net = require('net');
const http = require('http');
const dgram = require('dgram');
const path = require('path');

function errResult(e) {
  const r = { ok: false, error: (e && e.constructor && e.constructor.name) || String(e) };
  if (e && e.code !== undefined) r.code = e.code;
  if (e && e.errno !== undefined) r.errno = e.errno;
  if (e && e.syscall !== undefined) r.syscall = e.syscall;
  if (e && e.message !== undefined) r.message = e.message;
  return r;
}

function rcResult(rc, extra) {
  return Object.assign({ ok: rc === 0, rc: rc }, extra || {});
}

function childResult(stdout, rc) {
  for (const line of String(stdout).split('\n')) {
    try {
      const o = JSON.parse(line);
      if (o && typeof o === 'object' && 'ok' in o) { o.child_rc = rc; return o; }
    } catch (e) { /* not a result line */ }
  }
  return { ok: false, error: 'NoChildResult', child_rc: rc, child_stdout: String(stdout) };
}

// A child process: resolve with the exit code, or reject with the spawn error.
function waitChild(child) {
  return new Promise((resolve) => {
    let done = false;
    child.on('error', (e) => { if (!done) { done = true; resolve(errResult(e)); } });
    child.on('exit', (code, sig) => {
      if (!done) { done = true; resolve(rcResult(code === null ? 128 + 1 : code, sig ? { signal: sig } : {})); }
    });
  });
}

const p = (d, name) => path.join(d, name);
const ok = () => ({ ok: true });

const cases = {
  // ---- exec ----------------------------------------------------------------------------
  cp_spawn: () => waitChild(cp.spawn('id', [], { stdio: ['ignore', 'ignore', 'inherit'] })),
  cp_exec: () => new Promise((resolve) => {
    cp.exec('id', (err) => {
      if (!err) return resolve(ok());
      if (typeof err.code === 'number') return resolve(rcResult(err.code));
      resolve(errResult(err));
    });
  }),
  cp_execFile: () => new Promise((resolve) => {
    cp.execFile('id', [], (err) => {
      if (!err) return resolve(ok());
      if (typeof err.code === 'number') return resolve(rcResult(err.code));
      resolve(errResult(err));
    });
  }),
  // Explicit stdio: the child's stdout and stderr are pipes, and Node does not copy the child's
  // stderr to ours: a line written to the child's fd 2 would be swallowed.
  cp_execSync: () => {
    try {
      cp.execSync('id', { stdio: ['ignore', 'pipe', 'pipe'] });
      return ok();
    } catch (e) {
      if (typeof e.status === 'number') {
        return rcResult(e.status, { child_stderr: String(e.stderr || '') });
      }
      return errResult(e);
    }
  },
  cp_spawnSync: () => {
    const r = cp.spawnSync('id', [], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.error) return errResult(r.error);
    return rcResult(r.status, { child_stderr: String(r.stderr || '') });
  },
  cp_spawnSync_sh: () => {
    const r = cp.spawnSync('/bin/sh', ['-c', 'id'], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.error) return errResult(r.error);
    return rcResult(r.status, { child_stderr: String(r.stderr || '') });
  },
  cp_spawn_envclear_sh: () => new Promise((resolve) => {
    const c = cp.spawn('/bin/sh', ['-c', '/usr/bin/id'], { env: {}, stdio: ['ignore', 'ignore', 'pipe'] });
    let errText = '';
    c.stderr.on('data', (b) => { errText += b; });
    c.on('error', (e) => resolve(errResult(e)));
    c.on('close', (code) => resolve(rcResult(code, { child_stderr: errText })));
  }),

  // ---- read (DIR NAME) -----------------------------------------------------------------
  fs_readFileSync: (d, n) => { fs.readFileSync(p(d, n)); return ok(); },
  fs_readFile_cb: (d, n) => new Promise((resolve) => {
    fs.readFile(p(d, n), (err) => resolve(err ? errResult(err) : ok()));
  }),
  fs_promises_readFile: (d, n) => fsp.readFile(p(d, n)).then(ok),
  fs_openSync_r: (d, n) => { fs.closeSync(fs.openSync(p(d, n), 'r')); return ok(); },
  fs_open_cb_r: (d, n) => new Promise((resolve) => {
    fs.open(p(d, n), 'r', (err, fd) => {
      if (err) return resolve(errResult(err));
      fs.closeSync(fd);
      resolve(ok());
    });
  }),
  fs_promises_open_r: (d, n) => fsp.open(p(d, n), 'r').then((fh) => fh.close()).then(ok),
  fs_createReadStream: (d, n) => new Promise((resolve) => {
    const s = fs.createReadStream(p(d, n));
    s.on('error', (e) => resolve(errResult(e)));
    s.on('data', () => {});
    s.on('end', () => resolve(ok()));
  }),
  fs_relative_chdir: (d, n) => { process.chdir(d); fs.readFileSync(n); return ok(); },
  fs_copyFileSync: (d, n) => { fs.copyFileSync(p(d, n), p(d, 'copy-of-' + n)); return ok(); },
  worker_read: (d, n) => new Promise((resolve) => {
    const { Worker } = require('worker_threads');
    const w = new Worker(
      "const fs = require('fs'); const { parentPort, workerData } = require('worker_threads');" +
      "try { fs.readFileSync(workerData); parentPort.postMessage({ ok: true }); }" +
      "catch (e) { parentPort.postMessage({ ok: false, error: 'Error', code: e.code, message: e.message }); }",
      { eval: true, workerData: p(d, n) });
    w.on('message', (m) => { resolve(m); w.terminate(); });
    w.on('error', (e) => resolve(errResult(e)));
  }),
  // dlopen of DIR/NAME (a plain shared library: loading works, registering as an addon not)
  process_dlopen: (d, n) => {
    try {
      process.dlopen({ exports: {} }, p(d, n));
    } catch (e) {
      if (!/did not self-register/.test(e.message)) return errResult(e);
    }
    return ok();
  },
  // A node child with a clean environment reads the file (fork: IPC channel, silent stdio).
  cp_fork_child_read: (d, n) => new Promise((resolve) => {
    const c = cp.fork(__filename, ['fs_readFileSync', d, n], { silent: true });
    let outText = '';
    c.stdout.on('data', (b) => { outText += b; });
    c.on('error', (e) => resolve(errResult(e)));
    c.on('close', (code) => resolve(childResult(outText, code)));
  }),
  cp_spawn_envclear_child_read: (d, n) => new Promise((resolve) => {
    const c = cp.spawn(process.execPath, [__filename, 'fs_readFileSync', d, n],
      { env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
    let outText = '';
    let errText = '';
    c.stdout.on('data', (b) => { outText += b; });
    c.stderr.on('data', (b) => { errText += b; });
    c.on('error', (e) => resolve(errResult(e)));
    c.on('close', (code) => {
      const r = childResult(outText, code);
      r.child_stderr = errText;
      resolve(r);
    });
  }),

  // ---- write (DIR NAME) ----------------------------------------------------------------
  fs_writeFileSync: (d, n) => { fs.writeFileSync(p(d, n), 'x'); return ok(); },
  fs_writeFile_cb: (d, n) => new Promise((resolve) => {
    fs.writeFile(p(d, n), 'x', (err) => resolve(err ? errResult(err) : ok()));
  }),
  fs_promises_writeFile: (d, n) => fsp.writeFile(p(d, n), 'x').then(ok),
  fs_appendFileSync: (d, n) => { fs.appendFileSync(p(d, n), 'x'); return ok(); },
  fs_appendFile_cb: (d, n) => new Promise((resolve) => {
    fs.appendFile(p(d, n), 'x', (err) => resolve(err ? errResult(err) : ok()));
  }),
  fs_promises_appendFile: (d, n) => fsp.appendFile(p(d, n), 'x').then(ok),
  fs_openSync_w: (d, n) => { fs.closeSync(fs.openSync(p(d, n), 'w')); return ok(); },
  fs_openSync_rplus: (d, n) => { fs.closeSync(fs.openSync(p(d, n), 'r+')); return ok(); },
  fs_promises_open_a: (d, n) => fsp.open(p(d, n), 'a').then((fh) => fh.close()).then(ok),
  fs_createWriteStream: (d, n) => new Promise((resolve) => {
    const s = fs.createWriteStream(p(d, n));
    s.on('error', (e) => resolve(errResult(e)));
    s.on('finish', () => resolve(ok()));
    s.end('x');
  }),

  // ---- connect (PORT) ------------------------------------------------------------------
  net_connect: (port) => new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: Number(port) });
    s.on('error', (e) => resolve(errResult(e)));
    s.on('connect', () => { s.end('ping'); resolve(ok()); });
  }),
  net_connect_ipv6: (port) => new Promise((resolve) => {
    const s = net.connect({ host: '::1', port: Number(port) });
    s.on('error', (e) => resolve(errResult(e)));
    s.on('connect', () => { s.end('ping'); resolve(ok()); });
  }),
  net_connect_name: (port) => new Promise((resolve) => {
    const s = net.connect({ host: 'localhost', port: Number(port), family: 4 });
    s.on('error', (e) => resolve(errResult(e)));
    s.on('connect', () => { s.end('ping'); resolve(ok()); });
  }),
  http_get: (port) => new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: Number(port), path: '/', agent: false }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(rcResult(res.statusCode === 200 ? 0 : res.statusCode)));
    });
    req.on('error', (e) => resolve(errResult(e)));
  }),
  fetch_get: (port) => fetch('http://127.0.0.1:' + port + '/')
    .then((res) => res.text().then(() => rcResult(res.status === 200 ? 0 : res.status)))
    .catch((e) => errResult(e.cause || e)),
  dgram_send: (port) => new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.on('error', (e) => { resolve(errResult(e)); });
    s.send(Buffer.from('ping'), Number(port), '127.0.0.1', (err) => {
      s.close();
      resolve(err ? errResult(err) : ok());
    });
  }),

  // ---- listen (PORT) -------------------------------------------------------------------
  net_listen: (port) => new Promise((resolve) => {
    const srv = net.createServer();
    srv.on('error', (e) => resolve(errResult(e)));
    srv.listen(Number(port), '127.0.0.1', () => { srv.close(); resolve(ok()); });
  }),
};

async function main() {
  const [name, ...args] = process.argv.slice(2);
  let r;
  if (!(name in cases)) {
    r = { ok: false, error: 'UnknownCase', case: name };
  } else {
    try {
      r = await cases[name](...args);
    } catch (e) {
      r = errResult(e);
    }
  }
  if (r.pid === undefined) r.pid = process.pid;
  process.stdout.write(JSON.stringify(r) + '\n');
  process.stdout.write(JSON.stringify({ after: true }) + '\n', () => process.exit(0));
}

main();
