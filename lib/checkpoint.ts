/**
 * Gradient checkpointing, `ng.utils.checkpoint(fn, ...inputs)` (torch.utils.checkpoint.checkpoint with
 * use_reentrant=False, as far as our autograd allows): the forward runs fn without recording a graph, so none of
 * its intermediate activations stay alive; only the inputs (and the output) are kept. The output's backward rule
 * recomputes fn with recording on, from detached copies of the inputs, backpropagates the incoming gradient
 * through that fresh graph — which accumulates into every parameter used inside fn, as it would without
 * checkpointing — and hands the inputs' gradients on to the outer graph.
 *
 * Matching PyTorch:
 * - the global generator's state (ng.manualSeed; dropout masks, ...) is saved before the forward and restored for
 *   the recompute (then put back), so dropout inside fn draws the same masks both times (preserve_rng_state);
 * - an input modified in place between forward and backward is an Error (the version check of saved tensors);
 * - inputs that are not tensors are passed through unchanged; with grad mode off, fn simply runs.
 * Differences (documented): fn must return one Tensor; the output requires grad whenever grad mode is on,
 * because parameters used inside fn cannot be seen without recording (a Module passed as fn is checked instead);
 * under ng.autograd.grad the recompute still accumulates into those parameters' .grad; a generator other than
 * the global one is not restored.
 */
import { accumulate, enableGrad, isGradEnabled, noGrad, record, runBackward } from './autograd.js';
import { Module } from './nn/module.js';
import { getRngState, setRngState } from './random.js';
import { Tensor } from './tensor.js';
import { clone } from './ops/shape.js';

type Fn = ((...args: any[]) => Tensor) | Module;

function call(fn: Fn, args: unknown[]): Tensor {
  return fn instanceof Module ? fn.forward(...args) : fn(...args);
}

/**
 * Runs fn(...inputs) without keeping its activations; backward recomputes them. Use it on a block of a deep
 * network (`x = ng.utils.checkpoint(block, x)` or `ng.utils.checkpoint((t) => block.forward(t), x)`).
 */
export function checkpoint(fn: Fn, ...inputs: unknown[]): Tensor {
  if (typeof fn !== 'function' && !(fn instanceof Module)) throw new TypeError(`checkpoint: fn must be a function or an nn.Module, got ${fn === null ? 'null' : typeof fn}`);
  if (!isGradEnabled()) return call(fn, inputs);
  const rng = getRngState();
  let out = noGrad(() => call(fn, inputs));
  if (!(out instanceof Tensor)) throw new TypeError(`checkpoint: fn must return a Tensor, got ${out === null ? 'null' : Array.isArray(out) ? 'an array' : typeof out}`);
  const tensors = inputs.filter((x): x is Tensor => x instanceof Tensor);
  const needs = tensors.filter((x) => x.requiresGrad);
  const params = fn instanceof Module ? fn.parameters().some((p) => p.requiresGrad) : true;
  if (needs.length === 0 && !params) return out;
  if (out.dtype !== 'float32') return out;
  // the rule is recorded on out itself: it must not be (a view of) an input, or the input would take the node
  if (tensors.some((x) => x._storage === out._storage)) out = noGrad(() => clone(out));
  const shape = out.shape;
  return record(out, needs, (g) => {
    const now = getRngState();
    setRngState(rng);
    const leaves: Tensor[] = [];
    const args = inputs.map((x) => {
      if (!(x instanceof Tensor)) return x;
      const d = x.detach();
      if (x.requiresGrad) {
        d.requiresGrad = true;
        leaves.push(d);
      }
      return d;
    });
    let y: Tensor;
    try {
      y = enableGrad(() => call(fn, args));
    } finally {
      setRngState(now);
    }
    if (!(y instanceof Tensor) || y.shape.length !== shape.length || y.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`checkpoint: the recomputation returned shape [${y instanceof Tensor ? y.shape.join(', ') : typeof y}], the forward [${shape.join(', ')}] (fn must be deterministic)`);
    }
    if (y.requiresGrad) runBackward(y, g);
    let li = 0;
    for (const x of needs) {
      const d = leaves[li++];
      const dg = d._grad;
      if (dg === null) continue;
      d._grad = null;
      accumulate(x, dg._contig && dg._offset === 0 && dg.size === dg._storage.buf.length ? dg.data : Float32Array.from(dg.data), true);
    }
  }, tensors);
}
