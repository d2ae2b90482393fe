/**
 * `autodisco audit` as a user runs it, against a lab of several customer domains: the outputs' shapes (NDJSON
 * reports valid against the published schema, CSV columns, the JSON document), bad lines, exit statuses, the
 * per-host limit counted at a real server, resume after a crash and after Ctrl-C, and the stored history.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseCsv } from '../../src/audit/csv.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { parseScenario } from '../../src/lab/scenario.js';
import { cli, spawnCli } from '../helpers/cli.js';
import { assertValidReport } from '../helpers/report-schema.js';

const SCENARIO = new URL('../fixtures/audit/fleet.yaml', import.meta.url);
const BLACKHOLE = '127.78.5.200';
const HOLD_MS = 150;

/**
 * A server that accepts TCP connections, says nothing, and hangs up after HOLD_MS, counting how many are open at
 * once. It hangs up itself (rather than waiting for the client's deadline) so that its count drops before the
 * client can learn the connection is over and open the next: the peak is then exactly what the client held.
 */
class Blackhole {
  readonly servers: Server[] = [];
  readonly sockets = new Set<Socket>();
  peak = 0;
  total = 0;

  async listen(): Promise<void> {
    for (const port of [443, 80]) {
      const server = createServer((socket) => {
        this.sockets.add(socket);
        this.total++;
        this.peak = Math.max(this.peak, this.sockets.size);
        socket.on('error', () => undefined);
        // Read (and drop) what arrives, or the end of the connection would never be seen.
        socket.resume();
        setTimeout(() => {
          this.sockets.delete(socket);
          socket.destroy();
        }, HOLD_MS);
        socket.on('close', () => this.sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(port, BLACKHOLE, resolve));
      this.servers.push(server);
    }
  }

  reset(): void {
    this.peak = this.sockets.size;
    this.total = 0;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }
}

let lab: RunningLab;
let dir: string;
const blackhole = new Blackhole();

function labArgs(): string[] {
  return ['--dns', lab.dns, '--ca', lab.caFile, '--timeout', '2000', '--no-progress'];
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

before(async () => {
  lab = await startLab(parseScenario(readFileSync(SCENARIO, 'utf8'), 'fleet.yaml'), { range: '127.78.0.0/24' });
  await blackhole.listen();
  dir = mkdtempSync(join(tmpdir(), 'audit-cli-'));
});

after(async () => {
  await lab?.close();
  await blackhole.close();
  rmSync(dir, { recursive: true, force: true });
});

const MIXED = '# three customers\ngood.test\ntrap.test\n\nnothing.test\nnot an address\nGOOD.test\n';

describe('outputs', () => {
  test('--ndjson: one valid discover report per address and client on stdout, nothing else; bad lines on stderr', async () => {
    const input = write('mixed.txt', MIXED);
    const run = await cli(['audit', input, '--ndjson', '--no-db', ...labArgs()]);
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 6);
    const reports = lines.map((l) => JSON.parse(l));
    for (const r of reports) assertValidReport(r);
    const expectOutcome = (email: string, client: string, expected: string) => {
      const r = reports.find((x) => x.email === email && x.client === client);
      const trace = (r?.steps ?? []).map(
        (s: { method: string; url?: string; result: string; detail: string }) =>
          `${s.method} ${s.url ?? ''} ${s.result}: ${s.detail}`,
      );
      assert.equal(r?.outcome, expected, `${email} ${client}:\n${trace.join('\n')}`);
    };
    expectOutcome('postmaster@good.test', 'outlook', 'settings');
    expectOutcome('postmaster@trap.test', 'outlook', 'settings');
    expectOutcome('postmaster@trap.test', 'outlook-2013', 'prompt');
    expectOutcome('postmaster@nothing.test', 'outlook-2013', 'failed');
    assert.match(run.stderr, /line 6 skipped: "not an address" holds spaces/);
    assert.match(run.stderr, /line 7 skipped: good\.test: the same address as line 2/);
    // The human summary goes to stderr when stdout carries the NDJSON.
    assert.match(run.stderr, /Outcomes per client:/);
    assert.ok(
      lab.requests.every((r) => r.authScheme === undefined),
      'no credentials are ever sent',
    );
  });

  test('--csv: a header and one row per address, quoted where needed', async () => {
    const input = write('mixed-csv.txt', MIXED);
    const run = await cli(['audit', input, '--csv', '--no-db', ...labArgs()]);
    assert.equal(run.code, 1, run.stderr);
    const { rows } = parseCsv(run.stdout);
    assert.deepEqual(rows[0], ['domain', 'address', 'outlook', 'outlook-2013', 'finding', 'severity', 'fix']);
    const trap = rows.find((r) => r[0] === 'trap.test');
    assert.deepEqual(trap?.slice(0, 6), [
      'trap.test',
      'postmaster@trap.test',
      'settings',
      'prompt',
      'ROOT_DOMAIN_BLOCKS_FALLBACK',
      'error',
    ]);
    assert.match(trap?.[6] ?? '', /^Add trap\.test to the website's certificate/);
    assert.deepEqual(rows.find((r) => r[0] === 'good.test')?.slice(2), ['settings', 'settings', '', '', '']);
    assert.equal(rows.length, 4);
  });

  test('--json: one document with every report and the summary; exit 0 when every lookup gets settings', async () => {
    const input = write('good.txt', 'good.test\nchris@good.test\n');
    const run = await cli(['audit', input, '--json', '--no-db', '--client', 'outlook,thunderbird', ...labArgs()]);
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout);
    assert.equal(doc.schema, 'autodisco.audit/1');
    assert.equal(doc.reports.length, 4);
    for (const r of doc.reports) assertValidReport(r);
    assert.deepEqual(doc.summary.outcomes, {
      outlook: { settings: 2, prompt: 0, failed: 0 },
      thunderbird: { settings: 2, prompt: 0, failed: 0 },
    });
  });

  test('--from-config: every domain the configuration serves, as postmaster@<domain>', async () => {
    const config = write(
      'settings.yaml',
      'domains:\n  - name: good.test\n  - name: Trap.test\nusers:\n  - { email: "chris@good.test" }\n',
    );
    const run = await cli([
      'audit',
      '--from-config',
      config,
      '--ndjson',
      '--no-db',
      '--client',
      'outlook',
      ...labArgs(),
    ]);
    assert.equal(run.code, 0, run.stderr);
    const emails = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).email)
      .sort();
    assert.deepEqual(emails, ['postmaster@good.test', 'postmaster@trap.test']);
    const both = await cli(['audit', config, '--from-config', config, '--no-db']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give either FILE .* or --from-config/);
  });

  test('the human summary: outcomes per client, findings with example domains, the slowest lookups', async () => {
    const input = write('mixed-human.txt', MIXED);
    const run = await cli(['audit', input, '--no-db', ...labArgs().filter((a) => a !== '--no-progress')]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /outlook-2013 +1 +1 +1/);
    assert.match(run.stdout, /ERROR +ROOT_DOMAIN_BLOCKS_FALLBACK +2 +trap\.test/);
    assert.match(run.stdout, /Slowest lookups:/);
    assert.match(run.stderr, /audit: 3\/3 addresses/, 'a plain progress line when stderr is not a terminal');
  });
});

