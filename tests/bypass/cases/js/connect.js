// Outbound connections from Node.js to a loopback server the policy forbids.
//   raw-ip   net.connect(port, '127.0.0.1')
//   ipv6     net.connect(port6, '::1')
//   udp      dgram send to 127.0.0.1 without connect
'use strict';
const net = require('net');
const dgram = require('dgram');
const { attempt, run } = require('./_case');

function tcp(host, port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => { s.destroy(); resolve('connected'); });
    s.on('error', reject);
  });
}

exports.handler = async (event) => {
  switch (event.mode) {
    case 'raw-ip':
      attempt(`net.connect 127.0.0.1:${event.tcp4_port}`);
      return tcp('127.0.0.1', Number(event.tcp4_port));
    case 'ipv6':
      attempt(`net.connect [::1]:${event.tcp6_port}`);
      return tcp('::1', Number(event.tcp6_port));
    case 'udp': {
      attempt(`dgram send 127.0.0.1:${event.udp4_port}`);
      const s = dgram.createSocket('udp4');
      try {
        await new Promise((resolve, reject) => {
          s.on('error', reject);     // a refused socket() arrives as an 'error' event
          s.send('exfil', Number(event.udp4_port), '127.0.0.1', (e) => (e ? reject(e) : resolve()));
        });
      } finally { try { s.close(); } catch (e) { /* never bound */ } }
      return 'sent';
    }
    default:
      throw new Error('unknown mode ' + event.mode);
  }
};

if (require.main === module) run(exports.handler);
