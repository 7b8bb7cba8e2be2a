/**
 * `nn.parallel.DistributedDataParallel`: data-parallel training over ng.distributed (PyTorch's DDP).
 *
 * - Construction broadcasts rank 0's parameters and buffers, so every rank starts identical.
 * - Parameters that require grad are grouped into buckets in reverse registration order (the order
 *   backward finishes them): the first holds up to 1 MiB, the others up to `bucketCapMb`. Each bucket is
 *   one flat Float32Array and each parameter's `.grad` is a view of it, so backward accumulates straight
 *   into the bucket (gradient-as-bucket-view: no copy before or after the all-reduce).
 * - A post-accumulate hook marks a parameter ready as soon as backward has finished its gradient; a
 *   bucket whose parameters are all ready is all-reduced (mean) — with `overlap`, asynchronously on the
 *   MPI addon's communication thread while backward goes on. Buckets are always launched in index
 *   order, so every rank issues the same collectives in the same order. When backward ends, the rest are
 *   launched (parameters that got no gradient count as zero) and all are waited for, so after
 *   `loss.backward()` every rank holds the same averaged gradients.
 * - `noSync(fn)`: backward passes inside fn only accumulate locally (gradient accumulation); the next
 *   backward outside it averages the accumulated sum.
 * - Buffers (BatchNorm running statistics) follow rank 0: they are broadcast from rank 0 before each
 *   training-mode forward, as PyTorch's broadcast_buffers.
 */
