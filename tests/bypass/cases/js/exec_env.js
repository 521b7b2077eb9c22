// Starting programs from Node.js with the shim stripped from the environment.
// Target: /usr/bin/touch MARKER.
//   exec-sync        child_process.execSync(": > MARKER")                  (sh blocked: the
//                    shell's own redirection makes the marker, so it means sh ran)
//   env-empty        spawnSync('/bin/sh', ['-c', touch], {env: {}})       (sh allowed)
//   unset-exec-sync  delete process.env.LD_PRELOAD / FNSHIELD_*, then
//                    execSync(touch)                                      (sh allowed)
//   unset-spawn      the same, then spawnSync('/usr/bin/touch')           (sh allowed)
'use strict';
const cp = require('child_process');
const { attempt, run } = require('./_case');

function strip() {
  for (const k of Object.keys(process.env))
    if (k === 'LD_PRELOAD' || k.includes('FNSHIELD')) delete process.env[k];
}

function status(r) {
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal };
}

exports.handler = async (event) => {
  const line = `/usr/bin/touch '${event.marker}'`;
  switch (event.mode) {
    case 'exec-sync':
      attempt(`execSync(": > marker")`);
      cp.execSync(`: > '${event.marker}'`, { stdio: 'inherit' });
      return 'ran';
    case 'env-empty':
      attempt("spawnSync('/bin/sh', ['-c', touch], {env: {}})");
      return status(cp.spawnSync('/bin/sh', ['-c', line], { env: {}, stdio: 'inherit' }));
    case 'unset-exec-sync':
      strip();
      attempt('process.env stripped, execSync(touch)');
      cp.execSync(line, { stdio: 'inherit' });
      return 'ran';
    case 'unset-spawn':
      strip();
      attempt('process.env stripped, spawnSync(/usr/bin/touch)');
      return status(cp.spawnSync('/usr/bin/touch', [event.marker], { stdio: 'inherit' }));
    default:
      throw new Error('unknown mode ' + event.mode);
  }
};

if (require.main === module) run(exports.handler);
