import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The kernel tests run once per ISA this machine can execute (NODEGRAD_ISA matrix): the default
 * project runs everything on the best ISA, and one extra project per lower ISA reruns test/kernels.
 * The ISA is fixed per process, and each test file runs in its own forked process.
 */
function lowerIsas(): string[] {
  const addon = path.join(path.dirname(fileURLToPath(import.meta.url)), 'build', 'Release', 'nodegrad.node');
  if (!fs.existsSync(addon)) return [];
  try {
    const mod = { exports: {} as { nativeInfo?: () => { bestIsa: string } } };
    process.dlopen(mod, addon);
    const best = mod.exports.nativeInfo?.().bestIsa;
    if (best === 'avx512') return ['avx2', 'scalar'];
    if (best === 'avx2' || best === 'neon') return ['scalar'];
  } catch {
    // the addon does not load here: the js fallback tests cover that case
  }
  return [];
}

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'] } },
      ...lowerIsas().map((isa) => ({
        extends: true as const,
        test: { name: `isa-${isa}`, include: ['test/kernels/**/*.test.ts', 'test/conformance/**/*.test.ts', 'test/conv/kernels.test.ts'], env: { NODEGRAD_ISA: isa } },
      })),
    ],
  },
});
