/**
 * Runs one `autodisco` command (the built one, dist/cli/main.js) in this process and, when it exits, writes its
 * cost to RESULT as JSON: wall seconds from start to exit (module loading included, as a user sees it), CPU
 * seconds, peak resident memory (max RSS), the peak live heap and the exit status; the CPU and peak RSS count the
 * processes the command starts (a worker's lookup process), the live heap is this process's own. The live heap is what each
 * full garbage collection leaves (V8 heap in use plus memory held outside it, the most of any collection; NaN when
 * none ran): what the process really holds, where the RSS also counts garbage V8 has not collected yet and heap
 * it keeps in reserve. bench/audit.ts starts it, pinned to a core, for
 * `autodisco audit` and `autodisco worker`: the figures are those of the real command, nothing re-implemented.
 *
 *   node bench/audit-load.mjs RESULT.json audit FILE --dns … --ca … [options]
 */
import { readFileSync, writeFileSync } from 'node:fs';
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
// `worker` makes its lookups in a process of its own (src/cli/supervise.ts): its CPU is counted once it has
// exited (the kernel adds a reaped child's time to the parent's cutime and cstime), its peak RSS is sampled.
let childPeakKB = 0;
const sampler = setInterval(() => {
  try {
    const children = readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim();
    for (const pid of children === '' ? [] : children.split(' ')) {
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      childPeakKB = Math.max(childPeakKB, kb);
    }
  } catch {
    // a child that just exited
  }
}, 250);
sampler.unref();
/** CPU seconds of the children this process has reaped (fields 16 and 17 of /proc/self/stat, in 1/100 s). */
function reapedChildrenCpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}
process.on('exit', (code) => {
  const cpu = process.cpuUsage();
  writeFileSync(
    resultPath,
    JSON.stringify({
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6 + reapedChildrenCpuSeconds(),
      peakRssMB: Math.round(Math.max(process.resourceUsage().maxRSS, childPeakKB) / 1024),
      peakLiveMB,
      exitCode: code,
    }),
  );
});
process.argv = [process.argv[0], 'autodisco', ...command];
await import('../dist/cli/main.js');
