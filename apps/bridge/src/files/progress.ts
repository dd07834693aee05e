import { bytes } from '../text';

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** A progress line on a terminal (redrawn in place); nothing when stderr is not a terminal. */
export class Progress {
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly enabled: boolean,
    private readonly startAt = 0,
  ) {}

  update(done: number, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const elapsed = Math.max(0.001, (now - this.started) / 1000);
    const rate = (done - this.startAt) / elapsed;
    const percent = this.total ? Math.min(100, (done / this.total) * 100) : 100;
    const eta = rate > 0 ? (this.total - done) / rate : Number.POSITIVE_INFINITY;
    const width = 24;
    const filled = Math.round((percent / 100) * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const line = `${this.label} [${bar}] ${percent.toFixed(0).padStart(3)}%  ${bytes(done)} / ${bytes(this.total)}  ${bytes(rate)}/s  ETA ${duration(eta)}`;
    process.stderr.write(`\r\u001b[2K${line}`);
    this.drawn = true;
  }

  finish(): void {
    if (this.enabled && this.drawn) process.stderr.write('\n');
  }
}
