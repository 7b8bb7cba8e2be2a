/**
 * Reverse-mode autograd. Each op output that needs a gradient gets `_inputs` and a `_backward(g)`
 * closure that calls `accumulate(input, buffer, owned)` for each input needing a gradient.
 * `backward()` sorts the graph topologically (an epoch mark on each tensor, no Set/Map) and runs the
 * closures in reverse. Gradients travel as raw Float32Arrays (first-order only: backward rules are not
 * themselves recorded). Leaves with requiresGrad accumulate into `.grad`; intermediates keep none.
 */
import { BinaryOp } from './backend/backend.js';
import { current } from './backend/registry.js';
import type { Tensor } from './tensor.js';
import { emptyF32, release } from './util/alloc.js';

let gradEnabled = true;

/** Whether ops currently record the graph (false inside noGrad). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Turns graph recording on or off globally; returns the previous setting. */
export function setGradEnabled(enabled: boolean): boolean {
  const prev = gradEnabled;
  gradEnabled = !!enabled;
  return prev;
}

/**
 * Runs fn without recording the graph (like `torch.no_grad()`), and returns its result. An async fn
 * (a returned promise) keeps recording off until the promise settles.
 */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`noGrad: expected a function, got ${typeof fn}`);
  const prev = gradEnabled;
  gradEnabled = false;
  let r: T;
  try {
    r = fn();
  } catch (e) {
    gradEnabled = prev;
    throw e;
  }
  if (isThenable(r)) {
    // an async fn: recording stays off until its promise settles (so every awaited part runs without
    // a graph). While it is pending, other code on the event loop also runs with recording off:
    // the mode is global, as in PyTorch's single-threaded use.
    return r.then(
      (v) => { gradEnabled = prev; return v; },
      (e) => { gradEnabled = prev; throw e; },
    ) as T;
  }
  gradEnabled = prev;
  return r;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/** Runs fn with graph recording on (torch.enable_grad), even inside noGrad; returns its result. */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** True when an op on `a` must record its backward rule. */
export function needsGrad1(a: Tensor): boolean {
  return gradEnabled && a.requiresGrad;
}

/** True when an op on `a`, `b` must record its backward rule. */
export function needsGrad2(a: Tensor, b: Tensor): boolean {
  return gradEnabled && (a.requiresGrad || b.requiresGrad);
}

export type BackwardFn = (g: Float32Array) => void;

/**
 * Marks `out` as produced by an op with these inputs and backward rule. `saved` lists the tensors
 * whose elements the rule reads (default: the inputs and out, the safe assumption); their storage
 * versions are remembered, and backward refuses to run the rule if an in-place op changed one since
 * (PyTorch's version counter). Rules that read nothing (add, views, sum) pass [].
 */
export function record(out: Tensor, inputs: Tensor[], backward: BackwardFn, saved?: Tensor[]): Tensor {
  out.requiresGrad = true;
  out._inputs = inputs;
  out._backward = backward;
  let vers: number[] | null = null;
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i]._nodeVer !== 0) {
      vers ??= new Array<number>(inputs.length).fill(0);
      vers[i] = inputs[i]._nodeVer;
    }
  }
  out._inputVers = vers;
  const sv = saved ?? (inputs.length === 1 ? [inputs[0], out] : [...inputs, out]);
  if (sv.length > 0) {
    out._saved = sv;
    const v = new Array<number>(sv.length);
    for (let i = 0; i < sv.length; i++) v[i] = sv[i]._storage.version;
    out._savedVersions = v;
  }
  return out;
}

/**
 * The graph node input i of t stood for when t was recorded. An in-place op re-bases a tensor onto
 * a new node (the tensor object now means its new value); ops recorded before it keep pointing, through
 * the tensor's `_prior` list, at the node of the old value — PyTorch's edges to grad_fn nodes.
 */
function resolveInput(t: Tensor, i: number): Tensor {
  const x = t._inputs![i];
  if (x._prior === null) return x;
  const v = t._inputVers === null ? 0 : t._inputVers[i];
  return v === x._nodeVer ? x : x._prior[v];
}

/** The node whose backward rule is running (accumulate resolves re-based inputs through it). */
let active: Tensor | null = null;

function resolveFor(x: Tensor): Tensor {
  const t = active;
  if (t === null || x._prior === null || t._inputs === null) return x;
  const inputs = t._inputs;
  for (let i = 0; i < inputs.length; i++) if (inputs[i] === x) return resolveInput(t, i);
  return x;
}

function checkVersions(t: Tensor): void {
  const sv = t._saved!;
  const ver = t._savedVersions!;
  for (let i = 0; i < sv.length; i++) {
    const now = sv[i]._storage.version;
    if (now !== ver[i]) {
      throw new Error(
        `backward: one of the variables needed for gradient computation has been modified by an inplace operation: ` +
        `[${sv[i].dtype} [${sv[i].shape.join(', ')}]] is at version ${now}; expected version ${ver[i]} instead`,
      );
    }
  }
}

const ONE = [1];

