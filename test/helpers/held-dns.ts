/**
 * A UDP DNS server for the tests of c-ares channels (test/dns/channels.test.ts, test/audit/parts.test.ts): it
 * notes the source port of every query (one port: one channel's socket), answers A questions with 127.0.0.7 and
 * anything else with no records, and holds the answers to the names `hold` picks until the test releases them,
 * so queries can be kept in flight together, or past their budget.
 */
import dgram from 'node:dgram';
import { AUTHORITATIVE_ANSWER, decode, encode, RECURSION_DESIRED } from 'dns-packet';

export const HELD_ANSWER = '127.0.0.7';

export interface HeldQuery {
  name: string;
  type: string;
  /** The client's UDP source port. */
  port: number;
}

export interface HeldDns {
  /** `ip:port`, as `--dns` takes it. */
  at: string;
  readonly queries: HeldQuery[];
  /** Resolves once `count` queries in all have come in. */
  arrived(count: number): Promise<void>;
  /** Resolves once a query for `name` has come in. */
  askedFor(name: string): Promise<void>;
  /** Sends the held answers for `name` (every held answer without it). */
  release(name?: string): void;
  /** Distinct source ports the queries came from. */
  ports(): Set<number>;
  close(): Promise<void>;
}

export async function startHeldDns(options: { hold?: (name: string) => boolean } = {}): Promise<HeldDns> {
  const socket = dgram.createSocket('udp4');
  const queries: HeldQuery[] = [];
  const held: { name: string; send: () => void }[] = [];
  const waiting: { done: () => boolean; resolve: () => void }[] = [];
  const until = (done: () => boolean): Promise<void> =>
    done() ? Promise.resolve() : new Promise((resolve) => waiting.push({ done, resolve }));

  socket.on('message', (message, from) => {
    const query = decode(message);
    const question = query.questions?.[0];
    if (question === undefined) return;
    const name = question.name.toLowerCase();
    queries.push({ name, type: question.type, port: from.port });
    const answers =
      question.type === 'A' ? [{ type: 'A' as const, name: question.name, ttl: 0, data: HELD_ANSWER }] : [];
    const bytes = encode({
      id: query.id,
      type: 'response',
      flags: AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & RECURSION_DESIRED),
      questions: query.questions,
      answers,
    });
    const send = () => socket.send(bytes, from.port, from.address);
    if (options.hold?.(name) === true) held.push({ name, send });
    else send();
    for (const w of waiting.filter((w) => w.done())) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();

  return {
    at: `127.0.0.1:${port}`,
    queries,
    arrived: (count) => until(() => queries.length >= count),
    askedFor: (name) => until(() => queries.some((q) => q.name === name)),
    release(name) {
      for (const h of held.filter((h) => name === undefined || h.name === name)) {
        held.splice(held.indexOf(h), 1);
        h.send();
      }
    },
    ports: () => new Set(queries.map((q) => q.port)),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
