import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/dist.js';

// The objdump audit that `npm run prebuild` runs on every binary (docs/prebuilds.md): it must refuse
// a binary above the glibc 2.28 / GLIBCXX_3.4.25 floor. A source build on this machine (Debian 12:
// glibc 2.36, GCC 12, no pins) is one; the prebuilds, built with native/compat/glibc_floor.h, are not.
const prebuild = createRequire(__filename)(path.join(repoRoot, 'scripts', 'prebuild.cjs')) as {
  audit: (arch: string, file: string) => { needed: string[]; max: Record<string, string> };
  FLOOR: Record<string, string>;
};
const sourceBuild = path.join(repoRoot, 'build', 'Release', 'nodegrad.node');
const hasObjdump = spawnSync('objdump', ['--version']).status === 0;
const why = process.platform !== 'linux' || process.arch !== 'x64' ? `the audit targets linux-x64/arm64; this is ${process.platform}-${process.arch}`
  : !hasObjdump ? 'objdump not found (apt-get install binutils)' : null;

describe.skipIf(why !== null)(`prebuild audit${why ? ` (skipped: ${why})` : ''}`, () => {
  it('promises Node 20\'s floor', () => {
    expect(prebuild.FLOOR).toMatchObject({ GLIBC: '2.28', GLIBCXX: '3.4.25' });
  });

  it('refuses a binary that needs newer symbol versions, naming them', (ctx) => {
    if (!fs.existsSync(sourceBuild)) ctx.skip(`${sourceBuild} is not built (npm run build:native)`);
    const needs = spawnSync('objdump', ['-T', sourceBuild], { encoding: 'utf8' }).stdout;
    if (!/GLIBC_2\.(29|3\d)|GLIBCXX_3\.4\.(2[6-9]|3\d)/.test(needs)) ctx.skip('this source build happens to be within the floor (an older toolchain)');
    expect(() => prebuild.audit('x64', sourceBuild)).toThrow(/needs symbol versions above the floor .*(GLIBC_2\.(29|3\d)|GLIBCXX_3\.4\.(2[6-9]|3\d))/);
  });

  it('refuses a binary of the wrong machine', (ctx) => {
    if (!fs.existsSync(sourceBuild)) ctx.skip(`${sourceBuild} is not built (npm run build:native)`);
    if (spawnSync('aarch64-linux-gnu-objdump', ['--version']).status !== 0) ctx.skip('aarch64-linux-gnu-objdump not found (apt-get install binutils-aarch64-linux-gnu)');
    expect(() => prebuild.audit('arm64', sourceBuild)).toThrow(/expected aarch64/);
  });

  for (const [arch, folder] of [['x64', 'linux-x64'], ['arm64', 'linux-arm64']] as const) {
    it(`passes the ${folder} prebuild`, (ctx) => {
      const file = path.join(repoRoot, 'prebuilds', folder, 'nodegrad.glibc.node');
      if (!fs.existsSync(file)) ctx.skip(`${file} is not built (npm run prebuild)`);
      if (arch === 'arm64' && spawnSync('aarch64-linux-gnu-objdump', ['--version']).status !== 0) ctx.skip('aarch64-linux-gnu-objdump not found');
      const r = prebuild.audit(arch, file);
      expect(r.max.GLIBC).toBeDefined();
      expect(r.needed).toContain('libc.so.6');
    });
  }
});
