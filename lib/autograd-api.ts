/**
 * `ng.autograd`: gradients as values (torch.autograd.grad) and the grad-mode helpers.
 * First-order only: the returned gradients carry no graph (createGraph is refused).
 */
import { enableGrad, isGradEnabled, noGrad, runBackward, setGradEnabled } from './autograd.js';
import { Tensor } from './tensor.js';
import { checkOptions } from './util/options.js';
import { fmtShape, shapesEqual } from './util/shape.js';

export interface GradOptions {
  /** the gradient of each output (default: 1 for one-element outputs) */
  gradOutputs?: Tensor | readonly (Tensor | null | undefined)[] | null;
  /** accepted for PyTorch code; the graph is always kept */
  retainGraph?: boolean;
  /** higher-order gradients are not supported: true throws */
  createGraph?: boolean;
  /** return null for an input the outputs do not depend on, instead of throwing */
  allowUnused?: boolean;
}

const KNOWN = ['gradOutputs', 'retainGraph', 'createGraph', 'allowUnused'];

/**
 * d(Σ outputs·gradOutputs)/d(inputs), without touching any .grad. Returns one gradient per input
 * (null only with allowUnused, for an input the outputs do not depend on).
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  checkOptions(opts, KNOWN, 'grad');
  if (opts.createGraph) throw new Error('grad: createGraph is not supported (nodegrad computes first-order gradients)');
  const outs = outputs instanceof Tensor ? [outputs] : [...(outputs as readonly Tensor[])];
  const ins = inputs instanceof Tensor ? [inputs] : [...(inputs as readonly Tensor[])];
  if (outs.length === 0 || ins.length === 0) throw new Error('grad: outputs and inputs must be non-empty');
  for (const t of [...outs, ...ins]) if (!(t instanceof Tensor)) throw new TypeError('grad: outputs and inputs must be Tensors');
  for (const x of ins) if (!x.requiresGrad) throw new Error('grad: one of the differentiated Tensors does not require grad');
  const go = opts.gradOutputs === undefined || opts.gradOutputs === null ? outs.map(() => null) : opts.gradOutputs instanceof Tensor ? [opts.gradOutputs] : [...opts.gradOutputs];
  if (go.length !== outs.length) throw new Error(`grad: ${go.length} gradOutputs for ${outs.length} outputs`);
  const roots: Tensor[] = [];
  const seeds: Float32Array[] = [];
  outs.forEach((o, i) => {
    if (!o.requiresGrad) throw new Error('grad: one of the outputs does not require grad (no path to the inputs)');
    const g = go[i];
    if (g === null || g === undefined) {
      if (o.size !== 1) throw new Error(`grad: grad can be implicitly created only for scalar outputs; output ${i} has shape ${fmtShape(o.shape)}`);
      seeds.push(new Float32Array([1]));
    } else {
      if (!(g instanceof Tensor) || !shapesEqual(g.shape, o.shape)) throw new Error(`grad: gradOutputs[${i}] must be a tensor of shape ${fmtShape(o.shape)}`);
      seeds.push(Float32Array.from(g.data));
    }
    roots.push(o);
  });
  const got = runBackward(roots, seeds, ins)!;
  return got.map((g, i) => {
    if (g === null) {
      if (!opts.allowUnused) throw new Error('grad: one of the differentiated Tensors appears to not have been used in the graph; set allowUnused: true if this is the desired behavior');
      return null;
    }
    return new Tensor(g, ins[i].shape);
  });
}

export { enableGrad, isGradEnabled, noGrad, setGradEnabled };
