/**
 * Top self-time functions of V8 CPU profiles (`node --cpu-prof`, e.g. from `npm run bench -- --profile DIR`):
 *   node --import tsx bench/profile-summary.ts [--top N] FILE.cpuprofile…
 * Self time is the time a function was on top of the stack; "(program)", "(idle)" and "(garbage collector)" are
 * V8's own buckets. Functions are keyed by name and location, with node_modules paths shortened to the package.
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const TOP = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;

function where(url: string, line: number): string {
  if (url === '') return '';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (pkg) return `${pkg[1]}/${pkg[2]}:${line + 1}`;
  const own = /\/(dist|src)\/(.*)$/.exec(url);
  if (own) return `${own[1]}/${own[2]}:${line + 1}`;
  return `${url.replace(/^file:\/\//, '')}:${line + 1}`;
}

for (const file of args) {
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${where(f.url, f.lineNumber)}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const idle = self.get('(idle)') ?? 0;
  process.stdout.write(
    `\n${file}: ${(total / 1e6).toFixed(1)} s sampled, ${((total - idle) / 1e6).toFixed(1)} s busy\n`,
  );
  process.stdout.write('| self ms | % of busy | function |\n| ---: | ---: | --- |\n');
  const rows = [...self.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]);
  for (const [key, us] of rows.slice(0, TOP)) {
    process.stdout.write(`| ${(us / 1000).toFixed(0)} | ${((us / (total - idle)) * 100).toFixed(1)} | ${key} |\n`);
  }
}
