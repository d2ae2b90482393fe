/**
 * Progress on stderr: on a terminal, one line redrawn in place (bar, done/total, rate, ETA, counts by
 * outcome); otherwise a plain line every `everyMs` (logs and CI keep a readable trace).
 */
import type { Outcome } from '../discover/report.js';

export interface ProgressState {
  done: number;
  total: number;
  counts: Record<Outcome, number>;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(rest).padStart(2, '0')}`
    : `${m}:${String(rest).padStart(2, '0')}`;
}

export function progressLine(state: ProgressState, elapsedMs: number, bar: boolean): string {
  const rate = elapsedMs > 0 ? (state.done * 1000) / elapsedMs : 0;
  const eta = rate > 0 ? (state.total - state.done) / rate : Number.POSITIVE_INFINITY;
  const share = state.total > 0 ? state.done / state.total : 1;
  const { settings, prompt, failed } = state.counts;
  const text = `${state.done}/${state.total} addresses, ${rate.toFixed(1)}/s, ETA ${formatDuration(eta)}; lookups: ${settings} settings, ${prompt} prompt, ${failed} failed`;
  if (!bar) return `audit: ${text} (${Math.floor(share * 100)}%)`;
  const width = 24;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`;
}

export class Progress {
  readonly #started = performance.now();
  #timer: NodeJS.Timeout | undefined;
  #lastLength = 0;

  constructor(
    readonly state: () => ProgressState,
    readonly stream: NodeJS.WriteStream = process.stderr,
    readonly everyMs = stream.isTTY ? 200 : 5000,
  ) {}

  start(): void {
    this.#timer = setInterval(() => this.draw(), this.everyMs);
    this.#timer.unref();
  }

  draw(): void {
    const line = progressLine(this.state(), performance.now() - this.#started, this.stream.isTTY === true);
    if (this.stream.isTTY) {
      this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.#lastLength - line.length))}`);
      this.#lastLength = line.length;
    } else this.stream.write(`${line}\n`);
  }

  /** Final state, and the terminal line left clean for what follows. */
  stop(): void {
    clearInterval(this.#timer);
    this.draw();
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
