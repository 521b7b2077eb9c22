// What every Node.js bypass case shares (the protocol is described in tests/bypass/run.py).
// A case exports handler(event, context); `event` holds the targets the harness prepared
// (BYPASS_* environment variables, lower-cased without the prefix) and event.mode.
'use strict';

function say(...words) { process.stdout.write(words.join(' ') + '\n'); }

exports.say = say;
exports.attempt = (what) => say('ATTEMPT', what);
exports.got = (data) => say('GOT', String(data));

exports.run = (handler) => {
  const event = { mode: process.argv[2] || '' };
  for (const [k, v] of Object.entries(process.env))
    if (k.startsWith('BYPASS_')) event[k.slice(7).toLowerCase()] = v;
  Promise.resolve()
    .then(() => handler(event, {}))
    .then((r) => say('DONE', 'returned', JSON.stringify(r === undefined ? null : r)),
      (e) => {
        if (e && typeof e.code === 'string' && typeof e.errno === 'number') {
          say('DONE', 'refused:', e.code, e.message);     // a refused system call
        } else if (e && typeof e.status === 'number') {
          say('DONE', 'child failed with status', e.status); // execSync: the child's outcome
        } else {
          console.error(e);
          process.exitCode = 1;
        }
      });
};
