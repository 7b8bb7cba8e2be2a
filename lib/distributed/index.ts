/**
 * `ng.distributed`: collectives across the ranks of an Open MPI job (see comm.ts). Everything else in
 * this folder is internal.
 */
export { init, getRank, getWorldSize, allReduce, broadcast, allGather, barrier, mpiInfo, launcher, mpiAddonPath, type ReduceOp } from './comm.js';
export { isInitialized } from './state.js';
