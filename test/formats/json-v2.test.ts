import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseV2Protocol, renderV2 } from '../../src/formats/json-v2.js';
import { type Answer, resolveAnswer } from '../../src/settings/resolve.js';
import { domain, type UserRecord, user } from '../../src/settings/schema.js';

const example = domain.parse({
  name: 'example.com',
  imap: { host: 'imap.example.com' },
  smtp: { host: 'smtp.example.com', security: 'starttls' },
  activeSync: { url: 'https://eas.example.com/Microsoft-Server-ActiveSync' },
  exchange: {
    server: 'mail.example.com',
    ews: {
      internal: 'https://mail.internal.example.com/EWS/Exchange.asmx',
      external: 'https://mail.example.com/EWS/Exchange.asmx',
    },
  },
});
const plain = domain.parse({
  name: 'plain.example',
  imap: { host: 'imap.plain.example' },
  autodiscoverHost: 'ad.plain.example',
});

function answerFor(d = example, u?: UserRecord, email = 'chris@example.com'): Answer {
  return resolveAnswer(d, u, email);
}

describe('parseV2Protocol', () => {
  test('matches without regard to case and trims', () => {
    assert.equal(parseV2Protocol('Autodiscoverv1'), 'AutodiscoverV1');
    assert.equal(parseV2Protocol('AUTODISCOVERV1'), 'AutodiscoverV1');
    assert.equal(parseV2Protocol('activesync'), 'ActiveSync');
    assert.equal(parseV2Protocol(' ews '), 'EWS');
  });
  test('unknown or absent values are undefined', () => {
    assert.equal(parseV2Protocol(undefined), undefined);
    assert.equal(parseV2Protocol(''), undefined);
    assert.equal(parseV2Protocol('Rest'), undefined);
    assert.equal(parseV2Protocol('EWS2'), undefined);
  });
});

describe('renderV2: settings', () => {
  const req = { email: 'chris@example.com' };

  test('AutodiscoverV1 points at the POX endpoint of the autodiscover host', () => {
    assert.deepEqual(renderV2(answerFor(), 'autodiscoverv1', req), {
      status: 200,
      body: { Protocol: 'AutodiscoverV1', Url: 'https://autodiscover.example.com/autodiscover/autodiscover.xml' },
    });
    assert.deepEqual(renderV2(answerFor(plain, undefined, 'a@plain.example'), 'AutodiscoverV1', req).body, {
      Protocol: 'AutodiscoverV1',
      Url: 'https://ad.plain.example/autodiscover/autodiscover.xml',
    });
  });

  test('ActiveSync gives the EAS URL; EWS prefers the external URL', () => {
    assert.deepEqual(renderV2(answerFor(), 'ActiveSync', req), {
      status: 200,
      body: { Protocol: 'ActiveSync', Url: 'https://eas.example.com/Microsoft-Server-ActiveSync' },
    });
    assert.deepEqual(renderV2(answerFor(), 'ews', req).body, {
      Protocol: 'EWS',
      Url: 'https://mail.example.com/EWS/Exchange.asmx',
    });
    const internalOnly = domain.parse({
      name: 'int.example',
      exchange: { server: 'mail.int.example', ews: { internal: 'https://mail.int.example/EWS/Exchange.asmx' } },
    });
    assert.deepEqual(renderV2(answerFor(internalOnly, undefined, 'a@int.example'), 'EWS', req).body, {
      Protocol: 'EWS',
      Url: 'https://mail.int.example/EWS/Exchange.asmx',
    });
  });

  test('a protocol the domain does not offer is 404 ProtocolNotAvailable, in words', () => {
    for (const p of ['ActiveSync', 'EWS']) {
      const r = renderV2(answerFor(plain, undefined, 'a@plain.example'), p, req);
      assert.equal(r.status, 404);
      assert.ok(r.body && 'ErrorCode' in r.body);
      assert.equal(r.body.ErrorCode, 'ProtocolNotAvailable');
      assert.match(r.body.ErrorMessage, /is not available for addresses at plain\.example\./);
    }
  });
});

