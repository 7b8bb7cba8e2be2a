/**
 * Finds and loads the native addon the way sharp does: try each location in order, collect every
 * error, and report them all when none loads (the registry then falls back to `js`). The order:
 * NODEGRAD_ADDON_PATH alone when it is set; otherwise a local source build (build/Release, then
 * build/Debug), then the prebuilt binaries shipped in the package, prebuildify's layout:
 * `prebuilds/<platform>-<arch>[+<arch>...]/<name>[.<tag>...].node`, tags napi, abi<N>, uv<N>,
 * armv<N>, glibc|musl (prebuild/node-gyp-build's rules: a single-arch folder before a multi-arch one,
 * the most specific matching file first). scripts/build-native.cjs (npm install) calls
 * loadPrebuild() to decide whether it needs to compile at all.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BINDING_FUNCTIONS, type NativeBinding, type NativeInfoRaw } from './binding.js';
import { BINARYOP_NAMES, EPILOGUE_NAMES, REDUCEOP_NAMES, UNARYOP_NAMES } from '../ops.gen.js';

export interface LoadResult {
  binding: NativeBinding | null;
  /** where the addon came from, when it loaded */
  path: string | null;
  /** one line per location tried, when none loaded */
  errors: string[];
}

/** What a prebuild must match: this process unless a test says otherwise. */
export interface PrebuildTarget {
  platform: string;
  arch: string;
  /** 'glibc' | 'musl' on Linux, null elsewhere */
  libc: string | null;
  /** ARM architecture version ('8' on arm64), '' elsewhere */
  armv: string;
  /** process.versions.modules (a non-N-API build carries it as an abi<N> tag) */
  abi: string;
  /** libuv's major version */
  uv: string;
}

/**
 * glibc or musl, on Linux: the LIBC environment variable (as node-gyp-build reads it), else the
 * dynamic loader named in the node executable's program interpreter (its first page), else whether
 * Node's diagnostic report names a glibc runtime (a musl Node reports none; this costs ~50-100 ms).
 */
