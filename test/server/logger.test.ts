import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger, TurnBufferedDestination } from '../../src/server/logger.js';

/** A target recording each write it gets. */
function recorder() {
  const writes: string[] = [];
  return { writes, target: { write: (text: string) => void writes.push(text) } };
}

const turnEnd = () => new Promise((resolve) => setImmediate(resolve));

describe('the log writer gathers one turn of the event loop into one write', () => {
  test('lines of one turn arrive in one write at the end of that turn, in order', async () => {
    const { writes, target } = recorder();
    const logger = createLogger({ destination: new TurnBufferedDestination(target) });
    logger.info({ n: 1 }, 'first');
    logger.info({ n: 2 }, 'second');
    logger.warn({ n: 3 }, 'third');
    assert.deepEqual(writes, [], 'nothing is written before the turn ends');
    await turnEnd();
    assert.equal(writes.length, 1);
    const lines = (writes[0] ?? '')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; n: number });
    assert.deepEqual(
      lines.map((l) => [l.msg, l.n]),
      [
        ['first', 1],
        ['second', 2],
        ['third', 3],
      ],
    );
  });

  test('an idle process writes each line in the turn it was logged: no timer holds it back', async () => {
    const { writes, target } = recorder();
    const logger = createLogger({ destination: new TurnBufferedDestination(target) });
    logger.info('alone');
    await turnEnd();
    assert.equal(writes.length, 1);
    logger.info('later');
    await turnEnd();
    assert.equal(writes.length, 2);
    assert.match(writes[1] ?? '', /"msg":"later"/);
  });

  test('flushSync writes what is held at once, and nothing twice', async () => {
    const { writes, target } = recorder();
    const destination = new TurnBufferedDestination(target);
    const logger = createLogger({ destination });
    logger.info('held');
    destination.flushSync();
    assert.equal(writes.length, 1);
    await turnEnd();
    assert.equal(writes.length, 1, 'the end of the turn finds nothing left to write');
    logger.info('flushed by pino');
    await new Promise<void>((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));
    assert.equal(writes.length, 2, "pino's flush() writes what is held");
  });

  test('a process that exits in the middle of a turn still writes that turn’s lines (the default logger, on stderr)', () => {
    const logger = fileURLToPath(new URL('../../src/server/logger.ts', import.meta.url));
    const script = [
      `const { createLogger } = await import(${JSON.stringify(logger)});`,
      'const log = createLogger();',
      "log.info({ step: 1 }, 'before exit');",
      "log.error({ step: 2 }, 'last words');",
      'process.exit(3);',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(child.status, 3, child.stderr);
    const lines = child.stderr
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['before exit', 'last words'],
    );
  });
});
