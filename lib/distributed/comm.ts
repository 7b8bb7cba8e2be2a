/**
 * `ng.distributed`: collectives across the processes of an Open MPI job (`mpirun -np N node train.js`),
 * over the optional addon build/Release/nodegrad_mpi.node (native/mpi, built when mpicxx exists).
 * The addon is loaded only by init(): the main addon and the js backend never depend on it.
 *
 * Every collective is synchronous and in place, and must be called by every rank in the same order
 * (MPI's rule). The addon runs MPI on one communication thread of its own (MPI_THREAD_FUNNELED);
 * DistributedDataParallel also uses its asynchronous all-reduce to overlap communication with backward.
 * At a clean exit (code 0) MPI is finalised; a process that exits with an error skips MPI_Finalize, so
 * mpirun sees a rank die without finalising and ends the whole job (no rank hangs in a collective).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from '../backend/native/load.js';
import { getNumThreads } from '../backend/registry.js';
import { Tensor } from '../tensor.js';
import { checkOptions } from '../util/options.js';
import { setDistributedState } from './state.js';

/** The typed surface of native/mpi/mpi_binding.cc. */
export interface MpiBinding {
  init(): { rank: number; size: number; threadLevel: string; version: string };
  /** op: 0 sum, 1 max, 2 min, 3 logical or; mean (float32 only) divides the sum by the world size */
  allReduce(data: Float32Array | Int32Array | Uint8Array, op: number, mean: boolean): void;
  allReduceAsync(data: Float32Array | Int32Array | Uint8Array, op: number, mean: boolean): number;
  wait(handle: number): void;
  broadcast(data: Float32Array | Int32Array | Uint8Array, root: number): void;
  allGather(src: Float32Array | Int32Array | Uint8Array, dst: Float32Array | Int32Array | Uint8Array): void;
  barrier(): void;
  finalize(): void;
  state(): 'uninitialised' | 'initialised' | 'finalised';
}

const FUNCTIONS = ['init', 'allReduce', 'allReduceAsync', 'wait', 'broadcast', 'allGather', 'barrier', 'finalize', 'state'] as const;

/** Where the MPI addon is looked for (NODEGRAD_MPI_ADDON_PATH overrides). */
export function mpiAddonPath(): string {
  const forced = process.env.NODEGRAD_MPI_ADDON_PATH;
  return forced ? path.resolve(forced) : path.join(packageRoot(), 'build', 'Release', 'nodegrad_mpi.node');
}

const LAUNCH_HINT =
  'launch every rank with Open MPI, e.g. `mpirun -np 2 node train.js` (as root add --allow-run-as-root; ' +
  'on one machine add --bind-to none; see the README section "Data-parallel training")';

let binding: MpiBinding | null = null;
let info: { rank: number; size: number; threadLevel: string; version: string } | null = null;

/** Which launcher started this process, from the environment it sets; null when none did. */
export function launcher(): string | null {
  const e = process.env;
  if (e.OMPI_COMM_WORLD_SIZE !== undefined) return 'Open MPI (OMPI_COMM_WORLD_SIZE)';
  if (e.PMIX_RANK !== undefined) return 'PMIx (PMIX_RANK)';
  return null;
}

function loadBinding(): MpiBinding {
  if (binding !== null) return binding;
  const file = mpiAddonPath();
  const launched = launcher() !== null;
  if (!fs.existsSync(file)) {
    throw new Error(
      `distributed.init: the MPI addon is not built (${file} not found). Install Open MPI ` +
      `(Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) and run \`npm run build:mpi\`` +
      (launched ? '' : `; then ${LAUNCH_HINT}`),
    );
  }
  const mod = { exports: {} as Record<string, unknown> };
  try {
    process.dlopen(mod, file);
  } catch (e) {
    throw new Error(`distributed.init: the MPI addon ${file} does not load: ${(e as Error).message.split('\n')[0]} (rebuild it with \`npm run build:mpi\`)`);
  }
  const missing = FUNCTIONS.filter((k) => typeof mod.exports[k] !== 'function');
  if (missing.length > 0) throw new Error(`distributed.init: the MPI addon ${file} lacks ${missing.join(', ')} (stale build? run npm run build:mpi)`);
  binding = mod.exports as unknown as MpiBinding;
  return binding;
}

/**
 * Joins the job: MPI_Init_thread on the addon's communication thread. Returns this rank and the world
 * size. Calling it again returns the same. Throws an Error saying why when the MPI addon is not built
 * or the process was not launched by mpirun (Open MPI would otherwise run it as a lone 1-rank world).
 */
export function init(): { rank: number; worldSize: number } {
  if (info !== null) return { rank: info.rank, worldSize: info.size };
  if (launcher() === null) {
    const built = fs.existsSync(mpiAddonPath());
    throw new Error(
      `distributed.init: this process was not launched by mpirun (OMPI_COMM_WORLD_SIZE is not set)` +
      (built ? '' : ` and the MPI addon is not built (install Open MPI, then \`npm run build:mpi\`)`) + `; ${LAUNCH_HINT}`,
    );
  }
  const b = loadBinding();
  yieldWhenBusy();
  info = b.init();
  setDistributedState(info.rank, info.size);
  process.on('exit', (code) => {
    // a rank leaving with an error must not enter MPI_Finalize (a collective fence): mpirun ends the job
    if (code === 0 && b.state() === 'initialised') b.finalize();
  });
  return { rank: info.rank, worldSize: info.size };
}

