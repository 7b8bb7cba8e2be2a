/** `nodegrad info --json`: what `nodegrad info` prints, as one JSON object for scripts. */
import * as ng from './index.js';
import { version } from './version.js';

export interface InfoJson {
  version: string;
  node: string;
  platform: string;
  arch: string;
  backend: string;
  backends: string[];
  threads: number;
  /** the loaded addon (null when it did not load) */
  native: ReturnType<typeof ng.nativeInfo>;
  /** why the addon did not load (empty when it did) */
  nativeLoadErrors: string[];
}

export function infoJson(): InfoJson {
  return {
    version, node: process.version, platform: process.platform, arch: process.arch,
    backend: ng.getBackend(), backends: [...ng.backends()], threads: ng.getNumThreads(),
    native: ng.nativeInfo(), nativeLoadErrors: ng.nativeLoadErrors(),
  };
}
