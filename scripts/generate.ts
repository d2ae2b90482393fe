import { writeFileSync } from 'node:fs';
import { GENERATED } from './generated.js';

for (const [path, make] of Object.entries(GENERATED)) {
  writeFileSync(new URL(`../${path}`, import.meta.url), make());
  process.stdout.write(`wrote ${path}\n`);
}
