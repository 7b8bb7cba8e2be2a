/**
 * The `'nodegrad'` tfjs backend: the cpu backend's storage (one record of JS-owned typed arrays per
 * dataId), so every cpu kernel runs on it unchanged, with the hot kernels replaced by native ones
 * (./kernels). The "install tfjs-node" banner the cpu backend prints on first use is dropped.
 *
 * Buffer reuse. A fresh 800 KB Float32Array costs more than the native kernel that fills it (page
 * faults and zeroing), and tfjs disposes tensors deterministically, so the buffers the native kernels
 * allocate (`alloc`) go back to nodegrad's exact-length pool (lib/util/alloc.ts) when their last
 * tensor is disposed — but only when nobody else can still reach them:
 *  - every record that shares the buffer (cpu kernels such as Slice store subarray views of their
 *    input) has been disposed: a live count per ArrayBuffer, kept by write/move/disposeData;
 *  - the buffer never escaped to the application: readSync/read (dataSync, data, arraySync, buffer)
 *    return the stored array itself, so a buffer that was read is never reused.
 * Buffers the application made (tf.tensor(userArray)) are never pooled.
 */
import { cpu, tf } from './core.js';
import { emptyF32, release, zerosF32 } from '../util/alloc.js';

export const BACKEND_NAME = 'nodegrad';

type Values = tf.backend_util.BackendValues;

export class NodegradBackend extends cpu.MathBackendCPU {
  /** ArrayBuffers of the arrays alloc() handed out → the whole array */
  private readonly owned = new WeakMap<ArrayBufferLike, Float32Array>();
  /** live records per owned ArrayBuffer */
  private readonly live = new Map<ArrayBufferLike, number>();
  /** owned buffers the application may hold (read through readSync) */
  private readonly escaped = new WeakSet<ArrayBufferLike>();

  constructor() {
    super();
    // MathBackendCPU prints a "use tfjs-node" banner on its first write under Node.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** The stored values of a float32 tensor when they are a Float32Array (else null: use the cpu kernel). */
  f32(t: tf.TensorInfo): Float32Array | null {
    if (t.dtype !== 'float32') return null;
    const v = this.data.get(t.dataId)?.values;
    return v instanceof Float32Array ? v : null;
  }

  /** An output buffer of n floats for a native kernel: zero-filled when `zero`, else to be overwritten in full. */
  alloc(n: number, zero = false): Float32Array {
    const a = zero ? zerosF32(n) : emptyF32(n);
    this.owned.set(a.buffer, a);
    return a;
  }

  /** Gives back a buffer from alloc() that no tensor holds (a kernel's temporary). */
  releaseTemp(a: Float32Array): void {
    if (this.live.has(a.buffer)) return; // a tensor holds it after all
    this.owned.delete(a.buffer);
    release(a);
  }

  /** A new float32 tensor over `values` (which the kernel allocated and filled). */
  out(shape: number[], values: Float32Array): tf.TensorInfo {
    return this.makeTensorInfo(shape, 'float32', values);
  }

  private track(values: Values | undefined, delta: number): void {
    const buf = (values as { buffer?: ArrayBufferLike } | undefined)?.buffer;
    if (buf === undefined || !this.owned.has(buf)) return;
    const n = (this.live.get(buf) ?? 0) + delta;
    if (n > 0) {
      this.live.set(buf, n);
      return;
    }
    this.live.delete(buf);
    const whole = this.owned.get(buf)!;
    this.owned.delete(buf);
    if (!this.escaped.has(buf)) release(whole);
  }

  override write(values: Values, shape: number[], dtype: tf.DataType): tf.DataId {
    const id = super.write(values, shape, dtype);
    this.track(values, +1);
    return id;
  }

  override move(dataId: tf.DataId, values: Values, shape: number[], dtype: tf.DataType, refCount: number): void {
    super.move(dataId, values, shape, dtype, refCount);
    this.track(values, +1);
  }

  override readSync(dataId: tf.DataId): Values {
    const v = this.data.get(dataId)?.values as { buffer?: ArrayBufferLike } | undefined;
    if (v?.buffer !== undefined) this.escaped.add(v.buffer);
    return super.readSync(dataId);
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const rec = this.data.has(dataId) ? this.data.get(dataId) : undefined;
    const freed = super.disposeData(dataId, force);
    if (freed && rec !== undefined) this.track(rec.values, -1);
    return freed;
  }
}
