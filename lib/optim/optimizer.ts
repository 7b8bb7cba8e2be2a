/**
 * Optimizer base: parameters in PyTorch-style parameter groups, each with its own lr and
 * hyperparameters (`new Adam([{params: decay, weightDecay: 0.1}, {params: rest, weightDecay: 0}], {lr})`).
 * Each concrete optimizer updates every parameter of a group that has a gradient in ONE fused backend
 * call per group (current.adamStep / sgdStep / rmspropStep over arrays of Float32Arrays); parameters
 * whose grad is null are skipped. State buffers are allocated per parameter on its first update.
 */
import { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';

export type Hyper = Record<string, number | boolean | number[]>;

/**
 * What stateDict() returns: the step count, the hyperparameters (incl. lr) of the first group, every
 * group's lr and hyperparameters, and per-buffer-kind a list aligned with the flat parameter list
 * (null where a parameter has no state yet).
 */
export interface OptimizerStateDict {
  type: string;
  step: number;
  hyper: Hyper;
  groups?: Hyper[];
  buffers: Record<string, (Float32Array | null)[]>;
}

/** One parameter group: its parameters, lr and hyperparameters (the optimizer's defaults where not given). */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  [hyper: string]: unknown;
}

/** A group as given to a constructor: params plus any of the optimizer's options. */
export type ParamGroupInput = { params: Iterable<Tensor> } & Record<string, unknown>;

