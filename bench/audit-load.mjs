/**
 * Runs one `autodisco` command (the built one, dist/cli/main.js) in this process and, when it exits, writes its
 * cost to RESULT as JSON: wall seconds from start to exit (module loading included, as a user sees it), CPU
 * seconds, peak resident memory (max RSS), the peak live heap and the exit status. The live heap is what each
 * full garbage collection leaves (V8 heap in use plus memory held outside it, the most of any collection; NaN when
 * none ran): what the process really holds, where the RSS also counts garbage V8 has not collected yet and heap
 * it keeps in reserve. bench/audit.ts starts it, pinned to a core, for
 * `autodisco audit` and `autodisco worker`: the figures are those of the real command, nothing re-implemented.
 *
 *   node bench/audit-load.mjs RESULT.json audit FILE --dns … --ca … [options]
 */
import { writeFileSync } from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';

const [resultPath, ...command] = process.argv.slice(2);
if (!resultPath || command.length === 0) {
  process.stderr.write('usage: node bench/audit-load.mjs RESULT.json COMMAND [ARGS…]\n');
  process.exit(2);
}
const started = performance.now();
let peakLiveMB = Number.NaN;
// Right after each full (mark-compact) collection the heap in use is what the process really holds: observed, not
// forced, so the measurement does not change how V8 runs the command.
new PerformanceObserver((list) => {
  if (!list.getEntries().some((e) => e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) return;
  const { heapUsed, external } = process.memoryUsage();
  const mb = Math.round((heapUsed + external) / 1048576);
  peakLiveMB = Number.isNaN(peakLiveMB) ? mb : Math.max(peakLiveMB, mb);
}).observe({ entryTypes: ['gc'] });
process.on('exit', (code) => {
  const cpu = process.cpuUsage();
  writeFileSync(
    resultPath,
    JSON.stringify({
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      peakLiveMB,
      exitCode: code,
    }),
  );
});
process.argv = [process.argv[0], 'autodisco', ...command];
await import('../dist/cli/main.js');
