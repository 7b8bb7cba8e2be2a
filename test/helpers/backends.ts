/**
 * One test body, every backend (tfjs describeWithFlags / candle test_device!). A backend that lacks a
 * kernel the block needs is skipped by name, and every skip is counted and printed, so the count can
 * go to 0.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import {
  backendByName, backends, getBackend, nativeBinding, setBackend, setSmallOpRouting, type BackendName,
} from '../../lib/backend/registry.js';

/** Skips taken in this process: "title [backend]: reason". */
export const skips: string[] = [];
let printed = 0;

/** Kernels a backend does not implement yet among `kernels` (checked on the js files / native binding). */
export function missingKernels(name: BackendName, kernels: readonly string[]): string[] {
  const be = backendByName(name) as unknown as Record<string, unknown>;
  const missing = kernels.filter((k) => typeof be[k] !== 'function');
  if (name === 'js') return missing;
  const b = nativeBinding() as unknown as Record<string, unknown> | null;
  if (!b) return [...kernels];
  return kernels.filter((k) => typeof b[k] !== 'function');
}

/**
 * Runs `fn` inside one describe block per available backend, with that backend active for the block.
 * `kernels` lists the backend functions the block needs (a native binding lacking one → named skip).
 */
export function forEachBackend(title: string, kernels: readonly string[], fn: (backend: BackendName) => void): void {
  for (const name of backends()) {
    const missing = missingKernels(name, kernels);
    const label = `${title} [${name}]`;
    if (missing.length > 0) {
      skips.push(`${label}: backend lacks ${missing.join(', ')}`);
      describe.skip(`${label} (skipped: backend lacks ${missing.join(', ')})`, () => fn(name));
      continue;
    }
    describe(label, () => {
      let prev: BackendName;
      beforeAll(() => {
        prev = getBackend();
        setBackend(name);
      });
      afterAll(() => {
        setBackend(prev);
        const n = skips.length;
        if (skips.length > printed) console.warn(`backend skips (${skips.length}):\n  ${skips.join('\n  ')}`);
        printed = n;
      });
      fn(name);
    });
  }
}

/**
 * Keeps every call of this test file on the native kernels, whatever its size: the native backend
 * otherwise runs calls on tiny tensors with the js kernels (lib/backend/native/small.ts), and a
 * native-vs-js comparison at sizes 1, 7, 17 would compare js with itself. Call at a file's top level.
 */
export function nativeKernelsOnly(): void {
  let prev = false;
  beforeAll(() => {
    prev = setSmallOpRouting(false);
  });
  afterAll(() => {
    setSmallOpRouting(prev);
  });
}

/** Runs fn with the js backend active (the reference), restoring the previous backend. */
export function onJs<T>(fn: () => T): T {
  const prev = getBackend();
  setBackend('js');
  try {
    return fn();
  } finally {
    setBackend(prev);
  }
}

/** Every kernel name of the Backend contract. */
export const ALL_KERNELS = ['gemm', 'unary', 'unaryBackward', 'binary', 'reduce', 'copy', 'softmax', 'softmaxBackward'] as const;
