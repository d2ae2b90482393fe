import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { listBuiltinScenarios } from '../../src/lab/builtin.js';
import { cli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { assertValidReport } from '../helpers/report-schema.js';

/** Whether something can listen on address:port right now (i.e. the lab let go of it). */
async function free(address: string, port: number): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(port, address);
    await once(server, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

describe('autodisco lab', () => {
  test('list shows every built-in scenario with its title', async () => {
    const res = await cli(['lab', 'list']);
    assert.equal(res.code, 0);
    for (const s of listBuiltinScenarios())
      assert.match(
        res.stdout,
        new RegExp(`^${s.name} +${s.title.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'),
      );
  });

  test('run reproduces the seed case: Outlook 2013 stops at the website certificate (exit 3)', async () => {
    const res = await cli([
      'lab',
      'run',
      'root-domain-trap',
      '--client',
      'outlook-2013',
      '--json',
      '--range',
      '127.48.0.0/24',
    ]);
    assert.equal(res.code, 3, res.stderr);
    const report = JSON.parse(res.stdout);
    assertValidReport(report);
    assert.equal(report.prompt.url, 'https://contoso.test/autodiscover/autodiscover.xml');
    assert.deepEqual(report.steps[1].tls.certificate.dnsNames, ['www.contoso.test']);
    assert.equal(report.findings[0].code, 'ROOT_DOMAIN_BLOCKS_FALLBACK');
    // Everything was torn down.
    assert.equal(await free('127.48.0.100', 443), true);
    assert.equal(await free('127.48.0.53', 53), true);
  });

  test('the settings table says which EXHTTP block is internal and which external', async () => {
    const res = await cli(['lab', 'run', 'root-domain-fixed-san', '--range', '127.52.0.0/24']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      res.stdout,
      /\n {2}EXHTTP internal +mail\.contoso\.test .*\n {2}EXHTTP external +mail\.contoso\.test /,
    );
    assert.doesNotMatch(res.stdout, /\n {2}EXHTTP +mail/);
  });

  test('up prints what to give a client, and Ctrl-C closes every listener', async () => {
    const child = spawnCli(['lab', 'up', 'scp-site-affinity', '--json', '--range', '127.49.0.0/24']);
    const out = await waitForOutput(child, /"discover": "[^"]+"\n}/);
    const info = JSON.parse(out);
    assert.equal(info.dns, '127.49.0.53:53');
    assert.equal(info.ldap, 'ldap://127.49.0.10:389');
    assert.match(
      info.discover,
      /^npx autodisco discover \S+@\S+ --dns 127\.49\.0\.53:53 --ca \S+ --ldap ldap:\/\/127\.49\.0\.10:389 --site \S+$/,
    );
    // The printed line runs as shown (npx runs this checkout's own bin; here the same CLI from source).
    const shown = await cli((info.discover as string).replace(/^npx autodisco /, '').split(' '));
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^Outcome: settings/m);
    assert.equal(await free('127.49.0.10', 389), false, 'the directory listens while the lab is up');
    child.kill('SIGINT');
    const [code, signal] = await once(child, 'close');
    assert.equal(code, 0, `exit code ${code}, signal ${signal}`);
    assert.equal(await free('127.49.0.10', 389), true);
    assert.equal(await free('127.49.0.53', 53), true);
  });

  test('an address in use is named, and nothing is left listening', async () => {
    const blocker = createServer();
    blocker.listen(443, '127.51.0.100');
    await once(blocker, 'listening');
    try {
      const res = await cli(['lab', 'run', 'root-domain-trap', '--range', '127.51.0.0/24']);
      assert.equal(res.code, 1);
      assert.match(
        res.stderr,
        /^autodisco: https:\/\/127\.51\.0\.100:443 is already in use \(.*\); another lab \(or server\) is using the range 127\.51\.0\.0\/24: stop it, or give this lab its own range with --range 127\.51\.1\.0\/24 \[ADK_ERR_LISTEN\]\n$/,
      );
      assert.equal(await free('127.51.0.53', 53), true);
    } finally {
      blocker.close();
    }
  });

  test('lab run --email with a bad address is bad usage, before the lab starts', async () => {
    const res = await cli(['lab', 'run', 'root-domain-trap', '--email', 'chris@', '--range', '127.53.0.0/24']);
    assert.equal(res.code, 2);
    assert.equal(res.stdout, '');
    assert.match(
      res.stderr,
      /^autodisco: "chris@" is not an e-mail address \(expected local@domain\); give an address such as chris@contoso\.com/,
    );
  });

  test('unknown scenarios and ranges outside loopback are usage errors', async () => {
    const unknown = await cli(['lab', 'run', 'no-such-scenario']);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /scenario "no-such-scenario": no built-in scenario has that name and no such file exists \(built-in: /,
    );
    const range = await cli(['lab', 'up', 'root-domain-trap', '--range', '10.0.0.0/24']);
    assert.equal(range.code, 2);
    assert.match(range.stderr, /10\.0\.0\.0\/24/);
  });
});
