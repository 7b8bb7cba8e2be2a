/** Every native kernel of the 'nodegrad' tfjs backend (the cpu backend's serve the rest). */
import type { tf } from '../core.js';
import { elementwiseKernels } from './elementwise.js';
import { matmulKernels } from './matmul.js';
import { softmaxReduceKernels } from './softmax-reduce.js';
import { convKernels } from './conv.js';
import { gatherKernels } from './gather.js';

export const NATIVE_KERNELS = [...matmulKernels, ...elementwiseKernels, ...softmaxReduceKernels, ...convKernels, ...gatherKernels] as unknown as Omit<
  tf.KernelConfig,
  'backendName'
>[];
