// Turning the shim off for a child from Node.js. The policy allows node itself to run; the
// child reads SECRET.
//   child-mode-alert    env: {...process.env, FNSHIELD_MODE: 'alert', FNSHIELD_POLICY: permissive}
//   child-env-only      env: {FNSHIELD_MODE: 'alert', FNSHIELD_POLICY: permissive} and nothing else
'use strict';
const cp = require('child_process');
const { attempt, run } = require('./_case');

const READ = "process.stdout.write('GOT ' + require('fs').readFileSync(process.argv[1], 'utf8') + '\\n')";
const PERMISSIVE = JSON.stringify({ version: 1, mode: 'alert' });

exports.handler = async (event) => {
  let env;
  if (event.mode === 'child-mode-alert')
    env = { ...process.env, FNSHIELD_MODE: 'alert', FNSHIELD_POLICY: PERMISSIVE };
  else if (event.mode === 'child-env-only')
    env = { FNSHIELD_MODE: 'alert', FNSHIELD_POLICY: PERMISSIVE };
  else
    throw new Error('unknown mode ' + event.mode);
  delete env.FNSHIELD_POLICY_FILE;
  attempt(`spawnSync(node) with ${event.mode}, child reads the secret`);
  const r = cp.spawnSync(process.execPath, ['-e', READ, event.secret], { env, stdio: 'inherit' });
  if (r.error) throw r.error;
  return { status: r.status };
};

if (require.main === module) run(exports.handler);
