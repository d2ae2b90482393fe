import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { issueCertificate } from '../../src/pki/index.js';
import { matchName, type NameMatch, normalizeHost } from '../../src/tls/index.js';

/** A self-signed certificate with exactly these names (chain trust is irrelevant to name matching). */
async function cert(dnsNames: string[], extra: { ipAddresses?: string[]; commonName?: string | null } = {}) {
  return (await issueCertificate({ issuer: 'self-signed', dnsNames, ...extra })).x509;
}

/** The three verdicts as [strict, node, outlook]. */
function verdicts(m: NameMatch): [boolean, boolean, boolean] {
  return [m.strict.ok, m.node.ok, m.outlook.ok];
}

describe('wildcards (docs/tls.md §1.2)', () => {
  test('*.example.test covers one label, not the apex and not two labels', async () => {
    const c = await cert(['*.example.test']);
    assert.deepEqual(matchName('www.example.test', c), {
      host: 'www.example.test',
      kind: 'dns',
      strict: { ok: true, matched: '*.example.test' },
      node: { ok: true },
      outlook: { ok: true, matched: '*.example.test', via: 'san' },
    });
    assert.deepEqual(verdicts(matchName('WWW.Example.TEST', c)), [true, true, true]);
    assert.deepEqual(verdicts(matchName('www.example.test.', c)), [true, true, true]);
    const apex = matchName('example.test', c);
    assert.deepEqual(verdicts(apex), [false, false, false]);
    assert.equal(apex.node.reason, "Host: example.test. is not in the cert's altnames: DNS:*.example.test");
    assert.deepEqual(verdicts(matchName('a.b.example.test', c)), [false, false, false]);
  });

  test('w*.example.test: Node and Outlook accept, strict refuses', async () => {
    const m = matchName('www.example.test', await cert(['w*.example.test']));
    assert.deepEqual(verdicts(m), [false, true, true]);
    assert.equal(m.outlook.matched, 'w*.example.test');
    assert.deepEqual(verdicts(matchName('mail.example.test', await cert(['w*.example.test']))), [false, false, false]);
  });

  test('*w.example.test: only Node accepts', async () => {
    assert.deepEqual(verdicts(matchName('www.example.test', await cert(['*w.example.test']))), [false, true, false]);
  });

  test('w*w.example.test and inner wildcards', async () => {
    assert.deepEqual(verdicts(matchName('www.example.test', await cert(['w*w.example.test']))), [false, true, false]);
    assert.deepEqual(verdicts(matchName('www.a.example.test', await cert(['www.*.example.test']))), [
      false,
      false,
      false,
    ]);
    assert.deepEqual(verdicts(matchName('a.b.example.test', await cert(['*.*.example.test']))), [false, false, false]);
  });

  test('public suffixes: *.com refused by all, *.co.uk only by strict (Node has no PSL)', async () => {
    assert.deepEqual(verdicts(matchName('example.com', await cert(['*.com']))), [false, false, false]);
    assert.deepEqual(verdicts(matchName('example.co.uk', await cert(['*.co.uk']))), [false, true, true]);
  });

  test('wildcard over an IDN base, and no wildcard inside an A-label', async () => {
    assert.deepEqual(verdicts(matchName('a.xn--bcher-kva.example', await cert(['*.xn--bcher-kva.example']))), [
      true,
      true,
      true,
    ]);
    assert.deepEqual(verdicts(matchName('xn--bcher-kva.example', await cert(['xn--*.example']))), [
      false,
      false,
      false,
    ]);
  });
});

describe('CN fallback', () => {
  test('CN-only certificate: Node and Outlook use the CN, strict never does', async () => {
    const c = await cert([], { commonName: 'www.example.test' });
    const m = matchName('www.example.test', c);
    assert.deepEqual(verdicts(m), [false, true, true]);
    assert.deepEqual(m.outlook, { ok: true, matched: 'www.example.test', via: 'cn' });
    assert.equal(matchName('localhost', c).node.reason, "Host: localhost. is not cert's CN: www.example.test");
  });

  test('CN-only wildcard', async () => {
    const c = await cert([], { commonName: '*.example.test' });
    assert.deepEqual(verdicts(matchName('www.example.test', c)), [false, true, true]);
  });

  test('the CN is ignored when there is a DNS SAN', async () => {
    const c = await cert(['other.example.test'], { commonName: 'www.example.test' });
    assert.deepEqual(verdicts(matchName('www.example.test', c)), [false, false, false]);
  });

  test('IP SANs only: Node and Outlook still fall back to the CN', async () => {
    const c = await cert([], { ipAddresses: ['127.0.0.1'], commonName: 'www.example.test' });
    assert.deepEqual(verdicts(matchName('www.example.test', c)), [false, true, true]);
  });

  test('neither DNS SAN nor CN', async () => {
    const c = await cert([], { ipAddresses: ['127.0.0.1'], commonName: null });
    const m = matchName('www.example.test', c);
    assert.deepEqual(verdicts(m), [false, false, false]);
    assert.equal(m.node.reason, 'Cert does not contain a DNS name');
  });
});

describe('IP addresses', () => {
  test('IP hosts match iPAddress SANs, whatever the IPv6 spelling', async () => {
    const c = await cert([], { ipAddresses: ['127.0.0.1', '::1'] });
    for (const host of ['127.0.0.1', '::1', '0:0:0:0:0:0:0:1', '[::1]']) {
      assert.deepEqual(verdicts(matchName(host, c)), [true, true, true], host);
    }
    const v6 = matchName('0:0:0:0:0:0:0:1', c);
    assert.equal(v6.host, '::1');
    assert.equal(v6.kind, 'ip');
    assert.equal(v6.strict.matched, '::1');
    const miss = matchName('127.0.0.2', c);
    assert.deepEqual(verdicts(miss), [false, false, false]);
    assert.equal(miss.node.reason, "IP: 127.0.0.2 is not in the cert's list: 127.0.0.1, ::1");
  });

  test('an IP written as a DNS SAN does not count', async () => {
    const m = matchName('127.0.0.1', await cert(['127.0.0.1']));
    assert.deepEqual(verdicts(m), [false, false, false]);
    assert.equal(m.node.reason, "IP: 127.0.0.1 is not in the cert's list: ");
  });
});

describe('host normalisation', () => {
  test('U-labels are converted before comparing (Node alone would not)', async () => {
    const m = matchName('bücher.example', await cert(['xn--bcher-kva.example']));
    assert.equal(m.host, 'xn--bcher-kva.example');
    assert.deepEqual(verdicts(m), [true, true, true]);
  });

  test('invalid hosts match nothing', async () => {
    const m = matchName('*.example.test', await cert(['*.example.test']));
    assert.equal(m.kind, 'invalid');
    assert.deepEqual(verdicts(m), [false, false, false]);
    assert.equal(m.node.reason, '"*.example.test" is not a valid host name');
  });

  test('normalizeHost', () => {
    assert.deepEqual(normalizeHost('Autodiscover.Contoso.TEST.'), { host: 'autodiscover.contoso.test', kind: 'dns' });
    assert.deepEqual(normalizeHost('[2001:DB8::1]'), { host: '2001:db8::1', kind: 'ip' });
    assert.deepEqual(normalizeHost('a b.test'), { host: 'a b.test', kind: 'invalid' });
  });
});