/**
 * Adds `buf` (the gradient w.r.t. t, t's extent) into t's pending gradient. `owned` says the caller
 * hands over a fresh buffer; otherwise buf is shared (e.g. the output gradient passed through) and is
 * never written.
 */
export function accumulate(t: Tensor, buf: Float32Array, owned: boolean): void {
  if (t._prior !== null) t = resolveFor(t);
  if (!t.requiresGrad) return;
  const g = t._g;
  if (g === null) {
    t._g = buf;
    t._gOwned = owned;
  } else if (t._gOwned) {
    current.binary(BinaryOp.add, g, ONE, buf, ONE, g, [g.length]);
    if (owned && buf !== g) release(buf);
  } else if (owned) {
    current.binary(BinaryOp.add, buf, ONE, g, ONE, buf, [g.length]);
    t._g = buf;
    t._gOwned = true;
  } else {
    const sum = emptyF32(g.length);
    current.binary(BinaryOp.add, g, ONE, buf, ONE, sum, [g.length]);
    t._g = sum;
    t._gOwned = true;
  }
}

/**
 * The existing gradient buffer of a leaf that a kernel may accumulate into directly (a beta = 1
 * GEMM writing grad += dW), or null: the leaf must have a gradient already (optimizer.zeroGrad(false)
 * zero-fills instead of dropping it) and no pending one in this pass, and the buffer must not share
 * memory with `inputs`. Saves allocating a fresh weight-sized buffer per step (an 800 KB MNIST dW)
 * and the separate add. On a zeroed gradient the result is bit-identical to the fresh-buffer path;
 * on a non-zero one (two backward passes, a weight used twice) the sum is rounded in another order.
 */
export function gradSink(t: Tensor, inputs: readonly Float32Array[]): Float32Array | null {
  if (!t.requiresGrad || t._backward !== null || t._g !== null || t._grad === null) return null;
  const g = t._grad.data;
  if (g.length !== t.size || g.buffer === t.data.buffer) return null;
  for (const a of inputs) if (a.buffer === g.buffer) return null;
  t._sunkIn = epoch;
  return g;
}

/**
 * The pending gradient of `t` in the running backward pass when a rule may add its contribution into
 * it in place (an accumulating kernel such as scatterAddRows), or null: the buffer must be owned by the
 * pass (never the caller's seed or another rule's output passed on). Saves a zeroed t-sized buffer and
 * the add for the second use of a tensor — e.g. a GPT's tied [V, C] embedding, whose head gradient is
 * already pending when the embedding's rule runs.
 */
export function pendingGradSink(t: Tensor): Float32Array | null {
  if (t._prior !== null) t = resolveFor(t);
  if (!t.requiresGrad || !t._gOwned || t._g === null || t._g.length !== t.size) return null;
  return t._g;
}

function passedOn(t: Tensor, g: Float32Array): boolean {
  const inputs = t._inputs;
  if (inputs === null) return false;
  for (let i = 0; i < inputs.length; i++) if (resolveInput(t, i)._g === g) return true;
  return false;
}

let epoch = 0;

/** Gradient hook: receives the gradient (a tensor); may return a replacement of the same shape. */
export type GradHook = (grad: Tensor) => Tensor | void | undefined;

function runHooks(t: Tensor, g: Float32Array): Float32Array {
  const hooks = t._hooks!;
  let cur = g;
  for (const h of [...hooks]) {
    const r = h(new TensorCtor(cur, t.shape));
    if (r !== undefined && r !== null) {
      if (!(r instanceof TensorCtor) || r.size !== t.size || r.dtype !== 'float32') {
        throw new TypeError(`registerHook: a hook must return undefined or a float32 tensor of shape [${t.shape.join(', ')}]`);
      }
      cur = Float32Array.from(r.data);
    }
  }
  return cur;
}

/** Callbacks queued (queueBackwardCallback) during the running backward pass; null outside one. */
let endCallbacks: (() => void)[] | null = null;

/**
 * Runs `fn` when the backward pass now running has finished (every leaf gradient added into .grad and
 * every post-accumulate hook called), before backward() returns — PyTorch's queue_callback, which
 * DistributedDataParallel uses to wait for its last all-reduces. Only callable during a backward pass
 * (from a hook). A callback that throws makes backward() throw.
 */
export function queueBackwardCallback(fn: () => void): void {
  if (typeof fn !== 'function') throw new TypeError(`queueBackwardCallback: expected a function, got ${typeof fn}`);
  if (endCallbacks === null) throw new Error('queueBackwardCallback: no backward pass is running (call it from a gradient hook)');
  endCallbacks.push(fn);
}

/** A leaf's gradient for this pass is complete: add it into .grad, then call its post-accumulate hooks. */
function finishLeaf(t: Tensor, mark: number): void {
  let g = t._g;
  if (g !== null) {
    let owned = t._gOwned;
    t._g = null;
    if (t._hooks !== null) {
      const h = runHooks(t, g);
      if (h !== g) { g = h; owned = false; }
    }
    t._addToGrad(g, owned);
  } else if (t._sunkIn !== mark) {
    return; // no gradient reached this leaf in this pass
  }
  const hooks = t._postAccHooks;
  if (hooks !== null) for (const h of [...hooks]) h(t);
}

