/**
 * Lookup.exchange (context.ts): a request the prefetch sent early (prefetchRequests) is answered once; the walk
 * sends every other request itself, even one identical to an earlier step's, as the real client would.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lookup } from '../../src/discover/context.js';
import type { HttpExchangeRequest, HttpExchangeResult } from '../../src/discover/http.js';
import { PROFILES } from '../../src/discover/profiles.js';

function counting(): { lookup: Lookup; sent: () => number } {
  let sent = 0;
  const lookup = new Lookup(
    {
      dns: {} as never,
      probeTls: async () => {
        throw new Error('not used');
      },
      exchange: async (): Promise<HttpExchangeResult> => {
        sent++;
        return { ok: true, status: 200, headers: {}, body: `answer ${sent}`, truncated: false, ms: 1 };
      },
      lookupScp: async () => {
        throw new Error('not used');
      },
      now: () => 0,
      random: () => 0,
    },
    {
      email: 'chris@contoso.test',
      profile: PROFILES.outlook,
      exclude: new Set(),
      accept: { redirect: false, certificate: false },
      timeoutMs: 1_000,
      ca: [],
    },
  );
  return { lookup, sent: () => sent };
}

const request = (headers: Record<string, string> = {}): HttpExchangeRequest => ({
  url: new URL('https://autodiscover.contoso.test/autodiscover/autodiscover.xml'),
  method: 'POST',
  address: '127.0.0.1',
  headers,
  body: '<Autodiscover/>',
  timeoutMs: 1_000,
  ca: [],
  tls: { mode: 'verify' },
});

test('without an early send, every exchange goes out, identical ones included', async () => {
  const { lookup, sent } = counting();
  await lookup.exchange(request());
  await lookup.exchange(request());
  assert.equal(sent(), 2);
});

test('an early request is taken once by the step that asks for it; the next identical one is sent again', async () => {
  const { lookup, sent } = counting();
  lookup.sendEarly(request());
  lookup.sendEarly(request()); // the prefetch of a second round asks again: still one request on the wire
  assert.equal(sent(), 1);
  const first = await lookup.exchange(request());
  assert.equal(first.ok && first.body, 'answer 1');
  assert.equal(sent(), 1);
  const second = await lookup.exchange(request());
  assert.equal(second.ok && second.body, 'answer 2');
  assert.equal(sent(), 2);
});

test('a request with credentials is never sent early', async () => {
  const { lookup, sent } = counting();
  lookup.sendEarly(request({ authorization: 'Basic eDp5' }));
  assert.equal(sent(), 0);
});
