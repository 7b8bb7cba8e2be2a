/**
 * nn.Module: a tree of layers holding parameters and buffers, named like PyTorch (`0.weight`,
 * `fc1.bias`, `bn.running_mean`) so state dicts move between nodegrad and PyTorch unchanged.
 *
 * Children and parameters are found from a module's own enumerable properties in insertion order
 * (values that are Modules or Parameters; `null` is skipped, e.g. `bias: null`), plus anything
 * registered explicitly (`registerModule`, `registerParameter`, `registerBuffer`). Buffers are never
 * discovered: they are tensors that are state but not trained (BatchNorm running statistics).
 */
import { Tensor } from '../tensor.js';
import { fmtShape, shapesEqual } from '../util/shape.js';
import { checkOptions } from '../util/options.js';

/** A trainable tensor (requiresGrad true) owned by a Module. */
export class Parameter extends Tensor {
  constructor(data: Float32Array, shape: readonly number[], requiresGrad = true) {
    super(data, shape, requiresGrad);
  }

  /** Wraps an existing tensor's data (shared, not copied) as a parameter. */
  static from(t: Tensor, requiresGrad = true): Parameter {
    return new Parameter(t.data, [...t.shape], requiresGrad);
  }
}

export type StateDict = Record<string, Tensor>;

/** t's elements ← v's, converting between float32 and bfloat16 storage (a bfloat16 target rounds to nearest even). */
function copyValues(t: Tensor, v: Tensor): void {
  if (t.dtype !== 'bfloat16' && v.dtype !== 'bfloat16') { t.data.set(v.data); return; }
  if (t.dtype === 'bfloat16') t.bits().set((v.dtype === 'bfloat16' ? v : v.to('bfloat16')).bits());
  else t.data.set(v.to(t.dtype).data);
  t._storage.version++;
}

const warned = new Set<string>();

/**
 * PyTorch does not register modules or parameters kept in a plain array or object (they are not
 * trained, saved or printed); neither do we, but we say so once per class and property.
 */
function warnUnregistered(m: object, key: string, v: object): void {
  const vals = Array.isArray(v) ? v : Object.getPrototypeOf(v) === Object.prototype ? Object.values(v) : null;
  if (vals === null || !vals.some((x) => x instanceof Module || x instanceof Parameter)) return;
  const id = `${m.constructor.name}.${key}`;
  if (warned.has(id)) return;
  warned.add(id);
  const kind = Array.isArray(v) ? 'an array' : 'a plain object';
  const fix = Array.isArray(v) ? 'nn.ModuleList / nn.ParameterList' : 'nn.ModuleDict / nn.ParameterDict';
  process.emitWarning(`${id} holds ${kind} of modules or parameters, which is not registered: they are not trained, saved or printed. Use ${fix}.`, 'NodegradWarning');
}

