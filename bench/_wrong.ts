import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { FleetClient } from '../src/lab/fleet/categories.js';
import { domainOf, type FleetManifest } from '../src/lab/fleet/plan.js';

const manifest = JSON.parse(readFileSync('/tmp/s6/f/manifest.json', 'utf8')) as FleetManifest;
let n = 0,
  wrong = 0;
for await (const line of createInterface({ input: createReadStream('/tmp/s6/f/out.ndjson') })) {
  if (!line) continue;
  n++;
  const r = JSON.parse(line);
  const cat = domainOf(r.email.split('@')[1])?.category;
  const exp = cat && manifest.categories[cat].expect[r.client as FleetClient].outcome;
  if (exp !== r.outcome) {
    wrong++;
    if (wrong <= 6)
      console.log(
        r.email,
        r.client,
        r.outcome,
        'expected',
        exp,
        JSON.stringify(
          r.steps.map((s: any) => [s.method, s.url, s.result, s.error?.code ?? s.error ?? s.http?.error, s.ms]),
        ).slice(0, 900),
      );
  }
}
console.log({ n, wrong });
