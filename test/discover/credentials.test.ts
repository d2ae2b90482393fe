/**
 * Where credentials go, seen from the servers' side (the lab logs the Authorization scheme of every request):
 * only over HTTPS with a fully valid certificate, never to a redirect target before the user agrees.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { runDiscovery } from '../../src/discover/engine.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import { PROFILES } from '../../src/discover/profiles.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { parseScenario } from '../../src/lab/scenario.js';

const SCENARIO = `
name: credential-rules
title: Where credentials may go
description: A valid root domain that wants a password, an expired autodiscover host, and an HTTP redirect to a partner.
email: chris@contoso.test
dns:
  zones:
    - origin: contoso.test
      records:
        - { name: '@', type: A, value: 'host:root' }
        - { name: autodiscover, type: A, value: 'host:expired' }
    - origin: partner.test
      records:
        - { name: mail, type: A, value: 'host:partner' }
hosts:
  - name: root
    https: { certificate: { names: [contoso.test] } }
    routes:
      - { path: /autodiscover/autodiscover.xml, answer: { status: 401, body: '', headers: { www-authenticate: 'Basic realm="contoso"' } } }
  - name: expired
    https: { certificate: { names: [autodiscover.contoso.test], validity: expired } }
    http: {}
    routes:
      - { path: /autodiscover/autodiscover.xml, scheme: https, answer: { status: 404, body: nothing here } }
      - { path: /autodiscover/autodiscover.xml, scheme: http, answer: { redirect: 'https://mail.partner.test/autodiscover/autodiscover.xml' } }
  - name: partner
    https: { certificate: { names: [mail.partner.test] } }
    routes:
      - path: /autodiscover/autodiscover.xml
        answer:
          autodisco:
            domains:
              - { name: contoso.test, imap: { host: imap.partner.test } }
`;

describe('credentials', () => {
  let lab: RunningLab;
  let ca: string;
  before(async () => {
    lab = await startLab(parseScenario(SCENARIO, 'credentials'), { range: '127.47.0.0/24' });
    ca = await readFile(lab.caFile, 'utf8');
  });
  after(() => lab.close());

  const run = async (accept: { redirect: boolean; certificate: boolean }, concurrent = false) => {
    const since = lab.requests.length;
    const report = await runDiscovery(
      {
        email: 'chris@contoso.test',
        profile: PROFILES.outlook,
        exclude: new Set(),
        accept,
        timeoutMs: 3000,
        ca: [ca],
        credentials: { user: 'chris@contoso.test', password: 'correct horse' },
        // Sequential, so the lab's log holds exactly the client's requests in the client's order.
        concurrent,
      },
      createNodePorts({ dnsServers: [lab.dns], timeoutMs: 3000 }),
    );
    const requests = lab.requests
      .slice(since)
      .map((r) => `${r.host} ${r.scheme} ${r.method} ${r.authScheme ?? 'no-auth'}`);
    return { report, requests };
  };

  test('valid TLS gets credentials; an invalid certificate stops at the prompt before any request', async () => {
    const { report, requests } = await run({ redirect: false, certificate: false });
    assert.equal(report.outcome, 'prompt');
    assert.equal(report.prompt?.kind, 'certificate');
    assert.deepEqual(requests, ['root https POST Basic']);
    const root = report.steps.find((s) => s.method === 'root-domain');
    assert.equal(root?.credentialsSent, true);
    assert.deepEqual(root?.authSchemes, ['Basic']);
    assert.equal(root?.status, 401);
  });

  test('a clicked-through certificate gets the request but not the password; a foreign redirect waits for consent', async () => {
    const { report, requests } = await run({ redirect: false, certificate: true });
    assert.deepEqual(requests, ['root https POST Basic', 'expired https POST no-auth', 'expired http GET no-auth']);
    assert.equal(report.outcome, 'prompt');
    assert.equal(report.prompt?.kind, 'redirect');
    assert.equal(report.prompt?.url, 'https://mail.partner.test/autodiscover/autodiscover.xml');
    assert.match(
      report.prompt?.message ?? '',
      /^Allow this website to configure chris@contoso\.test server settings\?/,
    );
    assert.equal(report.steps.find((s) => s.method === 'autodiscover-domain')?.credentialsSent, false);
  });

  test('after consent the redirect target gets credentials over valid TLS', async () => {
    const { report, requests } = await run({ redirect: true, certificate: true });
    assert.deepEqual(requests, [
      'root https POST Basic',
      'expired https POST no-auth',
      'expired http GET no-auth',
      'partner https POST Basic',
    ]);
    assert.equal(report.outcome, 'settings');
    assert.equal(report.settings?.method, 'redirect');
    assert.equal(report.settings?.url, 'https://mail.partner.test/autodiscover/autodiscover.xml');
  });

  test('the prefetch may send unauthenticated requests early, but credentials go exactly where they went', async () => {
    const sequential = await run({ redirect: true, certificate: true });
    const concurrent = await run({ redirect: true, certificate: true }, true);
    const withCredentials = (requests: string[]) => requests.filter((r) => r.endsWith('Basic'));
    assert.deepEqual(withCredentials(concurrent.requests), withCredentials(sequential.requests));
    assert.deepEqual(
      concurrent.report.steps.map((s) => [s.method, s.url, s.result, s.credentialsSent]),
      sequential.report.steps.map((s) => [s.method, s.url, s.result, s.credentialsSent]),
    );
  });
});
