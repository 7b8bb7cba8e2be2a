/**
 * Optimizer base: a flat list of parameters and a mutable `lr` (schedulers change it). Each concrete
 * optimizer updates every parameter that has a gradient in ONE fused backend call per step
 * (current.adamStep / sgdStep / rmspropStep over arrays of Float32Arrays); parameters whose grad is
 * null are skipped. State buffers are allocated per parameter on its first update.
 */
import { Tensor } from '../tensor.js';

export type Hyper = Record<string, number | boolean | number[]>;

/**
 * What stateDict() returns: the step count, the hyperparameters (incl. lr), and per-buffer-kind a list
 * aligned with the parameter list (null where a parameter has no state yet).
 */
export interface OptimizerStateDict {
  type: string;
  step: number;
  hyper: Hyper;
  buffers: Record<string, (Float32Array | null)[]>;
}

export abstract class Optimizer {
  readonly params: Tensor[];
  /** Learning rate; schedulers (and users) may change it between steps. */
  lr: number;
  /** Number of step() calls so far. */
  stepCount = 0;
  /** The lr given at construction (schedulers start from it). */
  readonly initialLr: number;
  /** Per-parameter state buffers by kind ('m', 'v', 'momentum', …), aligned with params. */
  protected readonly state: Record<string, (Float32Array | null)[]> = {};

  constructor(params: Iterable<Tensor>, lr: number, who: string) {
    if (params === null || typeof params !== 'object' || typeof (params as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`${who}: params must be an iterable of Tensors (e.g. model.parameters()), got ${params === null ? 'null' : typeof params}`);
    }
    this.params = [...params];
    this.params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${who}: params[${i}] is not a Tensor`);
    });
    if (this.params.length === 0) throw new Error(`${who}: optimizer got an empty parameter list`);
    const seen = new Set<Tensor>();
    for (const p of this.params) {
      if (seen.has(p)) throw new Error(`${who}: a parameter appears twice in the parameter list`);
      seen.add(p);
    }
    checkNonNegative(lr, 'lr', who);
    this.lr = lr;
    this.initialLr = lr;
  }

  /** Applies one update from the current gradients. */
  abstract step(): void;

  /** Hyperparameters other than lr, for stateDict. */
  protected abstract hyper(): Hyper;
  protected abstract setHyper(h: Hyper): void;

  /**
   * Drops every parameter's gradient (`grad = null`, PyTorch's default set_to_none=true): the next
   * backward allocates fresh gradients and step() skips parameters that received none.
   * `zeroGrad(false)` zero-fills existing gradients instead.
   */
  zeroGrad(setToNone = true): void {
    for (const p of this.params) {
      if (p._grad === null) continue;
      // the dropped buffer goes back to the allocator unless user code read p.grad (lib/tensor.ts)
      if (setToNone) p._dropGrad();
      else p._grad.data.fill(0);
    }
  }

  /** The buffers of `kind` for the given parameter indices, allocating zeros on first use. */
  protected buffersFor(kind: string, idx: number[]): Float32Array[] {
    let list = this.state[kind];
    if (!list) list = this.state[kind] = new Array<Float32Array | null>(this.params.length).fill(null);
    return idx.map((i) => (list[i] ??= new Float32Array(this.params[i].size)));
  }

  protected hasBuffer(kind: string, i: number): boolean {
    return this.state[kind]?.[i] != null;
  }

  /** Indices of parameters that have a gradient, with their data and grad arrays. */
  protected active(): { idx: number[]; params: Float32Array[]; grads: Float32Array[] } {
    const idx: number[] = [];
    const params: Float32Array[] = [];
    const grads: Float32Array[] = [];
    this.params.forEach((p, i) => {
      if (p._grad === null || p.size === 0) return;
      idx.push(i);
      params.push(p.data);
      grads.push(p._grad.data);
    });
    return { idx, params, grads };
  }

  /** Step count, hyperparameters and copies of the state buffers. */
  stateDict(): OptimizerStateDict {
    const buffers: Record<string, (Float32Array | null)[]> = {};
    for (const [k, list] of Object.entries(this.state)) buffers[k] = list.map((b) => (b ? b.slice() : null));
    return { type: this.constructor.name, step: this.stepCount, hyper: { lr: this.lr, ...this.hyper() }, buffers };
  }

  /** Restores stateDict() output (buffers are copied; sizes must match the parameters). */
  loadStateDict(sd: OptimizerStateDict): void {
    const who = `${this.constructor.name}.loadStateDict`;
    if (!sd || typeof sd.step !== 'number' || typeof sd.hyper !== 'object' || typeof sd.buffers !== 'object') {
      throw new TypeError(`${who}: expected {type, step, hyper, buffers}`);
    }
    if (sd.type !== undefined && sd.type !== this.constructor.name) {
      throw new Error(`${who}: state dict is for ${sd.type}, not ${this.constructor.name}`);
    }
    for (const [k, list] of Object.entries(sd.buffers)) {
      if (list.length !== this.params.length) {
        throw new Error(`${who}: buffer '${k}' has ${list.length} entries for ${this.params.length} parameters`);
      }
      list.forEach((b, i) => {
        if (b !== null && b.length !== this.params[i].size) {
          throw new Error(`${who}: buffer '${k}' entry ${i} has ${b.length} elements, parameter ${i} has ${this.params[i].size}`);
        }
      });
    }
    for (const k of Object.keys(this.state)) delete this.state[k];
    for (const [k, list] of Object.entries(sd.buffers)) this.state[k] = list.map((b) => (b ? Float32Array.from(b) : null));
    this.stepCount = sd.step;
    const { lr, ...rest } = sd.hyper;
    if (typeof lr === 'number') this.lr = lr;
    this.setHyper(rest);
  }
}

export function checkNonNegative(v: number, name: string, who: string): void {
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${who}: ${name} must be a finite number ≥ 0, got ${String(v)}`);
}

export function checkBeta(v: number, name: string, who: string): void {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new RangeError(`${who}: ${name} must be in [0, 1), got ${String(v)}`);
}