export interface LoadStateDictOptions {
  /** missing or unexpected keys are errors (default true); shape mismatches always are */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module {
  /** Training mode (Dropout and BatchNorm behave differently in eval mode). */
  training = true;

  // Non-enumerable registries so that property discovery never sees them.
  declare private _extraModules: Map<string, Module>;
  declare private _extraParams: Map<string, Parameter | null>;
  declare private _buffers: Map<string, Tensor>;

  constructor() {
    Object.defineProperty(this, '_extraModules', { value: new Map(), enumerable: false, writable: false });
    Object.defineProperty(this, '_extraParams', { value: new Map(), enumerable: false, writable: false });
    Object.defineProperty(this, '_buffers', { value: new Map(), enumerable: false, writable: false });
  }

  /** The computation; run a module with `module.forward(x)`. */
  abstract forward(...inputs: any[]): Tensor;

  /** Adds a child under `name` (used by Sequential: '0', '1', …). */
  registerModule(name: string, m: Module): void {
    if (!(m instanceof Module)) throw new TypeError(`registerModule: '${name}' is not a Module`);
    this._extraModules.set(name, m);
  }

  /** Adds a parameter under `name` (null reserves the name, like PyTorch's `register_parameter(name, None)`). */
  registerParameter(name: string, p: Parameter | null): void {
    this._extraParams.set(name, p);
  }

  /** Adds a buffer: state saved in stateDict but not trained (e.g. `running_mean`). */
  registerBuffer(name: string, t: Tensor): void {
    if (!(t instanceof Tensor)) throw new TypeError(`registerBuffer: '${name}' is not a Tensor`);
    this._buffers.set(name, t);
  }

  /** Own parameters, in order: enumerable properties first, then explicitly registered ones. */
  protected ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const key of Object.keys(this)) {
      const v = (this as Record<string, unknown>)[key];
      if (v instanceof Parameter) out.push([key, v]);
    }
    for (const [k, v] of this._extraParams) if (v !== null && !out.some(([n]) => n === k)) out.push([k, v]);
    return out;
  }

  /** Direct children, in order: enumerable properties first, then explicitly registered ones. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const key of Object.keys(this)) {
      const v = (this as Record<string, unknown>)[key];
      if (v instanceof Module) out.push([key, v]);
      else if (v !== null && typeof v === 'object') warnUnregistered(this, key, v);
    }
    for (const [k, v] of this._extraModules) if (!out.some(([n]) => n === k)) out.push([k, v]);
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, m] of this.namedChildren()) out.push(...m.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** Every parameter with its dotted name (`fc1.weight`); a parameter shared by two modules appears once. */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix ? `${prefix}.${name}` : name, p]);
      }
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer with its dotted name (`1.running_mean`). */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, b] of m._buffers) out.push([prefix ? `${prefix}.${name}` : name, b]);
    }
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /**
   * name → tensor for every parameter and buffer, per module its parameters then its buffers (PyTorch's
   * order). The tensors share the module's data (detached): clone them to keep a snapshot.
   */
  stateDict(): StateDict {
    const sd: StateDict = {};
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      const pre = prefix ? `${prefix}.` : '';
      for (const [name, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        sd[pre + name] = p.detach();
      }
      for (const [name, b] of m._buffers) sd[pre + name] = b.detach();
    }
    return sd;
  }

  /**
   * Copies values from `sd` into this module's existing parameters and buffers (their identity is kept,
   * so optimizers holding them stay valid). A shape mismatch is always an Error; with strict (default)
   * missing and unexpected keys are too. Every problem is listed in one message.
   */
  loadStateDict(sd: StateDict | Map<string, Tensor>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    if (sd === null || typeof sd !== 'object') {
      throw new TypeError(`loadStateDict: expected a state dict (an object or Map of name → Tensor), got ${sd === null ? 'null' : typeof sd}`);
    }
    checkOptions(opts, ['strict'], 'loadStateDict');
    const strict = opts.strict ?? true;
    const src = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = new Map<string, Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      const pre = prefix ? `${prefix}.` : '';
      for (const [name, p] of m.ownParameters()) if (!own.has(pre + name)) own.set(pre + name, p);
      for (const [name, b] of m._buffers) own.set(pre + name, b);
    }
    const missingKeys = [...own.keys()].filter((k) => !src.has(k));
    const unexpectedKeys = [...src.keys()].filter((k) => !own.has(k));
    const mismatches: string[] = [];
    for (const [k, t] of own) {
      const v = src.get(k);
      if (v === undefined) continue;
      if (!(v instanceof Tensor)) mismatches.push(`${k}: expected a Tensor, got ${typeof v}`);
      else if (!shapesEqual(v.shape, t.shape)) mismatches.push(`${k}: shape ${fmtShape(v.shape)} in the state dict, ${fmtShape(t.shape)} in the model`);
    }
    const problems: string[] = [];
    if (mismatches.length > 0) problems.push(`size mismatch for ${mismatches.join('; ')}`);
    if (strict && missingKeys.length > 0) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length > 0) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    if (problems.length > 0) throw new Error(`loadStateDict: ${problems.join('. ')}`);
    for (const [k, t] of own) {
      const v = src.get(k);
      if (v !== undefined) copyValues(t, v);
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (Dropout is the identity, BatchNorm uses running statistics); returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Freezes (false) or unfreezes (true) every parameter; returns this. */
  requiresGrad(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad = flag;
    return this;
  }

  /** Drops every parameter's gradient (sets `.grad` to null, like PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const p of this.parameters()) p._dropGrad();
  }

  /** Number of trainable elements (parameters with requiresGrad; frozen ones are not counted). */
  numParameters(): number {
    let n = 0;
    for (const p of this.parameters()) if (p.requiresGrad) n += p.size;
    return n;
  }

  /** A short description of the module tree, like PyTorch's repr. */
  toString(): string {
    const kids = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (kids.length === 0) return `${head})`;
    const lines = kids.map(([n, m]) => `  (${n}): ${m.toString().replace(/\n/g, '\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }

  /** Arguments shown by toString. */
  protected extraRepr(): string {
    return '';
  }
}
