import { connect, createServer, type TLSSocket } from 'node:tls';
import { createAuthority, createIntermediate, issueCertificate } from '../src/pki/index.js';
import { trustContext } from '../src/tls/trust.js';

const root = await createAuthority({ name: 'Cost Root' });
const leaf = await issueCertificate({
  issuer: await createIntermediate(root, { name: 'Cost CA' }),
  dnsNames: ['a.test'],
});
const server = createServer({ cert: leaf.fullChainPem, key: leaf.keyPem }, (s) => s.end());
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address() as { port: number };
const context = trustContext([root.certPem]);
let spent = 0n;
async function run(n: number, read: (s: TLSSocket) => unknown) {
  spent = 0n;
  for (let i = 0; i < n; i++)
    await new Promise<void>((resolve) => {
      const s = connect({
        host: '127.0.0.1',
        port,
        servername: 'a.test',
        secureContext: context,
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });
      s.getPeerCertificate = (() => ({})) as never;
      s.once('secureConnect', () => {
        Reflect.deleteProperty(s, 'getPeerCertificate');
        const t = process.hrtime.bigint();
        read(s);
        spent += process.hrtime.bigint() - t;
        s.destroy();
        resolve();
      });
    });
  return Number(spent) / n / 1000;
}
for (let k = 0; k < 3; k++) {
  console.log(
    'x509',
    (
      await run(2000, (s) => {
        for (let c = s.getPeerX509Certificate(); c; c = c.issuerCertificate) void c.raw;
      })
    ).toFixed(1),
    'µs',
  );
  console.log('detailed', (await run(2000, (s) => s.getPeerCertificate(true))).toFixed(1), 'µs');
  console.log('leaf only', (await run(2000, (s) => s.getPeerCertificate(false))).toFixed(1), 'µs');
}
server.close();
