'use strict';
// The origin probe: node index.js ACTION [ARG]; prints {"ok": true} at the end.
const fs = require('fs');
const evil = require('@acme/evil');
const leftish = require('leftish');
const SECRET = process.env.SECRET || '/nonexistent';

function manyFiles() {
  const d = require('path').dirname(SECRET);
  return fs.readdirSync(d).filter((f) => f.startsWith('many-')).sort().map((f) => d + '/' + f);
}

async function handler(action, arg) {
  switch (action) {
    case 'read': evil.readSecret(SECRET); break;
    case 'leftish': leftish(SECRET); break;
    case 'own':
      try { fs.readFileSync(SECRET); } catch (e) { }  // CALL:own
      break;
    case 'exec': evil.execShell(); break;
    case 'exit': process.on('exit', () => evil.readSecret(SECRET)); break;
    case 'signal': await new Promise((resolve) => {
      const keepAlive = setTimeout(() => {}, 10000);  // a signal listener keeps no loop alive
      process.on('SIGUSR2', () => { evil.readSecret(SECRET); clearTimeout(keepAlive); resolve(); });
      process.kill(process.pid, 'SIGUSR2');
    }); break;
    case 'repeat': for (let i = 0; i < parseInt(arg, 10); i++) evil.readSecret(SECRET); break;
    case 'spawn': evil.spawnShell(); break;
    case 'async': await new Promise((resolve) => evil.readLater(SECRET, resolve)); break;
    case 'many': {
      // Sync reads on the main thread interleaved with async ones on libuv's pool.
      const files = manyFiles();
      const pending = files.map((f) => new Promise((resolve) => evil.readLater(f, resolve)));
      for (const f of files) evil.readSecret(f);
      await Promise.all(pending);
      break;
    }
    case 'worker': {
      const { Worker } = require('worker_threads');
      const n = parseInt(arg || '4', 10);
      await Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
        const w = new Worker(`require(${JSON.stringify(require.resolve('@acme/evil'))}).readSecret(${JSON.stringify(SECRET)})`, { eval: true });
        w.on('exit', resolve); w.on('error', reject);
      })));
      break;
    }
    case 'connect': await new Promise((resolve) => {
      const s = require('net').connect(parseInt(arg, 10), '127.0.0.1');
      s.on('error', resolve); s.on('connect', () => { s.destroy(); resolve(); });
    }); break;
    default: throw new Error('unknown action ' + action);
  }
}

handler(process.argv[2], process.argv[3]).then(() => console.log(JSON.stringify({ ok: true })));
