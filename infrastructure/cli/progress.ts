/**
 * A terminal progress bar for long CLI jobs (projection rebuilds). On a TTY it redraws one line in
 * place; elsewhere (CI logs, files) it prints a line at every 10% so logs stay short and readable.
 */

export interface ProgressOutput {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/** 1234567 → "1,234,567" (locale-independent, so output and tests are the same everywhere). */
export function formatCount(n: number): string {
  const sign = n < 0 ? '-' : '';
  return sign + String(Math.trunc(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Whole seconds as "6s", "1m05s" or "2h03m". */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  const pad = (v: number) => String(v).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
}

export interface ProgressLine {
  readonly name: string;
  readonly done: number;
  readonly total: number;
  /** Units per second; 0 when not yet known. */
  readonly ratePerSec: number;
  /** Bar width in characters (default 20). */
  readonly width?: number;
}

/** `name [#####.....] 52% 520,000/1,000,000 events 85,000 ev/s ETA 6s` */
export function renderProgressLine(p: ProgressLine): string {
  const width = p.width ?? 20;
  const fraction = p.total > 0 ? Math.min(1, Math.max(0, p.done / p.total)) : 1;
  const filled = Math.floor(fraction * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  const percent = Math.floor(fraction * 100);
  const remaining = Math.max(0, p.total - p.done);
  const eta = remaining === 0 ? '0s' : p.ratePerSec > 0 ? formatEta(remaining / p.ratePerSec) : '--';
  return `${p.name} [${bar}] ${percent}% ${formatCount(p.done)}/${formatCount(p.total)} events ${formatCount(
    Math.round(p.ratePerSec),
  )} ev/s ETA ${eta}`;
}

export interface ProgressBarOptions {
  /** Milliseconds clock (default Date.now); injectable for tests. */
  readonly now?: () => number;
  /** Least time between TTY redraws (default 100 ms). */
  readonly redrawMs?: number;
  readonly width?: number;
}

/** Draws the progress of one job; `update` may be called as often as convenient. */
export class ProgressBar {
  private readonly now: () => number;
  private readonly startedAt: number;
  private startDone: number | null = null;
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private lastDecile = -1;
  private done = 0;
  private total = 0;
  private drawn = false;

  constructor(
    private readonly out: ProgressOutput,
    private readonly name: string,
    private readonly options: ProgressBarOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Units per second since the first update (a resumed job's earlier progress does not count). */
  rate(): number {
    const seconds = (this.now() - this.startedAt) / 1000;
    if (this.startDone === null || seconds <= 0) return 0;
    return (this.done - this.startDone) / seconds;
  }

  update(done: number, total: number): void {
    if (this.startDone === null) this.startDone = done;
    this.done = done;
    this.total = Math.max(total, done);
    if (this.out.isTTY) {
      const complete = this.done >= this.total;
      if (!complete && this.now() - this.lastDrawAt < (this.options.redrawMs ?? 100)) return;
      this.draw();
      return;
    }
    const decile = this.total > 0 ? Math.floor((this.done / this.total) * 10) : 10;
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.out.write(`${this.line()}\n`);
    }
  }

  /** Ends the bar (drawing its final state) and prints `summary` on its own line. */
  finish(summary: string): void {
    if (this.out.isTTY) {
      if (this.startDone !== null) {
        this.draw();
        this.out.write('\n');
      }
    } else if (this.startDone !== null && this.lastDecile < 10 && this.done >= this.total) {
      this.out.write(`${this.line()}\n`);
    }
    this.out.write(`${summary}\n`);
  }

  /** Ends an unfinished bar's line (TTY) before an error is reported. */
  abort(): void {
    if (this.out.isTTY && this.drawn) this.out.write('\n');
  }

  private line(): string {
    return renderProgressLine({
      name: this.name,
      done: this.done,
      total: this.total,
      ratePerSec: this.rate(),
      ...(this.options.width !== undefined ? { width: this.options.width } : {}),
    });
  }

  private draw(): void {
    this.lastDrawAt = this.now();
    this.drawn = true;
    // \x1b[K clears what is left of a longer previous line.
    this.out.write(`\r${this.line()}\x1b[K`);
  }
}
