/** The audit's parts that need no network: input lines, CSV, events, the DNS cache, the limits, the journal. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { csvRow, parseCsv } from '../../src/audit/csv.js';
import { cachingResolver } from '../../src/audit/dns-cache.js';
import { readAddressList, readConfigDomains } from '../../src/audit/input.js';
import { readCsvJournal, readNdjsonJournal } from '../../src/audit/journal.js';
import { KeyedLimiter } from '../../src/audit/limiter.js';
import { createAuditPorts } from '../../src/audit/ports.js';
import { InProcessQueue } from '../../src/audit/queue.js';
import { type AuditResult, compareResults } from '../../src/audit/results.js';
import { mostSevere } from '../../src/audit/summary.js';
import type { DnsResolver } from '../../src/dns/resolver.js';

test('input: comments, blank lines, bare domains, bad lines with their numbers, repeats audited once', async () => {
  const text = [
    '# customers',
    'chris@Contoso.TEST',
    '',
    'fabrikam.test   # a bare domain',
    'not an address',
    'chris@com',
    'chris@contoso.test',
    'x@127.0.0.1',
  ].join('\n');
  const input = await readAddressList('-', Readable.from([text]));
  assert.deepEqual(
    input.targets.map((t) => [t.email, t.domain, t.line]),
    [
      ['chris@contoso.test', 'contoso.test', 2],
      ['postmaster@fabrikam.test', 'fabrikam.test', 4],
    ],
  );
  assert.deepEqual(
    input.skipped.map((s) => s.line),
    [5, 6, 7, 8],
  );
  assert.match(input.skipped[0]?.reason ?? '', /holds spaces/);
  assert.match(input.skipped[1]?.reason ?? '', /top-level name/);
  assert.match(input.skipped[2]?.reason ?? '', /same address as line 2/);
  assert.match(input.skipped[3]?.reason ?? '', /IP address/);
});

test('--from-config: every served domain, the users block never parsed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-'));
  const file = join(dir, 'settings.yaml');
  writeFileSync(
    file,
    'domains:\n  - name: contoso.test\n  - name: fabrikam.test\nusers:\n  - { email: "a@contoso.test" }\n  - { broken: [ }\n',
  );
  const input = await readConfigDomains(file);
  assert.deepEqual(
    input.targets.map((t) => t.email),
    ['postmaster@contoso.test', 'postmaster@fabrikam.test'],
  );
});

test('CSV: quoting of commas, quotes and line breaks survives a round trip; a cut last row is not complete', () => {
  const fix = 'Add "contoso.test", then\nreload';
  const line = csvRow(
    { email: 'a@contoso.test', domain: 'contoso.test', line: 1 },
    ['outlook'],
    [
      {
        client: 'outlook',
        outcome: 'failed',
        findings: [
          { code: 'X_INFO', severity: 'info', fixes: ['no'], title: '', detail: '', steps: [] },
          { code: 'X_ERR', severity: 'error', fixes: [fix], title: '', detail: '', steps: [] },
        ],
      } as never,
    ],
  );
  const { rows, complete } = parseCsv(`${line}contoso.test,"cut`);
  assert.deepEqual(rows, [['contoso.test', 'a@contoso.test', 'failed', 'X_ERR', 'error', fix]]);
  assert.equal(complete, line.length);
  assert.equal(
    mostSevere([{ severity: 'warning' }, { severity: 'error' }, { severity: 'error' }] as const)?.severity,
    'error',
  );
});

const result = (over: Partial<AuditResult>): AuditResult => ({
  domain: 'contoso.test',
  client: 'outlook-2013',
  at: '2026-01-10T00:00:00.000Z',
  outcome: 'settings',
  codes: [],
  certNotAfter: null,
  ms: 10,
  ...over,
});

test('events: first sight of a problem, a new problem, a fix, a certificate crossing 30/14/7 days (once each)', () => {
  assert.deepEqual(compareResults(null, result({}), 1), []);
  const first = compareResults(null, result({ outcome: 'prompt', codes: ['ROOT_DOMAIN_BLOCKS_FALLBACK'] }), 1);
  assert.deepEqual(
    first.map((e) => [e.kind, e.previousOutcome, e.codes]),
    [['new-problem', null, ['ROOT_DOMAIN_BLOCKS_FALLBACK']]],
  );
  const broke = compareResults(result({}), result({ outcome: 'prompt', codes: ['CERT_NAME_MISMATCH'] }), 2);
  assert.deepEqual(
    broke.map((e) => [e.kind, e.previousOutcome, e.outcome]),
    [['new-problem', 'settings', 'prompt']],
  );
  const fixed = compareResults(result({ outcome: 'prompt', codes: ['CERT_NAME_MISMATCH'] }), result({}), 3);
  assert.deepEqual(
    fixed.map((e) => [e.kind, e.codes]),
    [['fixed', ['CERT_NAME_MISMATCH']]],
  );
  const cert = (at: string) => result({ at, certNotAfter: '2026-02-01T00:00:00.000Z' });
  const change = (from: string, to: string) =>
    compareResults(cert(`${from}T00:00:00.000Z`), cert(`${to}T00:00:00.000Z`), 4);
  assert.deepEqual(change('2025-12-31', '2026-01-01'), [], '32 → 31 days: not yet');
  assert.deepEqual(
    change('2026-01-01', '2026-01-02').map((e) => [e.kind, e.daysLeft]),
    [['certificate-expiring', 30]],
  );
  assert.deepEqual(change('2026-01-02', '2026-01-03'), [], 'once per threshold');
  assert.deepEqual(
    change('2026-01-24', '2026-01-25').map((e) => e.daysLeft),
    [7],
  );
});

function countingResolver(ttl: number | undefined) {
  const asked: string[] = [];
  const inner = {
    lookupAddresses: async (host: string) => {
      asked.push(host);
      return {
        name: host,
        status: 'ok',
        addresses: [{ address: '127.0.0.9', family: 4 }],
        fromLiteral: false,
        ...(ttl !== undefined ? { ttl } : {}),
      };
    },
    resolveSrv: async (name: string) => {
      asked.push(`srv ${name}`);
      return { name, type: 'SRV', status: 'error', code: 'ETIMEOUT', message: 'no answer' };
    },
  } as unknown as DnsResolver;
  return { inner, asked };
}

test('DNS cache: one question per name and TTL, shared in flight; failures are asked again', async () => {
  let clock = 0;
  const { inner, asked } = countingResolver(60);
  const dns = cachingResolver(inner, { now: () => clock });
  await Promise.all([dns.lookupAddresses('a.test'), dns.lookupAddresses('A.test'), dns.lookupAddresses('a.test')]);
  assert.deepEqual(asked, ['a.test']);
  clock = 59_000;
  await dns.lookupAddresses('a.test');
  assert.equal(asked.length, 1, 'within the TTL');
  clock = 60_001;
  await dns.lookupAddresses('a.test');
  assert.equal(asked.length, 2, 'after the TTL');
  await dns.resolveSrv('_autodiscover._tcp.a.test');
  await dns.resolveSrv('_autodiscover._tcp.a.test');
  assert.equal(asked.filter((a) => a.startsWith('srv')).length, 2, 'a timeout is not kept');
  const untimed = countingResolver(undefined);
  const dns2 = cachingResolver(untimed.inner, { now: () => clock, defaultTtlS: 5 });
  await dns2.lookupAddresses('b.test');
  clock += 5_001;
  await dns2.lookupAddresses('b.test');
  assert.equal(untimed.asked.length, 2, 'no TTL: the default');
});

test('per-key limit: never more than N at once per key, other keys not held up; idle keys forgotten', async () => {
  const limiter = new KeyedLimiter(2);
  const running = new Map<string, number>();
  const peak = new Map<string, number>();
  const work = (key: string) =>
    limiter.run(key, async () => {
      running.set(key, (running.get(key) ?? 0) + 1);
      peak.set(key, Math.max(peak.get(key) ?? 0, running.get(key) ?? 0));
      await new Promise((r) => setTimeout(r, 5));
      running.set(key, (running.get(key) ?? 0) - 1);
    });
  await Promise.all([...Array.from({ length: 10 }, () => work('a')), work('b')]);
  assert.equal(peak.get('a'), 2);
  assert.equal(peak.get('b'), 1);
  assert.equal(limiter.keys, 0);
});

test('in-process queue: concurrency honoured, a failing job does not stop the others, stop() starts nothing new', async () => {
  let running = 0;
  let peak = 0;
  const seen: number[] = [];
  const errors: number[] = [];
  const queue = new InProcessQueue([1, 2, 3, 4, 5, 6], 3);
  await queue.run(
    async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (n === 2) throw new Error('boom');
      seen.push(n);
      if (n === 4) queue.stop();
    },
    (n) => errors.push(n),
  );
  assert.equal(peak, 3);
  assert.deepEqual(errors, [2]);
  assert.ok(!seen.includes(6) || seen.length < 6, 'stop() kept later jobs from starting');
});

test('journal: a half-written last NDJSON line is cut off; the complete ones are done', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-'));
  const file = join(dir, 'out.ndjson');
  const line = (email: string, client: string) =>
    `${JSON.stringify({ schema: 'autodisco.discovery/1', email, client, outcome: 'failed', findings: [{ code: 'X', severity: 'error' }] })}\n`;
  const whole = line('postmaster@a.test', 'outlook') + line('postmaster@a.test', 'outlook-2013');
  writeFileSync(file, `${whole}{"schema":"autodisco.discovery/1","email":"postmaster@b.te`);
  const seen: string[] = [];
  const journal = await readNdjsonJournal(file, (f) => seen.push(`${f.domain} ${f.client}`));
  assert.deepEqual([...journal.done], ['postmaster@a.test\toutlook', 'postmaster@a.test\toutlook-2013']);
  assert.deepEqual(seen, ['a.test outlook', 'a.test outlook-2013']);
  assert.equal(readFileSync(file, 'utf8'), whole);

  const csv = join(dir, 'out.csv');
  writeFileSync(
    csv,
    'domain,address,outlook,finding,severity,fix\r\na.test,postmaster@a.test,settings,,,\r\nb.test,postm',
  );
  const csvJournal = readCsvJournal(csv, ['outlook'], () => undefined);
  assert.deepEqual([...csvJournal.done], ['postmaster@a.test\toutlook']);
  assert.equal(
    readFileSync(csv, 'utf8'),
    'domain,address,outlook,finding,severity,fix\r\na.test,postmaster@a.test,settings,,,\r\n',
  );
  assert.throws(() => readCsvJournal(csv, ['outlook', 'outlook-2013'], () => undefined), /same --client list/);
});

test('TLS evidence: one handshake per (address, port, SNI name, name checked) in a run, shared in flight', async () => {
  let made = 0;
  const ports = createAuditPorts({
    dnsServers: [],
    timeoutMs: 1000,
    perHost: 4,
    tlsMemo: 2,
    base: {
      probeTls: async (o) => {
        made++;
        await new Promise((r) => setTimeout(r, 5));
        return { address: o.address, servername: o.servername } as never;
      },
    },
  });
  const probe = (address: string, name: string) =>
    ports.probeTls({ address, port: 443, servername: name, host: name, timeoutMs: 1000 });
  await Promise.all([probe('127.0.0.9', 'a.test'), probe('127.0.0.9', 'a.test')]);
  await probe('127.0.0.9', 'a.test');
  assert.equal(made, 1);
  await probe('127.0.0.9', 'b.test');
  await probe('127.0.0.8', 'a.test');
  assert.equal(made, 3, 'another name or another address is another handshake');
  await probe('127.0.0.9', 'a.test');
  assert.equal(made, 4, 'beyond the memo size, the least recently used is forgotten');
  assert.deepEqual(ports.tlsStats, { reused: 2, made: 4 });
});

test('the run caches are sized from the concurrency, not the number of domains', async () => {
  let made = 0;
  const ports = createAuditPorts({
    dnsServers: [],
    timeoutMs: 1000,
    perHost: 4,
    concurrency: 40,
    base: {
      probeTls: async (o) => {
        made++;
        return { address: o.address, servername: o.servername } as never;
      },
    },
  });
  const probe = (name: string) =>
    ports.probeTls({ address: '127.0.0.9', port: 443, servername: name, host: name, timeoutMs: 1000 });
  // 16 handshakes per address in flight: 640 remembered at concurrency 40.
  for (let i = 0; i < 640; i++) await probe(`d${i}.test`);
  await probe('d0.test');
  assert.equal(made, 640, 'still remembered');
  await probe('d640.test');
  await probe('d1.test');
  assert.equal(made, 642, 'beyond 16 × concurrency the least recently used goes');
});

test('DNS cache: expired answers are swept out as the run goes, so memory follows the TTLs', async () => {
  let clock = 0;
  const { inner } = countingResolver(1);
  const dns = cachingResolver(inner, { now: () => clock });
  for (let i = 0; i < 1023; i++) await dns.lookupAddresses(`old${i}.test`);
  assert.equal(dns.stats.size, 1023);
  clock = 2000;
  for (let i = 0; i < 10; i++) await dns.lookupAddresses(`new${i}.test`);
  assert.equal(dns.stats.size, 10, 'the 1,024th miss swept the expired ones');
});
