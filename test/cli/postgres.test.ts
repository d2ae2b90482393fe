/**
 * The commands on PostgreSQL (`--db postgres://…`), against a throw-away cluster: import, export and the
 * snapshot's restore line never show the password; several `serve` processes share one database and hear each
 * other's imports within a second; PostgreSQL restarted under load costs no request that the degraded mode
 * (README, "PostgreSQL") promises to answer.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';
import { EXAMPLE_CONFIG } from '../helpers/app.js';
import { cli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { fetchRaw } from '../helpers/http.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';
import { eventually } from '../store/backends.js';

const autoconfig = (base: string, email: string) => `${base}/mail/config-v1.1.xml?emailaddress=${email}`;

describe('commands on PostgreSQL', () => {
  let cluster: PgCluster;
  const children: ChildProcess[] = [];
  before(async () => {
    cluster = await startPostgres();
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await cluster.stop();
  });

  async function serve(url: string): Promise<{ child: ChildProcess; base: string; stderr: () => string }> {
    // One process: the degraded mode's memory of recent users is per process (each of several workers answers the
    // addresses it has read itself), and the restart test asks for "every address read before".
    const child = spawnCli(['serve', '--db', url, '--http', '127.0.0.1:0', '--workers', '1']);
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d;
    });
    const out = await waitForOutput(child, /Ctrl-C stops/);
    assert.ok(!out.includes(cluster.password), out);
    const base = /http +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    assert.ok(base, out);
    return { child, base, stderr: () => stderr };
  }

  test('import, export and the snapshot restore line: the URL is shown without its password', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-pgcli-'));
    const url = await cluster.createDatabase();
    const shown = url.replace(`:${cluster.password}@`, '@');
    const first = await cli(['import', EXAMPLE_CONFIG, '--db', url], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `imported 2 domain(s) and 4 user(s) into ${shown}\n`);

    const exported = await cli(['export', '--db', url], { cwd: dir });
    assert.equal(exported.code, 0, exported.stderr);
    const doc = parseYaml(exported.stdout) as { domains: { displayName?: string }[]; users: { email: string }[] };
    assert.equal(doc.users.length, 4);

    doc.domains[0]!.displayName = 'Renamed Mail';
    const changed = join(dir, 'changed.yaml');
    await writeFile(changed, stringify(doc));
    const second = await cli(['import', changed, '--db', url], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    const all = `${second.stdout}${second.stderr}`;
    assert.ok(!all.includes(cluster.password), all);
    const snapshot = (await readdir(dir)).find((f) => f.includes('.before-import-'));
    assert.match(snapshot ?? '', /^autodisco-127\.0\.0\.1-\d+-t\d+_\d+\.before-import-.*\.yaml$/);
    assert.match(second.stdout, /to restore them \(with the password in PGPASSWORD\): .* import /);
    assert.ok(second.stdout.includes(`--db ${shown}\n`), second.stdout);
    assert.match(await readFile(join(dir, snapshot!), 'utf8'), /displayName: Example Mail/);

    // The restore line runs as printed, with the password in PGPASSWORD.
    const restore = await cli(['import', snapshot!, '--db', shown], {
      cwd: dir,
      env: { PGPASSWORD: cluster.password },
    });
    assert.equal(restore.code, 0, restore.stderr);
    const after = await cli(['export', '--db', shown], { cwd: dir, env: { PGPASSWORD: cluster.password } });
    assert.match(after.stdout, /displayName: Example Mail/);

    // serve --config imports at start, into the same database, and says where from (without the password).
    const child = spawnCli(['serve', '--config', changed, '--db', url, '--http', '127.0.0.1:0'], undefined, dir);
    children.push(child);
    const out = await waitForOutput(child, /Ctrl-C stops/);
    assert.ok(out.startsWith(`autodisco serving 2 domain(s), 4 user(s) from ${shown}\n`), out);
    assert.ok(!out.includes(cluster.password));
    const base = /http +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
    assert.match((await fetchRaw(autoconfig(base, 'sam@example.test'))).body, /Renamed Mail/);
    child.kill('SIGTERM');
  });

  test('a server that does not answer: one line naming the URL without the password, exit 1', async () => {
    const res = await cli(['export', '--db', `postgres://autodisco:${cluster.password}@127.0.0.1:1/autodisco`]);
    assert.equal(res.code, 1);
    assert.equal(
      res.stderr,
      'autodisco: --db postgres://autodisco@127.0.0.1:1/autodisco: cannot reach PostgreSQL at 127.0.0.1:1 (connection refused); check that the server runs and listens there (listen_addresses, port, firewall) [ADK_ERR_STORE_UNREACHABLE]\n',
    );
  });

  test('two serve instances on one database both answer an import within a second', async () => {
    const url = await cluster.createDatabase();
    assert.equal((await cli(['import', EXAMPLE_CONFIG, '--db', url])).code, 0);
    const a = await serve(url);
    const b = await serve(url);
    for (const s of [a, b]) assert.match((await fetchRaw(autoconfig(s.base, 'sam@example.test'))).body, /Example Mail/);

    const dir = await mkdtemp(join(tmpdir(), 'autodisco-pgcli-'));
    const doc = parseYaml(await readFile(EXAMPLE_CONFIG, 'utf8')) as { domains: { displayName?: string }[] };
    doc.domains[0]!.displayName = 'Renamed Mail';
    await writeFile(join(dir, 'renamed.yaml'), stringify(doc));
    const imported = await cli(['import', join(dir, 'renamed.yaml'), '--db', url], { cwd: dir });
    assert.equal(imported.code, 0, imported.stderr);
    const done = Date.now();
    for (const s of [a, b]) {
      await eventually(async () => {
        assert.match((await fetchRaw(autoconfig(s.base, 'sam@example.test'))).body, /Renamed Mail/);
      }, 1000);
    }
    assert.ok(Date.now() - done < 1000);
    for (const s of [a, b]) {
      s.child.kill('SIGTERM');
      assert.doesNotMatch(s.stderr(), /unhandled|password/i);
    }
  });

  test('PostgreSQL restarted under load: every address read before is answered throughout; healthz says degraded', async () => {
    const url = await cluster.createDatabase();
    assert.equal((await cli(['import', EXAMPLE_CONFIG, '--db', url])).code, 0);
    const s = await serve(url);
    const addresses = ['chris@example.test', 'sam@example.test', 'nobody@example.test', 'someone@example.test'];
    for (const a of addresses) assert.equal((await fetchRaw(autoconfig(s.base, a))).status, 200);

    let stop = false;
    const results: { status: number; ok: boolean }[] = [];
    const healths = new Set<string>();
    const loop = async (worker: number) => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const email = addresses[(i + worker) % addresses.length]!;
        const res = await fetchRaw(autoconfig(s.base, email));
        results.push({ status: res.status, ok: res.body.includes('<incomingServer type="imap">') });
      }
    };
    const watchHealth = async () => {
      while (!stop) {
        const res = await fetchRaw(`${s.base}/healthz`);
        healths.add(`${res.status} ${(JSON.parse(res.body) as { status: string }).status}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const load = Promise.all([loop(0), loop(1), loop(2), loop(3), watchHealth()]);
    await new Promise((r) => setTimeout(r, 300));
    await cluster.restart(1500);
    await eventually(async () => {
      const res = await fetchRaw(`${s.base}/healthz`);
      assert.deepEqual(JSON.parse(res.body), { status: 'ok' });
    }, 5000);
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await load;

    const failed = results.filter((r) => r.status !== 200 || !r.ok);
    assert.equal(failed.length, 0, `${failed.length} of ${results.length} requests failed`);
    assert.ok(results.length > 100, `${results.length} requests`);
    assert.ok(healths.has('200 degraded'), [...healths].join(', '));
    assert.ok(healths.has('200 ok'));
    // After the return, an address never read before is answered from the database again.
    assert.equal((await fetchRaw(autoconfig(s.base, 'kim@example.test'))).status, 200);
    assert.equal(s.child.exitCode, null, 'serve is still running');
    assert.match(s.stderr(), /the settings database is away/);
    assert.match(s.stderr(), /the settings database is back/);
    assert.doesNotMatch(s.stderr(), /unhandled|uncaught/i);
    s.child.kill('SIGTERM');
  });
});
