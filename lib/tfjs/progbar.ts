/**
 * A Keras-style progress logger for `model.fit({verbose: 1})`, as tfjs-node registers one: per epoch
 * "Epoch i / n", a progress bar with the running loss and metrics (redrawn in place on a terminal, at
 * most every 100 ms), and a closing line with the epoch time, the time per step and the final logs.
 * Registered with tfjs-layers (when the application has it) for verbosity 1.
 */
import type * as Layers from '@tensorflow/tfjs-layers';
import type { tf } from './core.js';

type Logs = Record<string, number | tf.Tensor>;

function loadLayers(): typeof Layers | null {
  try {
    return require('@tensorflow/tfjs-layers') as typeof Layers;
  } catch {
    return null;
  }
}

function scalar(v: number | tf.Tensor): number {
  return typeof v === 'number' ? v : (v.dataSync()[0] as number);
}

function format(logs: Record<string, number>): string {
  return Object.keys(logs)
    .filter((k) => k !== 'batch' && k !== 'size')
    .map((k) => `${k}=${logs[k].toPrecision(4)}`)
    .join(' ');
}

export interface ProgbarStream {
  isTTY?: boolean;
  write(s: string): unknown;
}

/** The logger class (extends tfjs-layers' Callback), or null when @tensorflow/tfjs-layers is not installed. */
export function makeProgbarLogger(stream: ProgbarStream = process.stdout) {
  const layers = loadLayers();
  if (layers === null) return null;
  return class ProgbarLogger extends layers.Callback {
    epochStart = 0;
    lastDraw = 0;
    stepsSeen = 0;
    numSteps = 0;

    override async onTrainBegin(): Promise<void> {
      const p = this.params as { samples?: number; batchSize?: number; steps?: number };
      this.numSteps = p.steps ?? (p.samples != null && p.batchSize ? Math.ceil(p.samples / p.batchSize) : 0);
    }

    override async onEpochBegin(epoch: number): Promise<void> {
      const epochs = (this.params as { epochs?: number }).epochs;
      stream.write(`Epoch ${epoch + 1} / ${epochs ?? '?'}\n`);
      this.epochStart = performance.now();
      this.lastDraw = 0;
      this.stepsSeen = 0;
    }

    override async onBatchEnd(batch: number, logs?: Logs): Promise<void> {
      this.stepsSeen = batch + 1;
      if (!stream.isTTY) return;
      const t = performance.now();
      if (t - this.lastDraw < 100 && batch + 1 < this.numSteps) return;
      this.lastDraw = t;
      const resolved: Record<string, number> = {};
      for (const [k, v] of Object.entries(logs ?? {})) resolved[k] = scalar(v);
      const frac = this.numSteps > 0 ? Math.min(1, (batch + 1) / this.numSteps) : 0;
      const width = 30;
      const done = Math.round(frac * width);
      const elapsed = (t - this.epochStart) / 1000;
      const eta = frac > 0 ? (elapsed / frac - elapsed).toFixed(1) : '?';
      stream.write(`\r\x1b[Keta=${eta} ${'='.repeat(done)}${done < width ? '>' : ''}${'.'.repeat(Math.max(0, width - done - 1))} ${format(resolved)}`);
    }

    override async onEpochEnd(_epoch: number, logs?: Logs): Promise<void> {
      const ms = performance.now() - this.epochStart;
      const resolved: Record<string, number> = {};
      for (const [k, v] of Object.entries(logs ?? {})) resolved[k] = scalar(v);
      const steps = Math.max(1, this.stepsSeen);
      if (stream.isTTY) stream.write('\r\x1b[K');
      stream.write(`${ms.toFixed(0)}ms ${((ms * 1000) / steps).toFixed(0)}us/step - ${format(resolved)}\n`);
    }
  };
}

let registered = false;
/** Registers the logger for verbose: 1 with tfjs-layers; false when tfjs-layers is not installed. */
export function registerProgbarLogger(): boolean {
  if (registered) return true;
  const layers = loadLayers();
  const Logger = makeProgbarLogger();
  if (layers === null || Logger === null) return false;
  layers.registerCallbackConstructor(1, Logger as unknown as Parameters<typeof layers.registerCallbackConstructor>[1]);
  registered = true;
  return true;
}
