/**
 * Whether this process joined a distributed job, and as which rank: read by fit (only rank 0 prints
 * and saves) and DistributedSampler without loading the MPI addon.
 */
let rank = 0;
let worldSize = 1;
let initialised = false;

/** @internal set by distributed.init() */
export function setDistributedState(r: number, size: number): void {
  rank = r;
  worldSize = size;
  initialised = true;
}

/** Whether ng.distributed.init() has succeeded in this process. */
export function isInitialized(): boolean {
  return initialised;
}

/** This process's rank, or 0 when not distributed. */
export function getRankOrZero(): number {
  return rank;
}

/** The world size, or 1 when not distributed. */
export function worldSizeOrOne(): number {
  return worldSize;
}
