/**
 * Registers backend 'nodegrad' with tfjs: a copy of every cpu kernel, then the native kernels in
 * their place. Priority 3 (cpu is 1, wasm 2), so `tf.ready()` picks it.
 */
import { tf, checkTfjsCore } from './core.js';
import { BACKEND_NAME, NodegradBackend } from './backend.js';
import { NATIVE_KERNELS } from './kernels/index.js';
import { nativeKernels } from './kernels/util.js';
import { nativeLoadErrors } from '../backend/registry.js';

export const PRIORITY = 3;

let registered = false;
const nativeNames: string[] = [];

/** Registers the backend once (later calls do nothing); returns whether native kernels are in use. */
export function registerNodegradBackend(): boolean {
  if (registered) return nativeNames.length > 0;
  checkTfjsCore();
  if (tf.findBackendFactory(BACKEND_NAME) != null) {
    throw new Error(`nodegrad/tfjs: a tfjs backend named '${BACKEND_NAME}' is already registered by something else`);
  }
  const native = nativeKernels();
  tf.registerBackend(
    BACKEND_NAME,
    () => {
      checkTfjsCore();
      if (native === null) {
        throw new Error(`nodegrad/tfjs: the native addon did not load (${nativeLoadErrors().join('; ')})`);
      }
      return new NodegradBackend();
    },
    PRIORITY,
  );
  tf.copyRegisteredKernels('cpu', BACKEND_NAME);
  if (native !== null) {
    for (const k of NATIVE_KERNELS) {
      if (tf.getKernel(k.kernelName, BACKEND_NAME)) tf.unregisterKernel(k.kernelName, BACKEND_NAME);
      tf.registerKernel({ ...k, backendName: BACKEND_NAME } as tf.KernelConfig);
      nativeNames.push(k.kernelName);
    }
  }
  registered = true;
  return nativeNames.length > 0;
}

/** Names of the kernels that run natively on 'nodegrad' (the rest are the cpu backend's). */
export function nativeKernelNames(): string[] {
  return [...nativeNames];
}