export function detectLibc(): string | null {
  if (process.platform !== 'linux') return null;
  const forced = process.env.LIBC;
  if (forced === 'glibc' || forced === 'musl') return forced;
  try {
    const head = Buffer.alloc(4096);
    const fd = fs.openSync(process.execPath, 'r');
    try {
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    const text = head.toString('latin1');
    if (text.includes('/ld-musl-')) return 'musl';
    if (text.includes('/ld-linux')) return 'glibc';
  } catch {
    // unreadable executable: ask the report
  }
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

export function currentTarget(): PrebuildTarget {
  const vars = (process.config?.variables ?? {}) as { arm_version?: string };
  return {
    platform: process.platform,
    arch: process.arch,
    libc: detectLibc(),
    armv: process.env.ARM_VERSION ?? (process.arch === 'arm64' ? '8' : process.arch === 'arm' ? String(vars.arm_version ?? '') : ''),
    abi: process.versions.modules,
    uv: (process.versions.uv ?? '').split('.')[0] ?? '',
  };
}

interface Tags {
  file: string;
  napi: boolean;
  runtime?: string;
  abi?: string;
  uv?: string;
  armv?: string;
  libc?: string;
  specificity: number;
}

function parseTags(file: string): Tags | null {
  const parts = file.split('.');
  if (parts.pop() !== 'node') return null;
  const tags: Tags = { file, napi: false, specificity: 0 };
  for (const tag of parts) {
    if (tag === 'node' || tag === 'electron' || tag === 'node-webkit') tags.runtime = tag;
    else if (tag === 'napi') tags.napi = true;
    else if (tag.startsWith('abi')) tags.abi = tag.slice(3);
    else if (tag.startsWith('uv')) tags.uv = tag.slice(2);
    else if (tag.startsWith('armv')) tags.armv = tag.slice(4);
    else if (tag === 'glibc' || tag === 'musl') tags.libc = tag;
    else continue; // the package name, or a tag this loader does not know
    tags.specificity++;
  }
  return tags;
}

/** Why a prebuild file's tags do not fit the target, or null when they do. */
function tagMismatch(t: Tags, target: PrebuildTarget): string | null {
  if (t.runtime && t.runtime !== 'node') return `built for ${t.runtime}`;
  if (t.abi && t.abi !== target.abi && !t.napi) return `built for Node ABI ${t.abi}, this is ${target.abi}`;
  if (t.uv && t.uv !== target.uv) return `built for libuv ${t.uv}, this is ${target.uv}`;
  if (t.armv && t.armv !== target.armv) return `built for armv${t.armv}, this is armv${target.armv || '?'}`;
  if (t.libc && t.libc !== target.libc) return `built for ${t.libc}, this is ${target.libc ?? process.platform}`;
  return null;
}

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/**
 * The prebuilt binaries to try for a target, best first, and a note for each file or folder that
 * was passed over (or why there is nothing to try), for the warning when none loads.
 */
export function prebuildCandidates(root: string, target: PrebuildTarget = currentTarget()): { files: string[]; notes: string[] } {
  const base = path.join(root, 'prebuilds');
  const folders = readdir(base)
    .map((name) => {
      const dash = name.indexOf('-');
      return dash > 0 ? { name, platform: name.slice(0, dash), arches: name.slice(dash + 1).split('+') } : null;
    })
    .filter((f): f is { name: string; platform: string; arches: string[] } =>
      f !== null && f.platform === target.platform && f.arches.includes(target.arch) && fs.statSync(path.join(base, f.name)).isDirectory())
    .sort((a, b) => a.arches.length - b.arches.length);
  const wanted = `${target.platform}-${target.arch}${target.libc ? ` (${target.libc})` : ''}`;
  if (folders.length === 0) {
    const have = readdir(base).filter((n) => n.includes('-'));
    return { files: [], notes: [`${base}${path.sep}${target.platform}-${target.arch}: no prebuild for ${wanted}${have.length ? ` (the package has ${have.join(', ')})` : ''}`] };
  }
  const files: string[] = [];
  const notes: string[] = [];
  for (const folder of folders) {
    const dir = path.join(base, folder.name);
    const tagged = readdir(dir).map(parseTags).filter((t): t is Tags => t !== null);
    const fit: Tags[] = [];
    for (const t of tagged) {
      const why = tagMismatch(t, target);
      if (why) notes.push(`${path.join(dir, t.file)}: skipped (${why})`);
      else fit.push(t);
    }
    fit.sort((a, b) => (a.abi ? 0 : 1) - (b.abi ? 0 : 1) || b.specificity - a.specificity || (a.file < b.file ? -1 : 1));
    files.push(...fit.map((t) => path.join(dir, t.file)));
    if (tagged.length === 0) notes.push(`${dir}: no .node file`);
  }
  return { files, notes };
}

const ELF_MACHINES: Record<number, string> = { 3: 'ia32', 8: 'mips', 20: 'ppc', 21: 'ppc64', 22: 's390x', 40: 'arm', 62: 'x64', 183: 'arm64', 243: 'riscv64', 258: 'loong64' };

/**
 * On Linux, why a file's ELF headers say it cannot load into this process, or null: not ELF, built
 * for another machine, or truncated (shorter than its program or section headers or a loadable
 * segment claim: dlopen would map past the end and die of SIGBUS instead of throwing).
 */
export function elfMismatch(file: string, arch: string = process.arch): string | null {
  if (process.platform !== 'linux') return null;
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(64);
    const n = fs.readSync(fd, head, 0, 64, 0);
    if (n < 52 || head.readUInt32BE(0) !== 0x7f454c46 || (head[4] !== 1 && head[4] !== 2) || (head[5] !== 1 && head[5] !== 2)) {
      return 'not an ELF shared object (corrupt, truncated, or not a Linux build)';
    }
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const word = (b: Buffer, o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
    const machine = u16(head, 18);
    const name = ELF_MACHINES[machine] ?? `ELF machine ${machine}`;
    if (name !== arch) return `built for ${name}, this process is ${arch}`;
    if (is64 && n < 64) return 'truncated (the ELF header is incomplete)';
    const [phoff, shoff] = is64 ? [word(head, 32), word(head, 40)] : [word(head, 28), word(head, 32)];
    const [phentsize, phnum, shentsize, shnum] = is64 ? [u16(head, 54), u16(head, 56), u16(head, 58), u16(head, 60)] : [u16(head, 42), u16(head, 44), u16(head, 46), u16(head, 48)];
    const need = Math.max(phoff + phentsize * phnum, shoff + shentsize * shnum);
    if (need > size) return `truncated: ${size} bytes, its headers reach byte ${need}`;
    const ph = Buffer.alloc(phentsize * phnum);
    fs.readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      if (u32(ph, o) !== 1) continue; // PT_LOAD
      const end = is64 ? word(ph, o + 8) + word(ph, o + 32) : word(ph, o + 4) + word(ph, o + 16);
      if (end > size) return `truncated: ${size} bytes, a loadable segment ends at byte ${end}`;
    }
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Why a prebuild's bytes differ from the sha256 that prebuilds/manifest.json (written by
 * scripts/prebuild.cjs) records for it, or null (also when the manifest has no entry for it).
 */
export function manifestMismatch(file: string): string | null {
  const dir = path.dirname(path.dirname(file));
  let manifest: { files?: Record<string, { sha256?: string }> };
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as typeof manifest;
  } catch {
    return null;
  }
  const key = path.relative(dir, file).split(path.sep).join('/');
  const want = manifest.files?.[key]?.sha256;
  if (!want) return null;
  const got = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  return got === want ? null : `its sha256 ${got.slice(0, 12)}… is not the ${want.slice(0, 12)}… of prebuilds/manifest.json (corrupt or modified)`;
}

/** The package root: the nearest folder above this file whose package.json is nodegrad's. */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'nodegrad') return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(__dirname, '..', '..', '..');
    dir = up;
  }
}


