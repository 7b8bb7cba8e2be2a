/**
 * Training progress: a cli-progress bar on a TTY (epoch, batch i/n, loss, metrics, samples/s, ETA),
 * one plain line per epoch otherwise (logs, CI), nothing with `progress: false`.
 */
import { Presets, SingleBar } from 'cli-progress';

export type Logs = Record<string, number>;

function fmt(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k} ${k === 'lr' ? v.toPrecision(3) : Math.abs(v) >= 1000 ? v.toFixed(1) : v.toFixed(4)}`)
    .join(' - ');
}

export class Progress {
  private bar: SingleBar | null = null;
  private readonly tty: boolean;
  private t0 = 0;
  private samples = 0;
  private lastDraw = 0;

  constructor(private readonly enabled: boolean, private readonly epochs: number, stream: NodeJS.WriteStream = process.stderr) {
    this.tty = enabled && !!stream.isTTY;
    this.stream = stream;
  }
  private readonly stream: NodeJS.WriteStream;

  epochBegin(epoch: number, batches: number): void {
    this.t0 = performance.now();
    this.samples = 0;
    this.lastDraw = 0;
    if (!this.tty) return;
    this.bar = new SingleBar({
      format: `epoch ${epoch}/${this.epochs} [{bar}] {value}/{total} | {stats} | {sps} samples/s | ETA {eta_formatted}`,
      stream: this.stream,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 10,
    }, Presets.shades_classic);
    this.bar.start(batches, 0, { stats: '', sps: '0' });
  }

  /** After batch i (1-based) with `n` samples and the running averages so far. */
  batchEnd(i: number, n: number, running: Logs): void {
    this.samples += n;
    if (!this.bar) return;
    const now = performance.now();
    if (now - this.lastDraw < 50 && i < this.bar.getTotal()) {
      this.bar.increment(1);
      return;
    }
    this.lastDraw = now;
    const sps = this.samples / Math.max(1e-9, (now - this.t0) / 1000);
    this.bar.update(i, { stats: fmt(running), sps: Math.round(sps).toString() });
  }

  epochEnd(epoch: number, logs: Logs): void {
    const secs = (performance.now() - this.t0) / 1000;
    const sps = Math.round(this.samples / Math.max(1e-9, secs));
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
      this.stream.write(`  ${fmt(logs)} - ${sps} samples/s - ${secs.toFixed(1)}s\n`);
    } else if (this.enabled) {
      console.log(`epoch ${epoch}/${this.epochs} - ${fmt(logs)} - ${sps} samples/s - ${secs.toFixed(1)}s`);
    }
  }

  /** Stops a bar left open by an error. */
  close(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
  }
}
