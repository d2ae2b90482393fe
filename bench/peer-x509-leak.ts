/**
 * The native memory an audit keeps per probe (bench/profile-issue-10.md, "Memory"): on Node 20.20, each
 * TLSSocket#getPeerX509Certificate() call leaves the peer's certificate allocated in OpenSSL (about 5 KB), even
 * after the socket is gone and a full collection ran; getPeerCertificate(true) does not. 6,000 handshakes with a
 * local server, each way, then the glibc heap ([heap] in /proc/self/smaps) after forced collections:
 *
 *   node --expose-gc --import tsx bench/peer-x509-leak.ts
 */
import { readFileSync } from 'node:fs';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { createAuthority, createIntermediate, issueCertificate } from '../src/pki/index.js';
import { trustContext } from '../src/tls/trust.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const root = await createAuthority({ name: 'Leak Test Root' });
const leaf = await issueCertificate({
  issuer: await createIntermediate(root, { name: 'Leak Test CA' }),
  dnsNames: ['a.test'],
});
const server = createServer({ cert: leaf.fullChainPem, key: leaf.keyPem }, (s) => s.end());
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as { port: number };
const context = trustContext([root.certPem]);

/** Resident MB of the glibc main heap. */
function mallocHeapMB(): number {
  let current = '';
  let kb = 0;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) current = mapping[1] ?? '';
    else if (current === '[heap]') kb += Number(/^Rss:\s+(\d+)/.exec(line)?.[1] ?? 0);
  }
  return Math.round(kb / 1024);
}

async function handshakes(count: number, read: (socket: TLSSocket) => void): Promise<void> {
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, servername: 'a.test', secureContext: context });
      socket.once('secureConnect', () => {
        read(socket);
        socket.destroy();
        resolve();
      });
      socket.once('error', () => resolve());
    });
  }
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc?.();
}

for (const [label, read] of [
  ['getPeerCertificate(true)', (s: TLSSocket) => void s.getPeerCertificate(true).raw],
  ['getPeerX509Certificate()', (s: TLSSocket) => void s.getPeerX509Certificate()?.raw],
] as const) {
  const before = mallocHeapMB();
  await handshakes(6000, read);
  process.stdout.write(`${label}: malloc heap ${before} MB → ${mallocHeapMB()} MB after 6,000 handshakes\n`);
}
server.close();