/**
 * Why this addon's op tables differ from the TypeScript ones (both generated from spec/ops.json),
 * or null when they agree. An addon built from another spec would run the wrong kernel for a code.
 */
export function opTableMismatch(info: NativeInfoRaw): string | null {
  const ops = info.ops;
  if (!ops) return 'it reports no op tables (built before spec/ops.json)';
  const want: [string, readonly string[]][] = [['unary', UNARYOP_NAMES], ['binary', BINARYOP_NAMES], ['reduce', REDUCEOP_NAMES], ['epilogue', EPILOGUE_NAMES]];
  for (const [k, names] of want) {
    const got = (ops as Record<string, string[] | undefined>)[k] ?? [];
    if (got.length !== names.length || got.some((n, i) => n !== names[i])) {
      return `its ${k} ops are [${got.join(', ')}] but lib/backend/ops.gen.ts has [${names.join(', ')}]`;
    }
  }
  return null;
}

/** Loads one file: the binding, or why it is unusable. */
function tryLoad(file: string, prebuilt: boolean): NativeBinding | string {
  if (!fs.existsSync(file)) return 'not found';
  try {
    const elf = elfMismatch(file);
    if (elf) return elf;
    const sum = prebuilt ? manifestMismatch(file) : null;
    if (sum) return sum;
    const mod = { exports: {} as Record<string, unknown> };
    process.dlopen(mod, file);
    const missing = BINDING_FUNCTIONS.filter((k) => typeof mod.exports[k] !== 'function');
    if (missing.length > 0) return `loaded, but lacks ${missing.join(', ')} (stale build? run npm run build:native)`;
    const mismatch = opTableMismatch((mod.exports as unknown as NativeBinding).nativeInfo());
    if (mismatch !== null) return `loaded, but ${mismatch} (stale build? run npm run build:native)`;
    return mod.exports as unknown as NativeBinding;
  } catch (e) {
    return (e as Error).message.split('\n')[0]!;
  }
}

function loadFirst(files: string[], notes: string[], prebuilt = false): LoadResult {
  const errors: string[] = [];
  for (const file of files) {
    const r = tryLoad(file, prebuilt);
    if (typeof r !== 'string') return { binding: r, path: file, errors };
    errors.push(`${file}: ${r}`);
  }
  return { binding: null, path: null, errors: [...errors, ...notes] };
}

export function loadNative(): LoadResult {
  const forced = process.env.NODEGRAD_ADDON_PATH;
  if (forced) return loadFirst([path.resolve(forced)], []);
  const root = packageRoot();
  const local = loadFirst([path.join(root, 'build', 'Release', 'nodegrad.node'), path.join(root, 'build', 'Debug', 'nodegrad.node')], []);
  if (local.binding) return local;
  // only now look at prebuilds (detecting the libc has a cost)
  const pre = loadPrebuild(root);
  return { ...pre, errors: [...local.errors, ...pre.errors] };
}

/** The prebuild step alone (npm install: is there a prebuilt binary that works here?). */
export function loadPrebuild(root: string = packageRoot()): LoadResult {
  const pre = prebuildCandidates(root);
  return loadFirst(pre.files, pre.notes, true);
}