import { queueBackwardCallback } from '../autograd.js';
import * as dist from '../distributed/comm.js';
import { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';
import { Module, type Parameter } from './module.js';

export interface DistributedDataParallelOptions {
  /** bucket capacity in MiB (default 25; the first bucket holds at most 1 MiB, as PyTorch) */
  bucketCapMb?: number;
  /**
   * start each bucket's all-reduce on the communication thread as soon as it is full, overlapping the rest
   * of backward (default true); false all-reduces every bucket after backward
   */
  overlap?: boolean;
  /** broadcast rank 0's buffers before each training forward (default true) */
  broadcastBuffers?: boolean;
}

interface Bucket {
  flat: Float32Array;
  params: Parameter[];
  /** views[i] is params[i]'s gradient: a view of `flat` */
  views: Tensor[];
  pending: number;
  handle: number | null;
  launched: boolean;
}

const FIRST_BUCKET_BYTES = 1024 * 1024;

export class DistributedDataParallel extends Module {
  readonly module: Module;
  readonly bucketCapMb: number;
  readonly overlap: boolean;
  readonly broadcastBuffers: boolean;
  declare private buckets: Bucket[];
  declare private where: Map<Parameter, { bucket: number; index: number }>;
  declare private syncing: boolean;
  declare private inPass: boolean;
  declare private nextLaunch: number;
  declare private hooks: { remove(): void }[];
  /** The last synchronised backward pass: buckets all-reduced, and how many were launched before backward ended. */
  declare readonly lastSync: { buckets: number; launchedDuringBackward: number };

  constructor(module: Module, o: DistributedDataParallelOptions = {}) {
    super();
    if (!(module instanceof Module)) throw new TypeError('DistributedDataParallel: module must be an nn.Module');
    checkOptions(o, ['bucketCapMb', 'overlap', 'broadcastBuffers'], 'DistributedDataParallel');
    const cap = o.bucketCapMb ?? 25;
    if (typeof cap !== 'number' || !(cap > 0) || !Number.isFinite(cap)) {
      throw new RangeError(`DistributedDataParallel: bucketCapMb must be a positive number, got ${String(cap)}`);
    }
    if (o.overlap !== undefined && typeof o.overlap !== 'boolean') throw new TypeError('DistributedDataParallel: overlap must be a boolean');
    if (o.broadcastBuffers !== undefined && typeof o.broadcastBuffers !== 'boolean') throw new TypeError('DistributedDataParallel: broadcastBuffers must be a boolean');
    dist._binding('DistributedDataParallel'); // throws when ng.distributed.init() has not run
    this.module = module;
    this.bucketCapMb = cap;
    this.overlap = o.overlap ?? true;
    this.broadcastBuffers = o.broadcastBuffers ?? true;
    const hidden = (k: string, v: unknown): void => { Object.defineProperty(this, k, { value: v, enumerable: false, writable: true }); };
    hidden('buckets', []);
    hidden('where', new Map());
    hidden('syncing', true);
    hidden('inPass', false);
    hidden('nextLaunch', 0);
    hidden('hooks', []);
    hidden('lastSync', { buckets: 0, launchedDuringBackward: 0 });

    // every rank starts from rank 0's state
    for (const p of module.parameters()) dist.broadcast(p, 0);
    this.syncBuffers();
    this.buildBuckets(cap);
  }

  /** The wrapped module's forward (after rank 0's buffers are broadcast, in training mode). */
  forward(...inputs: any[]): Tensor {
    this.settle();
    if (this.module.training && this.broadcastBuffers) this.syncBuffers();
    for (const b of this.buckets) this.attachViews(b);
    return this.module.forward(...inputs);
  }

  /**
   * Runs fn with gradient averaging off: backward passes inside only accumulate into the local
   * gradients (PyTorch's no_sync). An async fn keeps it off until its promise settles. Returns fn's result.
   */
  noSync<T>(fn: () => T): T {
    if (typeof fn !== 'function') throw new TypeError(`DistributedDataParallel.noSync: expected a function, got ${typeof fn}`);
    const prev = this.syncing;
    this.syncing = false;
    let r: T;
    try {
      r = fn();
    } catch (e) {
      this.syncing = prev;
      throw e;
    }
    if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
      return (r as unknown as Promise<unknown>).then(
        (v) => { this.syncing = prev; return v; },
        (e) => { this.syncing = prev; throw e; },
      ) as T;
    }
    this.syncing = prev;
    return r;
  }

  /** Number of gradient buckets and their sizes in elements (largest first-launched last). */
  bucketSizes(): number[] {
    return this.buckets.map((b) => b.flat.length);
  }

  protected override extraRepr(): string {
    return `bucketCapMb=${this.bucketCapMb}, overlap=${this.overlap}`;
  }

  private buildBuckets(capMb: number): void {
    const params = this.module.parameters().filter((p) => p.requiresGrad);
    const groups: Parameter[][] = [];
    let cur: Parameter[] = [];
    let bytes = 0;
    let limit = Math.min(FIRST_BUCKET_BYTES, capMb * 1024 * 1024);
    for (let i = params.length - 1; i >= 0; i--) {
      const p = params[i];
      if (cur.length > 0 && bytes + p.size * 4 > limit) {
        groups.push(cur);
        cur = [];
        bytes = 0;
        limit = capMb * 1024 * 1024;
      }
      cur.push(p);
      bytes += p.size * 4;
    }
    if (cur.length > 0) groups.push(cur);
    groups.forEach((ps, bi) => {
      let n = 0;
      for (const p of ps) n += p.size;
      const flat = new Float32Array(n);
      const views: Tensor[] = [];
      let off = 0;
      ps.forEach((p, i) => {
        views.push(new Tensor(flat.subarray(off, off + p.size), p.shape));
        off += p.size;
        this.where.set(p, { bucket: bi, index: i });
        this.hooks.push(p.registerPostAccumulateGradHook((t) => this.ready(t as Parameter)));
      });
      const b: Bucket = { flat, params: ps, views, pending: ps.length, handle: null, launched: false };
      this.buckets.push(b);
      this.attachViews(b);
    });
  }

  /** Makes each parameter's .grad its bucket view again (a dropped gradient becomes zeros, another is copied in). */
  private attachViews(b: Bucket): void {
    for (let i = 0; i < b.params.length; i++) {
      const p = b.params[i];
      const v = b.views[i];
      const g = p._grad;
      if (g === v) continue;
      if (g === null) v.data.fill(0);
      else v.data.set(g.data);
      p.grad = v; // the setter marks it shared: zeroGrad never hands bucket memory to the allocator
    }
  }

  private ready(p: Parameter): void {
    if (!this.syncing) return;
    const w = this.where.get(p);
    if (w === undefined) return;
    if (!this.inPass) {
      this.inPass = true;
      this.nextLaunch = 0;
      for (const b of this.buckets) { b.pending = b.params.length; b.launched = false; b.handle = null; }
      queueBackwardCallback(() => this.finishPass());
    }
    const b = this.buckets[w.bucket];
    if (p._grad !== b.views[w.index]) this.attachViews(b);
    b.pending--;
    if (this.overlap) this.launchReady();
  }

  /** Launches, in index order, every bucket whose parameters are all ready. */
  private launchReady(): void {
    const bind = dist._binding('DistributedDataParallel');
    while (this.nextLaunch < this.buckets.length && this.buckets[this.nextLaunch].pending === 0) {
      const b = this.buckets[this.nextLaunch++];
      b.launched = true;
      b.handle = bind.allReduceAsync(b.flat, 0, true);
    }
  }

  private finishPass(): void {
    const bind = dist._binding('DistributedDataParallel');
    (this as { lastSync: unknown }).lastSync = { buckets: this.buckets.length, launchedDuringBackward: this.nextLaunch };
    try {
      for (const b of this.buckets) {
        // a parameter that got no gradient this pass contributes its current view (zeros after zeroGrad)
        if (!b.launched) this.attachViews(b);
        b.pending = 0;
      }
      if (this.overlap) this.launchReady();
      else for (const b of this.buckets) bind.allReduce(b.flat, 0, true);
      this.settle();
    } finally {
      this.inPass = false;
    }
  }

  /** Waits for every launched all-reduce (also after a backward that threw half-way). */
  private settle(): void {
    const bind = dist._binding('DistributedDataParallel');
    let err: unknown = null;
    for (const b of this.buckets) {
      if (b.handle !== null) {
        const h = b.handle;
        b.handle = null;
        try { bind.wait(h); } catch (e) { err ??= e; }
      }
    }
    this.inPass = false;
    if (err !== null) throw err;
  }

  /** Broadcasts every buffer from rank 0, one call per dtype. */
  private syncBuffers(): void {
    const bufs = this.module.buffers();
    if (bufs.length === 0) return;
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const list = bufs.filter((t) => t.dtype === dtype);
      if (list.length === 0) continue;
      let n = 0;
      for (const t of list) n += t.size;
      const flat = dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
      let off = 0;
      for (const t of list) { flat.set(t.data as unknown as ArrayLike<number>, off); off += t.size; }
      const packed = new Tensor(flat as unknown as Float32Array, [n]);
      dist.broadcast(packed, 0);
      off = 0;
      for (const t of list) {
        t.data = flat.subarray(off, off + t.size) as unknown as Float32Array;
        off += t.size;
      }
    }
  }
}
