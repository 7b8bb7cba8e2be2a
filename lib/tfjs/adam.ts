/**
 * A fused Adam for tfjs: `nodegradTfjs.adam(learningRate, beta1, beta2, epsilon)` is a tf.Optimizer
 * (so `model.compile({optimizer: adam(1e-3)})` accepts it) whose update of every variable is one
 * native call (nodegrad's adamStep) instead of tfjs's ~12 element-wise kernels per variable. The
 * same arithmetic as tf.train.adam (bias-corrected moments, epsilon outside the square root;
 * default epsilon 1e-7 as tfjs's). Moments live in Float32Arrays owned by the optimizer; each step
 * writes the new values into fresh buffers that the variables are assigned (never into a buffer tfjs
 * may alias). getWeights/setWeights carry the iteration count and the moments, so
 * `model.save` with `includeOptimizer` round-trips them.
 */
import { tf } from './core.js';

type NamedTensor = { name: string; tensor: tf.Tensor };
import { nativeKernels } from './kernels/util.js';
import { adamStep as jsAdamStep } from '../backend/js/fused.js';

interface Slot {
  m: Float32Array;
  v: Float32Array;
}

export class NodegradAdam extends tf.Optimizer {
  static get className(): string {
    // tfjs serialises optimizers by class name; saved models reload it as tfjs's own Adam
    return 'Adam';
  }

  private readonly slots = new Map<string, Slot>();
  private step = 0;

  constructor(
    readonly learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {
    super();
    for (const [k, v] of Object.entries({ learningRate, beta1, beta2, epsilon })) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`nodegradTfjs.adam: ${k} must be a finite number, got ${String(v)}`);
    }
    if (learningRate <= 0) throw new RangeError(`nodegradTfjs.adam: learningRate must be > 0, got ${learningRate}`);
    if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`nodegradTfjs.adam: beta1 must be in [0, 1), got ${beta1}`);
    if (!(beta2 >= 0 && beta2 < 1)) throw new RangeError(`nodegradTfjs.adam: beta2 must be in [0, 1), got ${beta2}`);
    if (!(epsilon > 0)) throw new RangeError(`nodegradTfjs.adam: epsilon must be > 0, got ${epsilon}`);
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const pairs: [string, tf.Tensor][] = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    const vars: tf.Variable[] = [];
    const params: Float32Array[] = [], grads: Float32Array[] = [], ms: Float32Array[] = [], vs: Float32Array[] = [];
    const registered = tf.engine().registeredVariables;
    for (const [name, grad] of pairs) {
      if (grad == null) continue; // tfjs skips variables without a gradient
      const variable = registered[name];
      if (variable == null) throw new Error(`nodegradTfjs.adam: no variable named '${name}'`);
      if (variable.dtype !== 'float32') throw new TypeError(`nodegradTfjs.adam: variable '${name}' is ${variable.dtype}; only float32 is supported`);
      let slot = this.slots.get(name);
      if (!slot) {
        slot = { m: new Float32Array(variable.size), v: new Float32Array(variable.size) };
        this.slots.set(name, slot);
      }
      vars.push(variable);
      // the update goes into a copy: the variable's own buffer may be aliased by the application
      params.push((variable.dataSync() as Float32Array).slice());
      const g = grad.dataSync();
      grads.push(g instanceof Float32Array ? g : Float32Array.from(g as ArrayLike<number>));
      ms.push(slot.m);
      vs.push(slot.v);
    }
    this.step++;
    if (vars.length > 0) {
      const nb = nativeKernels();
      if (nb) nb.adamStep(params, grads, ms, vs, this.learningRate, this.beta1, this.beta2, this.epsilon, 0, this.step, false);
      else jsAdamStep(params, grads, ms, vs, this.learningRate, this.beta1, this.beta2, this.epsilon, 0, this.step, false);
      for (let i = 0; i < vars.length; i++) {
        const next = tf.tensor(params[i], vars[i].shape, 'float32');
        vars[i].assign(next);
        next.dispose();
      }
    }
    this.incrementIterations();
  }

  override dispose(): void {
    this.slots.clear();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    for (const [name, s] of this.slots) {
      out.push({ name: `${name}/m`, tensor: tf.tensor(s.m.slice()) });
      out.push({ name: `${name}/v`, tensor: tf.tensor(s.v.slice()) });
    }
    return out;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.step = this.iterations;
    this.slots.clear();
    for (const w of rest) {
      const m = /^(.*)\/(m|v)$/.exec(w.name);
      if (!m) throw new Error(`nodegradTfjs.adam: unexpected optimizer weight '${w.name}'`);
      const values = Float32Array.from(w.tensor.dataSync() as Float32Array);
      const slot = this.slots.get(m[1]) ?? { m: new Float32Array(values.length), v: new Float32Array(values.length) };
      slot[m[2] as 'm' | 'v'] = values;
      this.slots.set(m[1], slot);
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict,
  ): T {
    return new (cls as unknown as typeof NodegradAdam)(
      config.learningRate as number, config.beta1 as number, config.beta2 as number, config.epsilon as number,
    ) as unknown as T;
  }
}

/** A fused Adam optimizer (see NodegradAdam). */
export function adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7): NodegradAdam {
  return new NodegradAdam(learningRate, beta1, beta2, epsilon);
}
