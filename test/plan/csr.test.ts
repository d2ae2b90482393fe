/** `plan --csr`: the request parsed back with @peculiar/x509 carries exactly the planned names. */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isAutodiscoError } from '../../src/errors.js';
import * as x509 from '../../src/pki/x509.js';
import { writePlanCsr } from '../../src/plan/csr.js';
import { parseDeploymentText } from '../../src/plan/deployment.js';
import { fromDeployment } from '../../src/plan/input.js';
import { buildPlan } from '../../src/plan/plan.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'autodisco-csr-'));
  dirs.push(d);
  return d;
}

function sanNames(pem: string): { subject: string; names: unknown[]; csr: x509.Pkcs10CertificateRequest } {
  const csr = new x509.Pkcs10CertificateRequest(pem);
  const san = csr.getExtension('2.5.29.17');
  assert.ok(san instanceof x509.SubjectAlternativeNameExtension);
  return { subject: csr.subject, names: san.names.toJSON(), csr };
}

const SEED_WITH_DEFAULT_SCP = `
acceptedDomains: [domain.com]
namespaces: { mail: webmail.domain.com }
servers: [{ name: CASServer }]
`;

test("the seed's names, and nothing a public CA would refuse (the NetBIOS name is left out)", async () => {
  const plan = buildPlan(fromDeployment(parseDeploymentText(SEED_WITH_DEFAULT_SCP, 'seed')));
  const dir = join(await tempDir(), 'out');
  const written = await writePlanCsr(plan, dir);
  assert.deepEqual(written.names, ['webmail.domain.com', 'autodiscover.domain.com']);
  assert.deepEqual(written.leftOut, ['casserver']);
  assert.equal(written.keyType, 'rsa');
  assert.equal(written.key, join(dir, 'key.pem'));
  assert.equal(written.request, join(dir, 'request.csr'));

  const { subject, names, csr } = sanNames(await readFile(written.request, 'utf8'));
  assert.equal(subject, 'CN=webmail.domain.com');
  assert.deepEqual(names, [
    { type: 'dns', value: 'webmail.domain.com' },
    { type: 'dns', value: 'autodiscover.domain.com' },
  ]);
  assert.equal(await csr.verify(), true);
  // The key on disk is private to its owner and is the one the request was signed with.
  const keyPem = await readFile(written.key, 'utf8');
  assert.equal((await stat(written.key)).mode & 0o777, 0o600);
  const fromCsr = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  const fromKey = createPublicKey(createPrivateKey(keyPem));
  assert.ok(fromCsr.export({ type: 'spki', format: 'der' }).equals(fromKey.export({ type: 'spki', format: 'der' })));
  assert.equal(fromKey.asymmetricKeyType, 'rsa');
});

test('--include-internal requests every required name (for an internal CA); ECDSA on request', async () => {
  const plan = buildPlan(fromDeployment(parseDeploymentText(SEED_WITH_DEFAULT_SCP, 'seed')));
  const written = await writePlanCsr(plan, await tempDir(), { includeInternal: true, keyType: 'ecdsa' });
  const { names } = sanNames(await readFile(written.request, 'utf8'));
  assert.deepEqual(names, [
    { type: 'dns', value: 'webmail.domain.com' },
    { type: 'dns', value: 'autodiscover.domain.com' },
    { type: 'dns', value: 'casserver' },
  ]);
  assert.equal(createPrivateKey(await readFile(written.key, 'utf8')).asymmetricKeyType, 'ec');
});

test('an existing key.pem is never overwritten, and a plan with no public name asks for --include-internal', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'key.pem'), 'keep me');
  const plan = buildPlan(fromDeployment(parseDeploymentText(SEED_WITH_DEFAULT_SCP, 'seed')));
  await assert.rejects(writePlanCsr(plan, dir, { keyType: 'ecdsa' }), (err: unknown) => {
    assert.ok(isAutodiscoError(err));
    assert.equal(err.message, `--csr ${dir}: key.pem already exists there (it is never overwritten)`);
    return true;
  });
  assert.equal(await readFile(join(dir, 'key.pem'), 'utf8'), 'keep me');

  const lab = buildPlan(
    fromDeployment(
      parseDeploymentText('acceptedDomains: [contoso.test]\nnamespaces: { mail: mail.contoso.test }', 'lab'),
    ),
  );
  await assert.rejects(writePlanCsr(lab, await tempDir()), {
    code: 'ADK_ERR_INVALID_ARGUMENT',
    message:
      /no name a public CA would issue is required \(mail\.contoso\.test, autodiscover\.contoso\.test\); add --include-internal/,
  });
});
