/**
 * Copies the files the compiled code reads at run time and `tsc` does not emit: the built-in lab scenarios
 * (src/lab/scenarios/*.yaml → dist/lab/scenarios/, the web UI's assets). Run by `npm run build` after tsc. Also marks the command
 * executable: `tsc` writes it 0644, and `npx autodisco` in the checkout runs the file itself (npm sets the bit
 * only for packages it installs, not for the project's own bin).
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';

const ASSETS: { from: string; to: string; extensions: readonly string[] }[] = [
  { from: 'src/lab/scenarios/', to: 'dist/lab/scenarios/', extensions: ['.yaml'] },
  // The web UI's style sheet and client script, served by autodisco itself (no CDN).
  { from: 'src/server/ui/assets/', to: 'dist/server/ui/assets/', extensions: ['.css', '.js'] },
];

const root = new URL('../', import.meta.url);

for (const { from, to, extensions } of ASSETS) {
  const source = new URL(from, root);
  const target = new URL(to, root);
  // Start clean, so a scenario removed from src/ does not live on in dist/.
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const files = readdirSync(source).filter((f) => extensions.some((e) => f.endsWith(e)));
  for (const file of files) copyFileSync(new URL(file, source), new URL(file, target));
  process.stdout.write(`copy-assets: ${files.length} file(s) ${from} → ${to}\n`);
}

chmodSync(new URL('dist/cli/main.js', root), 0o755);
