/**
 * Which backends exist in this process and which one runs the kernels. The native addon is loaded
 * once, at import; when it cannot load, the library runs on `js` and says why, once, on stderr.
 */
import * as os from 'node:os';
import type { Backend } from './backend.js';
import { createJsBackend } from './js/index.js';
import { createNativeBackend, type NativeBackend } from './native/index.js';
import type { NativeBinding, NativeInfoRaw } from './native/binding.js';
import { loadNative } from './native/load.js';

export type BackendName = 'native' | 'js';

const registry = new Map<string, Backend>();
const js = createJsBackend();
registry.set('js', js);

const loaded = loadNative();
const binding: NativeBinding | null = loaded.binding;
/** NODEGRAD_SMALL_JS=0 (or false/off/no) keeps calls on tiny tensors on the native kernels too. */
const smallJs = !/^(0|false|off|no)$/i.test(process.env.NODEGRAD_SMALL_JS ?? '');
const native: NativeBackend | null = binding ? createNativeBackend(binding, { small: js, routing: smallJs }) : null;
if (native) registry.set('native', native);

let jsThreads = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);

function warn(message: string): void {
  process.emitWarning(message, { type: 'NodegradWarning', code: 'NODEGRAD_BACKEND' });
}

function initialBackend(): Backend {
  const requested = process.env.NODEGRAD_BACKEND;
  if (requested) {
    const b = registry.get(requested);
    if (b) return b;
    if (requested === 'native') {
      warn(`NODEGRAD_BACKEND=native, but the native addon did not load (${loaded.errors.join('; ')}); using js`);
    } else {
      warn(`NODEGRAD_BACKEND=${requested} is not one of ${[...registry.keys()].join(', ')}; using the default`);
    }
  }
  const native = registry.get('native');
  if (native) {
    const w = binding?.nativeInfo().isaWarning;
    if (w) warn(w);
    return native;
  }
  if (requested !== 'js') {
    warn(`the native addon did not load, so nodegrad runs on the slower js backend: ${loaded.errors.join('; ')}`);
  }
  return registry.get('js')!;
}

/** The active backend. Ops call `current.kernel(...)`; it is reassigned by setBackend. */
export let current: Backend = initialBackend();

/** Names of the backends usable in this process, fastest first, e.g. ['native', 'js']. */
export function backends(): BackendName[] {
  return (['native', 'js'] as const).filter((n) => registry.has(n));
}

/** The active backend's name. */
export function getBackend(): BackendName {
  return current.name as BackendName;
}

/** Switch the backend; an unknown or unavailable name throws an Error naming the available ones. */
export function setBackend(name: BackendName): void {
  const b = typeof name === 'string' ? registry.get(name) : undefined;
  if (!b) {
    const why = name === 'native' && !binding ? ` (the native addon did not load: ${loaded.errors.join('; ')})` : '';
    throw new Error(`setBackend: backend '${String(name)}' is not available${why}; available: ${backends().join(', ')}`);
  }
  current = b;
}

/** A backend by name (tests compare backends kernel by kernel). */
export function backendByName(name: BackendName): Backend {
  const b = registry.get(name);
  if (!b) throw new Error(`backend '${name}' is not available; available: ${backends().join(', ')}`);
  return b;
}

/**
 * Whether the native backend runs calls on tiny tensors with the js kernels, where an N-API call
 * would cost more than the work (on by default; NODEGRAD_SMALL_JS=0 at load turns it off). The
 * choice depends only on call shapes, so results stay deterministic. Kernel tests turn it off to
 * compare the native kernels with js at every size. Returns the previous setting (false without
 * the addon, where it does nothing).
 */
export function setSmallOpRouting(enabled: boolean): boolean {
  if (typeof enabled !== 'boolean') throw new TypeError(`setSmallOpRouting: argument 'enabled' must be a boolean, got ${String(enabled)}`);
  return native ? native.setSmallOpRouting(enabled) : false;
}

export function smallOpRouting(): boolean {
  return native ? native.smallOpRouting() : false;
}

/** Threads the native kernels use (default: the machine's cores, or NODEGRAD_NUM_THREADS). */
export function setNumThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 256) {
    throw new RangeError(`setNumThreads: n must be an integer in [1, 256], got ${String(n)}`);
  }
  if (binding) binding.setNumThreads(n);
  jsThreads = n;
}

export function getNumThreads(): number {
  return binding ? binding.getNumThreads() : jsThreads;
}

export interface NativeInfo {
  isa: NativeInfoRaw['isa'];
  /** the best ISA this CPU supports (isa may be lower when NODEGRAD_ISA forces it) */
  bestIsa: NativeInfoRaw['bestIsa'];
  bf16: boolean;
  threads: number;
  version: string;
  l1dBytes: number;
  l2Bytes: number;
  l3Bytes: number;
  /** the file the addon was loaded from */
  path: string;
}

/** What the loaded addon runs on, or null when it is not built / did not load. */
export function nativeInfo(): NativeInfo | null {
  if (!binding) return null;
  const r = binding.nativeInfo();
  return {
    isa: r.isa, bestIsa: r.bestIsa, bf16: r.bf16, threads: r.threads, version: r.version,
    l1dBytes: r.l1dBytes, l2Bytes: r.l2Bytes, l3Bytes: r.l3Bytes, path: loaded.path!,
  };
}

/** Why the native addon did not load (empty when it did). */
export function nativeLoadErrors(): string[] {
  return binding ? [] : [...loaded.errors];
}

/** The raw binding, for benchmarks and kernel tests (null without the addon). */
export function nativeBinding(): NativeBinding | null {
  return binding;
}
