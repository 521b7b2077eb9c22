// The runtime matrix's probe for Node.js (18 and later); see probe.py for the protocol:
// `node probe.js checks|workload|start PORT`. Checks write a marker to stderr before the call.
'use strict';
const fs = require('fs');
const cp = require('child_process');
const net = require('net');
const http = require('http');
const crypto = require('crypto');

const marker = (name) => fs.writeSync(2, JSON.stringify({ matrix: 'check', name }) + '\n');
const report = (check, outcome, detail = '') =>
  fs.writeSync(1, JSON.stringify({ check, outcome, detail }) + '\n');

// The runtime's own error, named (Node reports errno names in err.code).
function classify(err, refusedCode) {
  if (err && err.code === refusedCode) return 'refused';
  if (err && err.code === 'ENOENT') return 'not_found';
  return 'other';
}

async function runCheck(name, call, refusedCode = 'EACCES') {
  marker(name);
  try {
    report(name, 'ok', String((await call()) || ''));
  } catch (err) {
    report(name, classify(err, refusedCode), `${err.code || err.name}: ${err.message}`);
  }
}

function programRan(file, args, opts = {}) {
  const r = cp.spawnSync(file, args, { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`exit ${r.status}`);
  return r.stdout.trim();
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => { s.destroy(); resolve(''); });
    s.on('error', reject);
  });
}

async function checks(port) {
  await runCheck('exec_shell:spawnSync', () => programRan('/bin/sh', ['-c', 'exit 0']));
  await runCheck('exec_shell:bare name', () => programRan('sh', ['-c', 'exit 0']));
  await runCheck('exec_shell:execSync', () => cp.execSync('exit 0', { stdio: 'pipe' }).toString());
  await runCheck('exec_shell:exec', () => new Promise((resolve, reject) =>
    cp.exec('exit 0', (err) => (err ? reject(err) : resolve('')))));
  await runCheck('exec_path_search:spawnSync', () => programRan('uname', []));
  await runCheck('exec_missing:spawnSync', () => programRan('fnshield-no-such-program', []));
  await runCheck('read_environ:readFileSync', () => { fs.readFileSync('/proc/self/environ'); });
  await runCheck('read_environ:fs.promises', () => fs.promises.readFile('/proc/self/environ').then(() => ''));
  await runCheck('connect_loopback:net.connect', () => connect(port), 'EPERM');
  await runCheck('connect_loopback:http.get', () => httpGet(`http://127.0.0.1:${port}/`), 'EPERM');
  await runCheck('write_outside_tmp:writeFileSync',
    () => fs.writeFileSync('/var/tmp/fnshield-matrix-probe', 'x'));
}

function httpGet(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

async function workload(port) {
  const result = {};
  result.os_release_lines = fs.readFileSync('/etc/os-release', 'utf8').split('\n').filter(Boolean).length;
  const path = `/tmp/fnshield-matrix-node-${process.pid}`;
  fs.writeFileSync(path, 'payload\n'.repeat(100));
  result.tmp_sha256 = crypto.createHash('sha256').update(fs.readFileSync(path)).digest('hex');
  fs.unlinkSync(path);
  result.shell = cp.execSync('echo hi | tr a-z A-Z', { encoding: 'utf8' }).trim();
  result.uname = programRan('uname', ['-s']);
  result.http = await httpGet(`http://127.0.0.1:${port}/workload`);
  const async = await new Promise((resolve) =>
    cp.execFile('sh', ['-c', 'echo async'], (err, out) => resolve(err ? String(err) : out.trim())));
  result.async_child = async;
  result.json = JSON.parse(JSON.stringify({ a: [1, 2, { b: null }] }));
  console.log(JSON.stringify(result));
}

const [what, port] = [process.argv[2], Number(process.argv[3])];
const modes = { checks, workload, start: async () => {} };
modes[what](port).catch((err) => { console.error(err); process.exit(1); });
