/**
 * The application's @tensorflow/tfjs-core and @tensorflow/tfjs-backend-cpu, loaded once (peer
 * dependencies, 4.22.x), plus the check that only one copy of tfjs-core is in the process: two copies
 * share the engine and the kernel registry through globals but not their classes, so tensors, the
 * Optimizer base class and the backend would silently disagree.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as cpu from '@tensorflow/tfjs-backend-cpu';

export { tf, cpu };

const SUPPORTED = /^4\.22\./;

/** Paths of every CommonJS copy of tfjs-core that Node has loaded (ESM copies are invisible here). */
function loadedCoreCopies(): string[] {
  const seen = new Set<string>();
  const cache = typeof require !== 'undefined' && require.cache ? require.cache : {};
  for (const file of Object.keys(cache)) {
    const m = /^(.*[\\/]@tensorflow[\\/]tfjs-core)[\\/]dist[\\/]tf-core(\.node|\.min|\.es2017|\.fesm)?(\.min)?\.js$/.exec(file);
    if (m) seen.add(m[1]);
  }
  return [...seen];
}

/**
 * Throws an Error naming the problem when tfjs-core is not 4.22.x or when a second copy of it is
 * loaded. Called at load and again when the backend is created (the application may load its copy
 * after nodegrad/tfjs).
 */
export function checkTfjsCore(): void {
  const version = (tf as { version_core?: string }).version_core ?? '(unknown)';
  if (!SUPPORTED.test(version)) {
    throw new Error(`nodegrad/tfjs: @tensorflow/tfjs-core ${version} is not supported (it needs 4.22.x)`);
  }
  // The engine and its Environment are created by the first copy that loads; a later copy reuses
  // them. If ours did not create them, another copy is in the process.
  if (!(tf.env() instanceof tf.Environment)) {
    throw new Error(
      'nodegrad/tfjs: a second copy of @tensorflow/tfjs-core is loaded (its engine was created by another ' +
        'copy than the one nodegrad/tfjs resolves). Deduplicate it (npm dedupe; one @tensorflow/tfjs-core ' +
        'in node_modules) so that the application and nodegrad/tfjs share one copy.',
    );
  }
  const copies = loadedCoreCopies();
  if (copies.length > 1) {
    throw new Error(
      `nodegrad/tfjs: ${copies.length} copies of @tensorflow/tfjs-core are loaded (${copies.join(', ')}). ` +
        'Deduplicate them (npm dedupe) so that the application and nodegrad/tfjs share one copy.',
    );
  }
}
