/**
 * Runs one `autodisco` command (the built one, dist/cli/main.js) in this process and, when it exits, writes its
 * cost to RESULT as JSON: wall seconds from start to exit (module loading included, as a user sees it), CPU
 * seconds, peak resident memory (max RSS) and the exit status. bench/audit.ts starts it, pinned to a core, for
 * `autodisco audit` and `autodisco worker`: the figures are those of the real command, nothing re-implemented.
 *
 *   node bench/audit-load.mjs RESULT.json audit FILE --dns … --ca … [options]
 */
import { writeFileSync } from 'node:fs';

const [resultPath, ...command] = process.argv.slice(2);
if (!resultPath || command.length === 0) {
  process.stderr.write('usage: node bench/audit-load.mjs RESULT.json COMMAND [ARGS…]\n');
  process.exit(2);
}
const started = performance.now();
process.on('exit', (code) => {
  const cpu = process.cpuUsage();
  writeFileSync(
    resultPath,
    JSON.stringify({
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      exitCode: code,
    }),
  );
});
process.argv = [process.argv[0], 'autodisco', ...command];
await import('../dist/cli/main.js');
