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
 * Runs fn without recording the graph (like `torch.no_grad()`), and returns its result. Synchronous
 * only: the previous mode is restored when fn returns, so an async fn's awaited parts would record.
 */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
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

/** Marks `out` as produced by an op with these inputs and backward rule. */
export function record(out: Tensor, inputs: Tensor[], backward: BackwardFn): Tensor {
  out.requiresGrad = true;
  out._inputs = inputs;
  out._backward = backward;
  return out;
}

const ONE = [1];

/**
 * Adds `buf` (the gradient w.r.t. t, t's extent) into t's pending gradient. `owned` says the caller
 * hands over a fresh buffer; otherwise buf is shared (e.g. the output gradient passed through) and is
 * never written.
 */
export function accumulate(t: Tensor, buf: Float32Array, owned: boolean): void {
  if (!t.requiresGrad) return;
  const g = t._g;
  if (g === null) {
    t._g = buf;
    t._gOwned = owned;
  } else if (t._gOwned) {
    current.binary(BinaryOp.add, g, ONE, buf, ONE, g, [g.length]);
  } else {
    const sum = new Float32Array(g.length);
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
  if (!t.requiresGrad || t._backward !== null || t._g !== null || t.grad === null) return null;
  const g = t.grad.data;
  if (g.length !== t.size || g.buffer === t.data.buffer) return null;
  for (const a of inputs) if (a.buffer === g.buffer) return null;
  return g;
}

let epoch = 0;

/** The backward pass from `root`, seeded with `seed` (root's extent; not written). */
export function runBackward(root: Tensor, seed: Float32Array): void {
  const mark = ++epoch;
  // iterative post-order DFS: order[] lists every tensor after all of its inputs
  const order: Tensor[] = [];
  const stack: Tensor[] = [root];
  const childIdx: number[] = [0];
  root._mark = mark;
  while (stack.length > 0) {
    const top = stack.length - 1;
    const t = stack[top];
    const inputs = t._inputs;
    const i = childIdx[top];
    if (inputs !== null && i < inputs.length) {
      childIdx[top] = i + 1;
      const c = inputs[i];
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
  try {
    accumulate(root, seed, false);
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = t._g;
      if (t._backward !== null) {
        t._g = null;
        if (g !== null) t._backward(g);
      }
    }
    for (let k = 0; k < order.length; k++) {
      const t = order[k];
      if (t._backward === null && t._g !== null) t._addToGrad(t._g, t._gOwned);
    }
  } finally {
    // a rule that threw must not leave pending gradients for the next pass
    for (let k = 0; k < order.length; k++) order[k]._g = null;
  }
}