/**
 * Open MPI waits by spinning. When this node's ranks, each with its compute threads and its
 * communication thread, outnumber the cores, a spinning rank steals the CPU from the rank it waits for:
 * measured on 2 cores with 2 ranks × 1 thread, an MLP step took 87 ms spinning and 8 ms yielding
 * (docs/distributed.md). Then, unless the user set it, ask Open MPI to yield (mpi_yield_when_idle),
 * before MPI_Init reads its parameters from the environment.
 */
function yieldWhenBusy(): void {
  const e = process.env;
  if (e.OMPI_MCA_mpi_yield_when_idle !== undefined) return;
  const local = Number(e.OMPI_COMM_WORLD_LOCAL_SIZE ?? 1);
  const threads = getNumThreads();
  if (Number.isFinite(local) && local * (threads + 1) > os.cpus().length) e.OMPI_MCA_mpi_yield_when_idle = '1';
}

function need(who: string): MpiBinding {
  if (binding === null || info === null) throw new Error(`distributed.${who}: call ng.distributed.init() first (the process group is not initialised)`);
  if (binding.state() !== 'initialised') throw new Error(`distributed.${who}: MPI has been finalised`);
  return binding;
}

/** This process's rank, 0 … worldSize − 1. */
export function getRank(): number {
  need('getRank');
  return info!.rank;
}

/** Number of processes in the job. */
export function getWorldSize(): number {
  need('getWorldSize');
  return info!.size;
}

/** The MPI library's version string and the thread level it granted. */
export function mpiInfo(): { version: string; threadLevel: string } {
  need('mpiInfo');
  return { version: info!.version, threadLevel: info!.threadLevel };
}

export type ReduceOp = 'sum' | 'mean' | 'max' | 'min';

/** The addon's op code for `op` on `dtype` (bool: sum and max are logical or, min logical and via min). */
function opCode(op: ReduceOp, dtype: Tensor['dtype'], who: string): { code: number; mean: boolean } {
  switch (op) {
    case 'sum': return { code: dtype === 'bool' ? 3 : 0, mean: false };
    case 'max': return { code: 1, mean: false };
    case 'min': return { code: 2, mean: false };
    case 'mean':
      if (dtype !== 'float32') throw new TypeError(`distributed.${who}: op 'mean' needs a float32 tensor (got ${dtype}; an integer mean would be truncated): cast it first, or use 'sum'`);
      return { code: 0, mean: true };
    default:
      throw new RangeError(`distributed.${who}: unknown op '${String(op)}'; use 'sum', 'mean', 'max' or 'min'`);
  }
}

function checkTensor(t: unknown, who: string): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`distributed.${who}: expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  return t;
}

/** Runs `fn` on a contiguous array of t's elements and writes the result back into t (its views see it). */
function inPlace(t: Tensor, fn: (a: Float32Array | Int32Array | Uint8Array) => void): void {
  if (t._contig) {
    fn(t.data as unknown as Float32Array);
    t._storage.version++;
  } else {
    const copy = t.data; // a fresh contiguous copy of a strided view
    fn(copy);
    t.data = copy;
  }
}

/**
 * Reduces `tensor` across all ranks in place: every rank ends with the elementwise sum (default),
 * mean (float32), max or min. float32, int32 and bool (sum and max are logical or, min logical and).
 * Integer sums wrap as C ints do. Returns the tensor.
 */
export function allReduce(tensor: Tensor, o: { op?: ReduceOp } = {}): Tensor {
  const b = need('allReduce');
  const t = checkTensor(tensor, 'allReduce');
  checkOptions(o, ['op'], 'distributed.allReduce');
  const { code, mean } = opCode(o.op ?? 'sum', t.dtype, 'allReduce');
  inPlace(t, (a) => b.allReduce(a, code, mean));
  return t;
}

/** Copies rank `root`'s `tensor` into the same tensor on every rank (same shape and dtype everywhere). Returns it. */
export function broadcast(tensor: Tensor, root = 0): Tensor {
  const b = need('broadcast');
  const t = checkTensor(tensor, 'broadcast');
  if (!Number.isInteger(root) || root < 0 || root >= info!.size) {
    throw new RangeError(`distributed.broadcast: root must be an integer rank in [0, ${info!.size - 1}], got ${String(root)}`);
  }
  inPlace(t, (a) => b.broadcast(a, root));
  return t;
}

/**
 * Every rank's `tensor` (same shape and dtype on every rank), stacked: a new tensor of shape
 * [worldSize, ...tensor.shape] whose row r is rank r's tensor.
 */
export function allGather(tensor: Tensor): Tensor {
  const b = need('allGather');
  const t = checkTensor(tensor, 'allGather');
  const src = t.data as unknown as Float32Array | Int32Array | Uint8Array;
  const Ctor = src.constructor as Float32ArrayConstructor;
  const dst = new Ctor(src.length * info!.size);
  b.allGather(src, dst);
  return new Tensor(dst as unknown as Float32Array, [info!.size, ...t.shape]);
}

/** Waits until every rank has reached this call. */
export function barrier(): void {
  need('barrier').barrier();
}

/** @internal the loaded addon, for DistributedDataParallel's asynchronous bucket all-reduce */
export function _binding(who: string): MpiBinding {
  return need(who);
}