export abstract class Optimizer {
  /** Every parameter, group by group. */
  readonly params: Tensor[];
  /** The parameter groups (PyTorch's param_groups): change a group's lr or hyperparameters between steps. */
  readonly paramGroups: ParamGroup[];
  /** Number of step() calls so far. */
  stepCount = 0;
  /** The lr given at construction (schedulers start from it). */
  readonly initialLr: number;
  /** Per-parameter state buffers by kind ('m', 'v', 'momentum', …), aligned with params. */
  protected readonly state: Record<string, (Float32Array | null)[]> = {};
  /** each group's lr at construction (the `lr` setter keeps their ratios) */
  private readonly groupInitialLr: number[];
  /** param indices per group */
  private readonly groupIdx: number[][];

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput>, lr: number, who: string, hyperKeys: readonly string[] = []) {
    if (params === null || typeof params !== 'object' || typeof (params as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`${who}: params must be an iterable of Tensors (e.g. model.parameters()) or of parameter groups, got ${params === null ? 'null' : typeof params}`);
    }
    const items = [...(params as Iterable<unknown>)];
    const grouped = items.length > 0 && !(items[0] instanceof Tensor) && typeof items[0] === 'object' && items[0] !== null && 'params' in (items[0] as object);
    const groupsIn: { params: unknown[]; opts: Record<string, unknown> }[] = grouped
      ? items.map((g, gi) => {
        if (g === null || typeof g !== 'object' || !('params' in (g as object))) throw new TypeError(`${who}: parameter group ${gi} must be an object with 'params'`);
        const { params: ps, ...opts } = g as ParamGroupInput;
        checkOptions(opts, ['lr', ...hyperKeys], `${who}: parameter group ${gi}`);
        if (ps === null || typeof ps !== 'object' || typeof (ps as Iterable<Tensor>)[Symbol.iterator] !== 'function') throw new TypeError(`${who}: parameter group ${gi}: params must be an iterable of Tensors`);
        return { params: [...(ps as Iterable<unknown>)], opts };
      })
      : [{ params: items, opts: {} }];
    this.params = [];
    this.paramGroups = [];
    this.groupIdx = [];
    checkNonNegative(lr, 'lr', who);
    const seen = new Set<Tensor>();
    for (const g of groupsIn) {
      const idx: number[] = [];
      for (const p of g.params) {
        if (!(p instanceof Tensor)) throw new TypeError(`${who}: params[${this.params.length}] is not a Tensor`);
        if (seen.has(p)) throw new Error(`${who}: a parameter appears twice in the parameter list`);
        seen.add(p);
        idx.push(this.params.length);
        this.params.push(p);
      }
      const glr = g.opts.lr === undefined ? lr : (g.opts.lr as number);
      checkNonNegative(glr, 'lr', who);
      this.paramGroups.push({ ...g.opts, params: idx.map((i) => this.params[i]), lr: glr });
      this.groupIdx.push(idx);
    }
    if (this.params.length === 0) throw new Error(`${who}: optimizer got an empty parameter list`);
    this.initialLr = lr;
    this.groupInitialLr = this.paramGroups.map((g) => g.lr);
  }

  /**
   * The learning rate (of the first group). Setting it (as schedulers do) sets every group's lr,
   * keeping each group's ratio to the constructor's lr.
   */
  get lr(): number {
    return this.paramGroups[0].lr;
  }

  set lr(v: number) {
    this.paramGroups.forEach((g, i) => {
      g.lr = this.initialLr > 0 ? v * (this.groupInitialLr[i] / this.initialLr) : v;
    });
  }

  /**
   * One update of every group: the group's hyperparameters are applied (setHyper) and its lr passed
   * to updateGroup, then the defaults are restored.
   */
  step(): void {
    this.stepCount++;
    const defaults = this.hyper();
    try {
      this.paramGroups.forEach((g, gi) => {
        const over: Hyper = {};
        for (const [k, v] of Object.entries(g)) if (k !== 'params' && k !== 'lr' && k in defaults) over[k] = v as Hyper[string];
        if (Object.keys(over).length > 0) this.setHyper(over);
        const a = this.active(this.groupIdx[gi]);
        if (a.idx.length > 0) this.updateGroup(a.idx, a.params, a.grads, g.lr);
        if (Object.keys(over).length > 0) this.setHyper(defaults);
      });
    } finally {
      this.setHyper(defaults);
    }
  }

  /** Updates the parameters `idx` (with their data and grad arrays) of one group at learning rate `lr`. */
  protected abstract updateGroup(idx: number[], params: Float32Array[], grads: Float32Array[], lr: number): void;

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

  /** Indices (among `among`) of parameters that have a gradient, with their data and grad arrays. */
  protected active(among: readonly number[]): { idx: number[]; params: Float32Array[]; grads: Float32Array[] } {
    const idx: number[] = [];
    const params: Float32Array[] = [];
    const grads: Float32Array[] = [];
    for (const i of among) {
      const p = this.params[i];
      if (p._grad === null || p.size === 0) continue;
      idx.push(i);
      params.push(p.data);
      grads.push(p._grad.data);
    }
    return { idx, params, grads };
  }

  /** Step count, hyperparameters and copies of the state buffers. */
  stateDict(): OptimizerStateDict {
    const buffers: Record<string, (Float32Array | null)[]> = {};
    for (const [k, list] of Object.entries(this.state)) buffers[k] = list.map((b) => (b ? b.slice() : null));
    const defaults = this.hyper();
    const groups = this.paramGroups.map((g) => {
      const h: Hyper = { lr: g.lr };
      for (const k of Object.keys(defaults)) h[k] = (k in g ? g[k] : defaults[k]) as Hyper[string];
      return h;
    });
    return { type: this.constructor.name, step: this.stepCount, hyper: { lr: this.lr, ...defaults }, groups, buffers };
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
    if (Array.isArray(sd.groups)) {
      if (sd.groups.length !== this.paramGroups.length) throw new Error(`${who}: state dict has ${sd.groups.length} parameter groups, this optimizer ${this.paramGroups.length}`);
      sd.groups.forEach((h, i) => {
        const g = this.paramGroups[i];
        for (const [k, v] of Object.entries(h)) if (k === 'lr' ? typeof v === 'number' : k in rest) g[k] = v;
      });
    }
  }
}

export function checkNonNegative(v: number, name: string, who: string): void {
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${who}: ${name} must be a finite number ≥ 0, got ${String(v)}`);
}

export function checkBeta(v: number, name: string, who: string): void {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new RangeError(`${who}: ${name} must be in [0, 1), got ${String(v)}`);
}
