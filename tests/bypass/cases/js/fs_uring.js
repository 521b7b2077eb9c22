// Node.js file access through libuv's io_uring (the harness starts node with
// UV_USE_IO_URING=1): libuv submits openat/read/write to a ring and the kernel performs them,
// with no open system call from any thread.
//   read   fs.promises.readFile(SECRET)
//   write  fs.promises.writeFile(VICTIM, 'PWNED')
'use strict';
const fsp = require('fs').promises;
const { attempt, got, run } = require('./_case');

exports.handler = async (event) => {
  if (event.mode === 'read') {
    attempt(`fs.promises.readFile(${event.secret}) UV_USE_IO_URING=${process.env.UV_USE_IO_URING}`);
    got(await fsp.readFile(event.secret, 'utf8'));
    return 'read';
  }
  if (event.mode === 'write') {
    attempt(`fs.promises.writeFile(${event.victim}) UV_USE_IO_URING=${process.env.UV_USE_IO_URING}`);
    await fsp.writeFile(event.victim, 'PWNED\n');
    return 'written';
  }
  throw new Error('unknown mode ' + event.mode);
};

if (require.main === module) run(exports.handler);