describe('renderV2: errors', () => {
  const req = { email: 'chris@example.com' };

  test('an unsupported protocol is 400 InvalidProtocol with the exact message', () => {
    assert.deepEqual(renderV2(answerFor(), 'Rest', req), {
      status: 400,
      body: {
        ErrorCode: 'InvalidProtocol',
        ErrorMessage: "The given protocol value is invalid. Supported values are 'AutodiscoverV1, ActiveSync, EWS'.",
      },
    });
    const missing = renderV2(answerFor(), undefined, req);
    assert.equal(missing.status, 400);
    assert.match(JSON.stringify(missing.body), /The Protocol parameter is missing\. Supported values/);
  });

  test('protocol is checked before the answer, so an unknown domain with a bad protocol is still 400', () => {
    assert.equal(renderV2({ kind: 'not-found', reason: 'unknown-domain' }, 'x', req).status, 400);
  });

  test('never echoes the value (issue 9: a page showing the message must not be fooled)', () => {
    for (const hostile of ['<img src=x onerror=alert(1)>', `${'A'.repeat(64)}${'<script>'.repeat(100)}`, 'Rest']) {
      const r = renderV2(answerFor(), hostile, req);
      assert.ok(r.body && 'ErrorMessage' in r.body);
      assert.equal(
        r.body.ErrorMessage,
        "The given protocol value is invalid. Supported values are 'AutodiscoverV1, ActiveSync, EWS'.",
      );
    }
  });

  test('unknown domain and unknown user are 404 with their own codes', () => {
    const domainMissing = renderV2(resolveAnswer(undefined, undefined, 'x@nowhere.example'), 'EWS', req);
    assert.equal(domainMissing.status, 404);
    assert.deepEqual(Object.keys(domainMissing.body ?? {}), ['ErrorCode', 'ErrorMessage']);
    assert.equal((domainMissing.body as { ErrorCode: string }).ErrorCode, 'DomainNotFound');

    const strict = domain.parse({
      name: 'strict.example',
      imap: { host: 'imap.strict.example' },
      unknownUsers: 'not-found',
    });
    const userMissing = renderV2(resolveAnswer(strict, undefined, 'x@strict.example'), 'AutodiscoverV1', req);
    assert.equal(userMissing.status, 404);
    assert.equal((userMissing.body as { ErrorCode: string }).ErrorCode, 'UserNotFound');
  });
});

describe('renderV2: redirects', () => {
  const moved = user.parse({ email: 'chris@example.com', redirectAddr: 'Chris.Smith+x@New.Example.org' });
  const hybrid = user.parse({
    email: 'chris@example.com',
    redirectUrl: 'https://ad.onprem.example.net:8443/autodiscover/autodiscover.xml',
  });

  test('redirectAddr: 302 to autodiscover.<new domain> with the address in the path and RedirectCount-1', () => {
    const r = renderV2(answerFor(example, moved), 'ews', { email: 'chris@example.com', redirectCount: 5 });
    assert.equal(r.status, 302);
    assert.equal(r.body, undefined);
    assert.equal(
      r.location,
      'https://autodiscover.new.example.org/autodiscover/autodiscover.json/v1.0/chris.smith%2Bx%40new.example.org?Protocol=EWS&RedirectCount=4',
    );
  });

  test('redirectUrl: 302 to the same host, autodiscover.json with Email, Protocol and RedirectCount', () => {
    const r = renderV2(answerFor(example, hybrid), 'ActiveSync', { email: 'chris@example.com', redirectCount: 3 });
    assert.equal(r.status, 302);
    const location = new URL(r.location ?? '');
    assert.equal(location.origin, 'https://ad.onprem.example.net:8443');
    assert.equal(location.pathname, '/autodiscover/autodiscover.json');
    assert.deepEqual(Object.fromEntries(location.searchParams), {
      Email: 'chris@example.com',
      Protocol: 'ActiveSync',
      RedirectCount: '2',
    });
  });

  test('a domain-wide redirect behaves the same', () => {
    const movedDomain = domain.parse({ name: 'old.example', redirect: { domain: 'new.example' } });
    const r = renderV2(resolveAnswer(movedDomain, undefined, 'pat@old.example'), 'AutodiscoverV1', {
      email: 'pat@old.example',
    });
    assert.equal(
      r.location,
      'https://autodiscover.new.example/autodiscover/autodiscover.json/v1.0/pat%40new.example?Protocol=AutodiscoverV1&RedirectCount=9',
    );
  });

  test('no RedirectCount means a budget of 10; 0 or less is 400 RedirectLimit', () => {
    assert.match(
      renderV2(answerFor(example, moved), 'EWS', { email: 'chris@example.com' }).location ?? '',
      /RedirectCount=9$/,
    );
    assert.match(
      renderV2(answerFor(example, moved), 'EWS', { email: 'c@example.com', redirectCount: 1 }).location ?? '',
      /RedirectCount=0$/,
    );
    for (const redirectCount of [0, -3]) {
      for (const u of [moved, hybrid]) {
        const r = renderV2(answerFor(example, u), 'EWS', { email: 'chris@example.com', redirectCount });
        assert.equal(r.status, 400);
        assert.equal((r.body as { ErrorCode: string }).ErrorCode, 'RedirectLimit');
        assert.equal(r.location, undefined);
      }
    }
    // Settings are still answered with no redirects left.
    assert.equal(renderV2(answerFor(), 'EWS', { email: 'chris@example.com', redirectCount: 0 }).status, 200);
  });

  test('a redirect target that is not a plain host is never followed', () => {
    for (const address of [
      'x@evil.example/path',
      'x@evil.example?q=1',
      'x@evil.example#frag',
      'x@',
      'x@a..b',
      'x@-a.b',
      'x@a.b:99999',
    ]) {
      const r = renderV2({ kind: 'redirectAddr', address }, 'EWS', { email: 'chris@example.com' });
      assert.equal(r.status, 500, address);
      assert.equal(r.location, undefined);
    }
    const badUrl: Answer = { kind: 'redirectUrl', url: 'not a url' };
    assert.equal(renderV2(badUrl, 'EWS', { email: 'chris@example.com' }).status, 500);
  });
});
