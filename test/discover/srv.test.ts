import assert from 'node:assert/strict';
import { test } from 'node:test';
import { orderSrv } from '../../src/discover/srv.js';

const rec = (priority: number, weight: number, name: string, port = 443) => ({ priority, weight, port, name });

test('lowest priority first, whatever the order returned', () => {
  const ordered = orderSrv([rec(20, 0, 'c.test'), rec(10, 0, 'a.test'), rec(30, 0, 'd.test')], () => 0);
  assert.deepEqual(
    ordered.map((r) => r.name),
    ['a.test', 'c.test', 'd.test'],
  );
});

test('weights choose within a priority (RFC 2782 running sums)', () => {
  const records = [rec(0, 10, 'light.test'), rec(0, 90, 'heavy.test')];
  // random()*100: below 10 picks light, from 10 on picks heavy.
  assert.deepEqual(
    orderSrv(records, () => 0.05).map((r) => r.name),
    ['light.test', 'heavy.test'],
  );
  assert.deepEqual(
    orderSrv(records, () => 0.5).map((r) => r.name),
    ['heavy.test', 'light.test'],
  );
  let heavyFirst = 0;
  let seed = 1;
  const lcg = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = 0; i < 1000; i++) if (orderSrv(records, lcg)[0]?.name === 'heavy.test') heavyFirst++;
  assert.ok(heavyFirst > 850 && heavyFirst < 950, `heavy first ${heavyFirst} times of 1000`);
});

test('a target of "." means no service and is dropped', () => {
  assert.deepEqual(orderSrv([rec(0, 0, '.'), rec(0, 0, '')]), []);
});