/**
 * For leaves with post-accumulate hooks: the index in `order` of the last node to run backward that
 * uses each one (the smallest index among its users, as the pass runs order[] backwards), so that its
 * gradient is finished right after that node instead of at the end of the pass.
 */
function lastUses(order: readonly Tensor[]): Map<number, Tensor[]> | null {
  let out: Map<number, Tensor[]> | null = null;
  let seen: Set<Tensor> | null = null;
  for (let k = 0; k < order.length; k++) {
    const t = order[k];
    const inputs = t._inputs;
    if (inputs === null || t._backward === null) continue;
    for (let i = 0; i < inputs.length; i++) {
      const c = resolveInput(t, i);
      if (c._postAccHooks === null || c._backward !== null || !c.requiresGrad) continue;
      seen ??= new Set();
      if (seen.has(c)) continue;
      seen.add(c);
      out ??= new Map();
      const list = out.get(k);
      if (list === undefined) out.set(k, [c]);
      else list.push(c);
    }
  }
  return out;
}

/** Set by tensor.ts (which imports this module): the Tensor class, for hook arguments. */
let TensorCtor: typeof Tensor = null as unknown as typeof Tensor;
export function _setTensorClass(c: typeof Tensor): void {
  TensorCtor = c;
}

/**
 * The backward pass from `roots`, seeded with `seeds` (each root's extent; not written). Leaves
 * accumulate into .grad, unless `capture` is given (autograd.grad): then no .grad changes, and the
 * complete gradient of each captured tensor is returned (null where none arrived).
 */
export function runBackward(root: Tensor | readonly Tensor[], seed: Float32Array | readonly Float32Array[], capture: readonly Tensor[] | null = null): (Float32Array | null)[] | undefined {
  const roots = Array.isArray(root) ? root as readonly Tensor[] : [root as Tensor];
  const seeds = Array.isArray(seed) ? seed as readonly Float32Array[] : [seed as Float32Array];
  const mark = ++epoch;
  // iterative post-order DFS: order[] lists every tensor after all of its inputs
  const order: Tensor[] = [];
  for (const r of roots) {
    if (r._mark === mark) continue;
    const stack: Tensor[] = [r];
    const childIdx: number[] = [0];
    r._mark = mark;
    while (stack.length > 0) {
      const top = stack.length - 1;
      const t = stack[top];
      const inputs = t._inputs;
      const i = childIdx[top];
      if (inputs !== null && i < inputs.length) {
        childIdx[top] = i + 1;
        const c = resolveInput(t, i);
        if (c.requiresGrad && c._mark !== mark) {
          c._mark = mark;
          stack.push(c);
          childIdx.push(0);
        }
      } else {
        stack.pop();
        childIdx.pop();
        order.push(t);
      }
    }
  }
  const captured: (Float32Array | null)[] | undefined = capture === null ? undefined : capture.map(() => null);
  const grab = (t: Tensor, g: Float32Array): void => {
    if (capture === null) return;
    for (let i = 0; i < capture.length; i++) if (capture[i] === t) captured![i] = Float32Array.from(g);
  };
  const isSeed = (g: Float32Array): boolean => seeds.includes(g);
  const early = capture === null ? lastUses(order) : null;
  const outerCallbacks = endCallbacks;
  const callbacks: (() => void)[] = [];
  if (capture === null) endCallbacks = callbacks;
  try {
    roots.forEach((r, i) => accumulate(r, seeds[i], false));
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      let g = t._g;
      if (t._backward !== null) {
        let owned = t._gOwned;
        t._g = null;
        if (g !== null) {
          if (t._hooks !== null) {
            const h = runHooks(t, g);
            if (h !== g) { g = h; owned = false; }
          }
          if (t._retainGrad && capture === null) t._addToGrad(g, false);
          grab(t, g);
          if (t._saved !== null) checkVersions(t);
          active = t;
          t._backward(g);
          active = null;
          // the rule is done with g: give it back unless it passed g on (unowned) to an input
          if (owned && !isSeed(g) && !passedOn(t, g)) release(g);
        }
        const done = early === null ? undefined : early.get(k);
        if (done !== undefined) for (const c of done) finishLeaf(c, mark);
      }
    }
    for (let k = 0; k < order.length; k++) {
      const t = order[k];
      if (t._backward !== null || t._g === null) continue;
      let g = t._g;
      let owned = t._gOwned;
      if (t._hooks !== null) {
        const h = runHooks(t, g);
        if (h !== g) { g = h; owned = false; }
      }
      if (capture !== null) grab(t, g);
      else {
        t._addToGrad(g, owned);
        const post = t._postAccHooks;
        if (post !== null) for (const h of [...post]) h(t);
      }
    }
    for (let i = 0; i < callbacks.length; i++) callbacks[i]();
  } finally {
    endCallbacks = outerCallbacks;
    active = null;
    // a rule that threw must not leave pending gradients for the next pass
    for (let k = 0; k < order.length; k++) order[k]._g = null;
  }
  return captured;
}
