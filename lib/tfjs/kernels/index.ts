/** Every native kernel of the 'nodegrad' tfjs backend (the cpu backend's serve the rest). */
import type { tf } from '../core.js';

export const NATIVE_KERNELS: Omit<tf.KernelConfig, 'backendName'>[] = [];
