/**
 * nodegrad/tfjs — a native backend for TensorFlow.js. `require('nodegrad/tfjs')` (or
 * `import 'nodegrad/tfjs'`) registers backend 'nodegrad' with the application's @tensorflow/tfjs-core
 * (4.22.x, one copy); `await tf.setBackend('nodegrad')` (or `tf.ready()`, which picks it by priority)
 * then runs tfjs and tfjs-layers code on nodegrad's native kernels. It also routes `file://` URLs of
 * tf.io to the file system and registers a progress logger for `fit({verbose: 1})`, as tfjs-node does.
 * Opt-ins beyond the kernel registry: `adam()` (a fused Adam tf.Optimizer) and
 * `softmaxCrossEntropy` (a fused loss on logits).
 */
import { registerNodegradBackend, nativeKernelNames, PRIORITY } from './register.js';
import { registerFileRouters } from './io.js';
import { registerProgbarLogger, makeProgbarLogger } from './progbar.js';

export { BACKEND_NAME, NodegradBackend } from './backend.js';
export { adam, NodegradAdam } from './adam.js';
export { softmaxCrossEntropy } from './loss.js';
export { fileSystem } from './io.js';
export { nativeKernelNames, PRIORITY, makeProgbarLogger };

registerNodegradBackend();
registerFileRouters();
registerProgbarLogger();
