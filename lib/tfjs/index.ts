/**
 * nodegrad/tfjs — a native backend for TensorFlow.js. `require('nodegrad/tfjs')` (or
 * `import 'nodegrad/tfjs'`) registers backend 'nodegrad' with the application's @tensorflow/tfjs-core
 * (4.22.x, one copy); `await tf.setBackend('nodegrad')` (or `tf.ready()`, which picks it by priority)
 * then runs tfjs and tfjs-layers code on nodegrad's native kernels.
 */
import { registerNodegradBackend, nativeKernelNames, PRIORITY } from './register.js';

export { BACKEND_NAME, NodegradBackend } from './backend.js';
export { nativeKernelNames, PRIORITY };

registerNodegradBackend();
