/**
 * Module containers with PyTorch's semantics and state-dict keys: ModuleList (`blocks.0.weight`),
 * ModuleDict (`heads.cls.weight`), ParameterList (`scales.0`), ParameterDict (`bias.a`). A plain
 * array or object of modules kept on a module is NOT registered (as in PyTorch); Module warns once
 * when it sees one (lib/nn/module.ts).
 */
import { Tensor } from '../tensor.js';
import { Module, Parameter } from './module.js';

function checkKey(k: string, op: string): void {
  if (typeof k !== 'string' || k.length === 0 || k.includes('.')) throw new TypeError(`${op}: key must be a non-empty string without '.', got ${JSON.stringify(k)}`);
}

/** Holds submodules in a list; they are registered as '0', '1', …. Not callable (iterate it in forward). */
export class ModuleList extends Module {
  declare private readonly items: Module[];

  constructor(modules: Iterable<Module> = []) {
    super();
    Object.defineProperty(this, 'items', { value: [], enumerable: false, writable: false });
    for (const m of modules) this.append(m);
  }

  private reindex(): void {
    const reg = (this as unknown as { _extraModules: Map<string, Module> })._extraModules;
    reg.clear();
    this.items.forEach((m, i) => reg.set(String(i), m));
  }

  append(m: Module): this {
    if (!(m instanceof Module)) throw new TypeError(`ModuleList: item ${this.items.length} is not a Module`);
    this.items.push(m);
    this.registerModule(String(this.items.length - 1), m);
    return this;
  }

  extend(ms: Iterable<Module>): this {
    for (const m of ms) this.append(m);
    return this;
  }

  insert(index: number, m: Module): this {
    if (!(m instanceof Module)) throw new TypeError('ModuleList.insert: not a Module');
    const n = this.items.length;
    const i = Math.max(0, Math.min(n, index < 0 ? index + n : index));
    this.items.splice(i, 0, m);
    this.reindex();
    return this;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    const m = this.items[i < 0 ? i + this.items.length : i];
    if (m === undefined) throw new RangeError(`ModuleList: index ${i} is out of range for ${this.items.length} modules`);
    return m;
  }

  get length(): number {
    return this.items.length;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.items[Symbol.iterator]();
  }

  forward(): Tensor {
    throw new Error('ModuleList: a ModuleList is not callable; iterate over it in your forward()');
  }
}

/** Holds submodules by name; keys keep insertion order. */
export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    const entries = Symbol.iterator in Object(modules) ? [...(modules as Iterable<[string, Module]>)] : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }

  private reg(): Map<string, Module> {
    return (this as unknown as { _extraModules: Map<string, Module> })._extraModules;
  }

  set(key: string, m: Module): this {
    checkKey(key, 'ModuleDict');
    if (!(m instanceof Module)) throw new TypeError(`ModuleDict: '${key}' is not a Module`);
    this.registerModule(key, m);
    return this;
  }

  get(key: string): Module | undefined {
    return this.reg().get(key);
  }

  has(key: string): boolean {
    return this.reg().has(key);
  }

  delete(key: string): boolean {
    return this.reg().delete(key);
  }

  keys(): string[] {
    return [...this.reg().keys()];
  }

  values(): Module[] {
    return [...this.reg().values()];
  }

  items(): [string, Module][] {
    return [...this.reg().entries()];
  }

  get size(): number {
    return this.reg().size;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }

  forward(): Tensor {
    throw new Error('ModuleDict: a ModuleDict is not callable; pick a module by key in your forward()');
  }
}

function asParameter(p: Tensor, op: string): Parameter {
  if (p instanceof Parameter) return p;
  if (p instanceof Tensor) {
    if (p.dtype !== 'float32') throw new TypeError(`${op}: parameters must be float32 tensors, got ${p.dtype}`);
    return Parameter.from(p.contiguous());
  }
  throw new TypeError(`${op}: expected a Tensor or Parameter`);
}

/** Holds parameters in a list, registered as '0', '1', …; plain tensors are wrapped as Parameters. */
export class ParameterList extends Module {
  declare private readonly items: Parameter[];

  constructor(params: Iterable<Tensor> = []) {
    super();
    Object.defineProperty(this, 'items', { value: [], enumerable: false, writable: false });
    for (const p of params) this.append(p);
  }

  append(p: Tensor): this {
    const q = asParameter(p, 'ParameterList');
    this.items.push(q);
    this.registerParameter(String(this.items.length - 1), q);
    return this;
  }

  extend(ps: Iterable<Tensor>): this {
    for (const p of ps) this.append(p);
    return this;
  }

  at(i: number): Parameter {
    const p = this.items[i < 0 ? i + this.items.length : i];
    if (p === undefined) throw new RangeError(`ParameterList: index ${i} is out of range for ${this.items.length} parameters`);
    return p;
  }

  get length(): number {
    return this.items.length;
  }

  [Symbol.iterator](): Iterator<Parameter> {
    return this.items[Symbol.iterator]();
  }

  forward(): Tensor {
    throw new Error('ParameterList: not callable');
  }
}

/** Holds parameters by name; plain tensors are wrapped as Parameters. */
export class ParameterDict extends Module {
  declare private readonly map: Map<string, Parameter>;

  constructor(params: Record<string, Tensor> | Iterable<[string, Tensor]> = {}) {
    super();
    Object.defineProperty(this, 'map', { value: new Map(), enumerable: false, writable: false });
    const entries = Symbol.iterator in Object(params) ? [...(params as Iterable<[string, Tensor]>)] : Object.entries(params);
    for (const [k, p] of entries) this.set(k, p);
  }

  set(key: string, p: Tensor): this {
    checkKey(key, 'ParameterDict');
    const q = asParameter(p, 'ParameterDict');
    this.map.set(key, q);
    this.registerParameter(key, q);
    return this;
  }

  get(key: string): Parameter | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  keys(): string[] {
    return [...this.map.keys()];
  }

  values(): Parameter[] {
    return [...this.map.values()];
  }

  items(): [string, Parameter][] {
    return [...this.map.entries()];
  }

  get size(): number {
    return this.map.size;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }

  forward(): Tensor {
    throw new Error('ParameterDict: not callable');
  }
}