describe('usage', () => {
  for (const [args, message] of [
    [['--client', 'outlook,evolution'], /--client "evolution": expected a comma list/],
    [['--ndjson', '--csv'], /choose one output format/],
    [['--resume'], /--resume continues an --out file/],
    [['--per-host', '0'], /--per-host "0": expected a whole number from 1/],
    [
      ['--db', 'mysql://db/audit'],
      /^autodisco: --db mysql:\/\/db\/audit: only PostgreSQL URLs \(postgres:\/\/USER@HOST:PORT\/DATABASE\) and SQLite file paths are supported \[ADK_ERR_STORE_URL\]\n$/,
    ],
    [
      ['--db', 'postgres://chris:s3cret@db:port/audit'],
      /^autodisco: --db postgres:\/\/chris@db:port\/audit: not a valid URL; expected postgres:\/\/USER@HOST:PORT\/DATABASE/,
    ],
  ] as const) {
    test(`exit 2: ${args.join(' ')}`, async () => {
      const input = write('one.txt', 'good.test\n');
      const run = await cli(['audit', input, ...args, ...labArgs()]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    });
  }

  test('exit 2: a missing FILE, and an --out file that exists without --resume', async () => {
    const missing = await cli(['audit', join(dir, 'nope.txt'), '--no-db']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /FILE .*nope\.txt: cannot read the file \(ENOENT\)/);
    const out = write('taken.ndjson', 'x\n');
    const taken = await cli(['audit', write('one.txt', 'good.test\n'), '--out', out, '--no-db']);
    assert.equal(taken.code, 2);
    assert.match(taken.stderr, /the file exists; add --resume/);
    assert.equal(readFileSync(out, 'utf8'), 'x\n');
  });
});

describe('polite', () => {
  test('one DNS cache for the run: an answer is asked once within its TTL; a TTL of 0 is not kept', async () => {
    const input = write('twice.txt', 'good.test\nchris@good.test\ntrap.test\nchris@trap.test\n');
    const asked = (name: string) => lab.dnsServer.queries.filter((q) => q.name === name && q.type === 'A').length;
    const before = { good: asked('autodiscover.good.test'), trap: asked('autodiscover.trap.test') };
    const run = await cli(['audit', input, '--no-db', '--concurrency', '1', '--ndjson', ...labArgs()]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(asked('autodiscover.good.test') - before.good, 1, 'TTL 300: asked once for both addresses');
    assert.equal(asked('autodiscover.trap.test') - before.trap, 2, 'TTL 0: asked again for the second address');
  });

  test('--per-host: never more connections at once to one server address than allowed', async () => {
    const input = write('slow.txt', Array.from({ length: 12 }, (_, i) => `d${i}.slow.test`).join('\n'));
    blackhole.reset();
    const limited = await cli([
      'audit',
      input,
      '--no-db',
      '--concurrency',
      '12',
      '--per-host',
      '2',
      '--client',
      'outlook',
      '--dns',
      lab.dns,
      '--ca',
      lab.caFile,
      '--timeout',
      '300',
      '--no-progress',
      '--ndjson',
    ]);
    assert.equal(limited.code, 1, limited.stderr);
    assert.equal(limited.stdout.trimEnd().split('\n').length, 12);
    assert.equal(blackhole.peak, 2, `peak ${blackhole.peak} of ${blackhole.total} connections`);

    blackhole.reset();
    await cli([
      'audit',
      input,
      '--no-db',
      '--concurrency',
      '12',
      '--per-host',
      '6',
      '--client',
      'outlook',
      '--dns',
      lab.dns,
      '--ca',
      lab.caFile,
      '--timeout',
      '300',
      '--no-progress',
      '--ndjson',
    ]);
    assert.equal(blackhole.peak, 6, 'the count sees more when more are allowed');
  });
});

/** Waits until `path` holds at least `lines` complete lines. */
async function waitForLines(path: string, lines: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (existsSync(path) && readFileSync(path, 'utf8').split('\n').length - 1 >= lines) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${path} never reached ${lines} lines`);
}

const RESUME_INPUT = [
  'good.test',
  'trap.test',
  ...Array.from({ length: 8 }, (_, i) => `r${i}.slow.test`),
  'nothing.test',
  'chris@good.test',
].join('\n');

const RESUME_ARGS = ['--concurrency', '2', '--per-host', '1', '--dns', '', '--ca', '', '--timeout', '2000', '--no-db'];

function resumeArgs(): string[] {
  const args = [...RESUME_ARGS];
  args[args.indexOf('--dns') + 1] = lab.dns;
  args[args.indexOf('--ca') + 1] = lab.caFile;
  return args;
}

/** What must be the same between an interrupted-and-resumed run and an uninterrupted one. */
function ndjsonFacts(text: string): string[] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => {
      const r = JSON.parse(line);
      return `${r.email} ${r.client} ${r.outcome} ${r.findings.map((f: { code: string }) => f.code).join(',')}`;
    })
    .sort();
}

describe('resume', () => {
  test('killed mid-run (SIGKILL), a half-written line: --resume loses nothing and ends like an uninterrupted run', async () => {
    const input = write('resume.txt', RESUME_INPUT);
    const whole = join(dir, 'whole.ndjson');
    const full = await cli(['audit', input, '--out', whole, '--no-progress', ...resumeArgs()]);
    assert.equal(full.code, 1, full.stderr);

    const out = join(dir, 'killed.ndjson');
    const child = spawnCli(['audit', input, '--out', out, '--no-progress', ...resumeArgs()]);
    await waitForLines(out, 4);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const written = readFileSync(out, 'utf8');
    const completeLines = written.split('\n').length - 1;
    assert.ok(completeLines < 24, `the run was cut short (${completeLines} lines)`);
    // As if the crash had come in the middle of a write.
    writeFileSync(out, `${written}{"schema":"autodisco.discovery/1","email":"postmaster@r7.sl`);

    const resumed = await cli(['audit', input, '--out', out, '--resume', '--no-progress', ...resumeArgs()]);
    assert.equal(resumed.code, 1, resumed.stderr);
    assert.match(
      resumed.stderr,
      new RegExp(`resuming .*killed\\.ndjson: ${completeLines} lookup\\(s\\) already written`),
    );
    const text = readFileSync(out, 'utf8');
    assert.ok(text.startsWith(written), 'what was written before stays as it was');
    assert.deepEqual(ndjsonFacts(text), ndjsonFacts(readFileSync(whole, 'utf8')));
    // The summary counts the earlier part too.
    assert.match(resumed.stdout, /Audit finished: 12 address\(es\), 24 lookup\(s\)/);
  });

  test('Ctrl-C prints the summary so far and exits 130; --resume of the CSV completes it', async () => {
    const input = write('resume-csv.txt', RESUME_INPUT);
    const whole = join(dir, 'whole.csv');
    assert.equal((await cli(['audit', input, '--csv', '--out', whole, '--no-progress', ...resumeArgs()])).code, 1);

    const out = join(dir, 'interrupted.csv');
    const child = spawnCli(['audit', input, '--csv', '--out', out, '--no-progress', ...resumeArgs()]);
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d;
    });
    await waitForLines(out, 3);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('close', r));
    assert.equal(code, 130);
    assert.match(stdout, /Audit interrupted: 12 address\(es\)/);
    assert.match(stdout, /Continue with the same command and --resume/);
    const before = statSync(out).size;

    const resumed = await cli(['audit', input, '--csv', '--out', out, '--resume', '--no-progress', ...resumeArgs()]);
    assert.equal(resumed.code, 1, resumed.stderr);
    assert.ok(statSync(out).size > before);
    const rows = (path: string) =>
      parseCsv(readFileSync(path, 'utf8'))
        .rows.map((r) => r.join('|'))
        .sort();
    assert.deepEqual(rows(out), rows(whole));
  });
});
