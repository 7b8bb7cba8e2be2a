// Builds the prebuilt addons shipped inside the npm package (npm run prebuild):
//   prebuilds/linux-x64/nodegrad.glibc.node    g++ (every x86 ISA path inside, chosen at run time)
//   prebuilds/linux-arm64/nodegrad.glibc.node  aarch64-linux-gnu-g++ (Debian's cross compiler)
// prebuildify's layout and tags (N-API, so no ABI tag: one binary serves every Node >= 20).
//
// The compiler is driven directly, not through node-gyp (which cannot cross-compile offline), from
// binding.gyp itself: its targets, sources, defines and cflags are read from the file, so a source
// build and a prebuild compile the same files with the same flags. Added for the prebuilds only:
// -include native/compat/glibc_floor.h (symbol-version pins), path maps and fixed seeds so two builds
// give the same bytes, -s (stripped), and an objdump -T audit that fails the build when the binary
// needs more than glibc 2.28 / GLIBCXX_3.4.25 / CXXABI_1.3.11 (Node 20's own floor).
//
//   node scripts/prebuild.cjs [--arch x64|arm64|all] [--ensure] [--verify] [--jobs N] [--verbose]
//   --ensure  build only what is missing or stale against prebuilds/manifest.json (npm pack's prepack);
//             a target whose compiler is missing is left out with a warning instead of failing
//   --verify  build each target a second time in a scratch folder and fail unless the bytes match
//   --check   build nothing: print {"x64": {"state": "fresh"|"stale"|"missing"|"unchecked", ...}, ...} as
//             JSON (the tests of the packed package run only on fresh prebuilds)
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, spawnSync, execSync } = require('node:child_process');
const { nodeDir } = require('./node-dir.cjs');

const root = path.resolve(__dirname, '..');
const prebuildsDir = path.join(root, 'prebuilds');
const manifestPath = path.join(prebuildsDir, 'manifest.json');
const COMPAT_HEADER = 'native/compat/glibc_floor.h';
const FLOOR = { GLIBC: '2.28', GLIBCXX: '3.4.25', CXXABI: '1.3.11', GCC: '8.0.0' };
const ALLOWED_NEEDED = new Set(['libstdc++.so.6', 'libm.so.6', 'libgcc_s.so.1', 'libc.so.6', 'ld-linux-x86-64.so.2', 'ld-linux-aarch64.so.1']);

const TARGETS = {
  x64: {
    folder: 'linux-x64',
    cxx: process.env.CXX_X64 || 'g++',
    objdump: 'objdump',
    apt: 'g++',
    archFlags: ['-m64'],
    elf: 'x86-64',
  },
  arm64: {
    folder: 'linux-arm64',
    cxx: process.env.CXX_AARCH64 || 'aarch64-linux-gnu-g++',
    objdump: 'aarch64-linux-gnu-objdump',
    apt: 'g++-aarch64-linux-gnu',
    archFlags: [],
    elf: 'aarch64',
  },
};
const FILE_NAME = 'nodegrad.glibc.node';

// node-gyp's common.gypi adds these to every Release build on Linux (see build/*.target.mk).
const NODE_GYP_CFLAGS = ['-fPIC', '-pthread', '-Wall', '-Wextra', '-Wno-unused-parameter', '-O3', '-fno-omit-frame-pointer'];
const NODE_GYP_DEFINES = ['NODE_GYP_MODULE_NAME=nodegrad', 'USING_UV_SHARED=1', 'USING_V8_SHARED=1', 'V8_DEPRECATION_WARNINGS=1',
  '_GLIBCXX_USE_CXX11_ABI=1', '_FILE_OFFSET_BITS=64', '_LARGEFILE_SOURCE', '__STDC_FORMAT_MACROS', 'BUILDING_NODE_EXTENSION'];
const NODE_GYP_LDFLAGS = ['-pthread', '-rdynamic'];

function fail(msg) {
  console.error(`prebuild: ${msg}`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { arch: 'all', ensure: false, verify: false, check: false, jobs: Math.max(1, os.availableParallelism?.() ?? os.cpus().length) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--ensure') opts.ensure = true;
    else if (a === '--verify') opts.verify = true;
    else if (a === '--check') opts.check = true;
    else if (a === '--verbose') continue;
    else if (a === '--arch') opts.arch = argv[++i];
    else if (a === '--jobs') opts.jobs = Number(argv[++i]);
    else fail(`unknown argument '${a}' (use --arch x64|arm64|all, --ensure, --verify, --check, --jobs N, --verbose)`);
  }
  if (opts.arch !== 'all' && !TARGETS[opts.arch]) fail(`--arch must be x64, arm64 or all, got '${opts.arch}'`);
  if (!Number.isInteger(opts.jobs) || opts.jobs < 1) fail('--jobs must be a positive integer');
  return opts;
}

// npm runs a script named "prebuild" before every `npm run build` as its pre-hook. Only a direct
// `npm run prebuild` (or `node scripts/prebuild.cjs`) should build: find the npm command line among
// our ancestors (Linux /proc) and see which script it was asked to run.
function isPreHookOfBuild() {
  if (process.env.npm_lifecycle_event !== 'prebuild') return false;
  let pid = process.ppid;
  for (let depth = 0; depth < 6 && pid > 1; depth++) {
    let argv;
    let stat;
    try {
      // npm sets its process title to its command line ("npm run build"), so split on spaces too
      argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0\s]+/).filter(Boolean);
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return false;
    }
    const npmAt = argv.findIndex((a) => /(^|\/)npm(-cli\.js)?$/.test(a));
    if (npmAt >= 0) {
      const words = argv.slice(npmAt + 1).filter((a) => !a.startsWith('-'));
      const runAt = words.findIndex((w) => ['run', 'run-script', 'rum', 'urn'].includes(w));
      const script = runAt >= 0 ? words[runAt + 1] : undefined;
      return script !== undefined && script !== 'prebuild';
    }
    pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return false;
}

// ---- binding.gyp, read as data --------------------------------------------------------------------

// Expands gyp's command substitutions: "<!(cmd)" → its output, "<!@(cmd)" → its output split into
// words (as several list items). Commands run in the package root, as node-gyp runs them.
function expand(value) {
  const out = [];
  let listExpansion = false;
  let text = '';
  let i = 0;
  while (i < value.length) {
    const at = value.indexOf('<!', i);
    if (at < 0) {
      text += value.slice(i);
      break;
    }
    text += value.slice(i, at);
    let j = at + 2;
    const list = value[j] === '@';
    if (list) j++;
    if (value[j] !== '(') throw new Error(`binding.gyp: cannot parse '${value}'`);
    let depth = 0;
    let k = j;
    for (; k < value.length; k++) {
      if (value[k] === '(') depth++;
      else if (value[k] === ')' && --depth === 0) break;
    }
    const cmd = value.slice(j + 1, k);
    const result = execSync(cmd, { cwd: root, encoding: 'utf8' }).trim();
    if (list) listExpansion = true;
    text += result;
    i = k + 1;
  }
  if (listExpansion) out.push(...text.split(/\s+/).filter(Boolean));
  else out.push(text);
  return out;
}

const expandAll = (list) => (list ?? []).flatMap(expand);
const without = (list, removed) => list.filter((f) => !(removed ?? []).includes(f));

function conditionHolds(cond, arch) {
  const m = /^target_arch==['"](\w+)['"]$/.exec(cond.trim());
  if (!m) throw new Error(`binding.gyp: condition '${cond}' is not one prebuild.cjs understands (target_arch=='...')`);
  return m[1] === arch;
}

/** The compile units of binding.gyp for an arch: [{ target, sources, cflags, cflagsCc, defines, includes }]. */
function gypUnits(arch) {
  const gyp = JSON.parse(fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8'));
  const td = gyp.target_defaults ?? {};
  const targets = [...(gyp.targets ?? [])];
  for (const [cond, body] of gyp.conditions ?? []) if (conditionHolds(cond, arch)) targets.push(...(body.targets ?? []));
  const baseCflags = without(expandAll(td.cflags), td['cflags!']);
  const baseCc = without(expandAll(td.cflags_cc), td['cflags_cc!']);
  return targets.map((t) => {
    for (const [cond, body] of t.conditions ?? []) {
      conditionHolds(cond, arch); // only validates: per-target conditions pick dependencies, all built here
      if (body.sources || body.cflags) throw new Error(`binding.gyp: target ${t.target_name} has conditional sources/cflags, which prebuild.cjs does not handle`);
    }
    return {
      target: t.target_name,
      sources: expandAll(t.sources),
      cflags: [...baseCflags, ...without(expandAll(t.cflags), td['cflags!'])],
      cflagsCc: baseCc,
      defines: [...expandAll(td.defines), ...expandAll(t.defines)],
      includes: [...expandAll(td.include_dirs), ...expandAll(t.include_dirs)],
    };
  });
}

// ---- building ------------------------------------------------------------------------------------

function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

function toolVersion(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.split('\n')[0].trim();
}

function listFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p) : [p];
  });
}

/** A digest of everything that goes into a target's bytes: sources, headers, flags, tools. */
function inputsHash(arch, units, compiler, nodeHeaders) {
  const h = crypto.createHash('sha256');
  const files = new Set([path.join(root, 'binding.gyp'), __filename, path.join(root, 'scripts', 'gyp-sources.cjs'), path.join(root, COMPAT_HEADER)]);
  for (const u of units) for (const s of u.sources) files.add(path.join(root, s));
  for (const f of listFiles(path.join(root, 'native', 'include'))) files.add(f);
  for (const f of listFiles(path.join(root, 'native', 'binding'))) files.add(f);
  for (const f of [...files].sort()) h.update(path.relative(root, f)).update('\0').update(fs.readFileSync(f)).update('\0');
  h.update(JSON.stringify({ arch, units, compiler, nodeHeaders, version: require('../package.json').version }));
  return h.digest('hex');
}

async function runPool(jobs, tasks) {
  let next = 0;
  const errors = [];
  async function worker() {
    while (next < tasks.length && errors.length === 0) {
      const task = tasks[next++];
      try {
        await task();
      } catch (e) {
        errors.push(e);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  if (errors.length) throw errors[0];
}

// Compiler warnings are the source build's too (same flags); they are counted, and shown with
// --verbose or when a command fails.
const verbose = process.argv.includes('--verbose');
let warned = 0;
function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.on('close', (code) => {
      if (stderr && (verbose || code !== 0)) process.stderr.write(stderr);
      if (stderr) warned++;
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`));
    });
  });
}

/** Compiles and links one target into outFile; objDir holds the objects (relative names only). */
async function buildTarget(arch, units, ctx, objDir, outFile, jobs) {
  const t = TARGETS[arch];
  const nodeInclude = path.join(ctx.nodeDir, 'include', 'node');
  const prefixMaps = [`-ffile-prefix-map=${root}/=`, `-ffile-prefix-map=${root}=.`, `-ffile-prefix-map=${ctx.nodeDir}=/node`];
  const objects = [];
  const tasks = [];
  for (const u of units) {
    for (const src of u.sources) {
      const obj = path.join(objDir, src.replace(/\.cc$/, '.o'));
      objects.push(obj);
      const args = [
        ...t.archFlags,
        ...[...u.defines, ...NODE_GYP_DEFINES].map((d) => `-D${d}`),
        ...[...u.includes, nodeInclude].map((i) => `-I${i}`),
        ...u.cflags, ...NODE_GYP_CFLAGS, ...u.cflagsCc,
        '-include', COMPAT_HEADER,
        ...prefixMaps, `-frandom-seed=${src}`,
        '-c', src, '-o', obj,
      ];
      tasks.push(async () => {
        fs.mkdirSync(path.dirname(obj), { recursive: true });
        await run(t.cxx, args);
      });
    }
  }
  warned = 0;
  await runPool(jobs, tasks);
  if (warned > 0 && !verbose) console.log(`prebuild: ${warned} of ${tasks.length} ${arch} files had compiler warnings (--verbose shows them)`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  await run(t.cxx, [
    ...t.archFlags, '-shared', ...NODE_GYP_LDFLAGS, '-s',
    '-Wl,-soname=nodegrad.node', '-Wl,--build-id=sha1', '-Wl,-z,noexecstack', '-Wl,-z,relro', '-Wl,-z,now',
    '-o', outFile, ...objects,
  ]);
}

const cmpVersion = (a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/** objdump audit: the ELF machine, the NEEDED libraries, and every versioned symbol against FLOOR. */
function audit(arch, file) {
  const t = TARGETS[arch];
  const head = spawnSync(t.objdump, ['-f', '-p', file], { encoding: 'utf8' });
  if (head.status !== 0) throw new Error(`${t.objdump} -f -p ${file} failed: ${head.stderr}`);
  const format = /file format (\S+)/.exec(head.stdout)?.[1] ?? '?';
  if (!format.includes(t.elf)) throw new Error(`${file} is ${format}, expected ${t.elf}`);
  const needed = [...head.stdout.matchAll(/^\s*NEEDED\s+(\S+)/gm)].map((m) => m[1]);
  const extra = needed.filter((n) => !ALLOWED_NEEDED.has(n));
  if (extra.length) throw new Error(`${file} needs ${extra.join(', ')} (only ${[...ALLOWED_NEEDED].join(', ')} are allowed)`);
  const dyn = spawnSync(t.objdump, ['-T', file], { encoding: 'utf8' });
  if (dyn.status !== 0) throw new Error(`${t.objdump} -T ${file} failed: ${dyn.stderr}`);
  const max = {};
  const over = [];
  for (const line of dyn.stdout.split('\n')) {
    const m = /\(?(GLIBCXX|GLIBC|CXXABI|GCC)_([0-9.]+)\)?\s+(\S+)\s*$/.exec(line);
    if (!m) continue;
    const [, lib, ver, sym] = m;
    if (!max[lib] || cmpVersion(ver, max[lib]) > 0) max[lib] = ver;
    if (cmpVersion(ver, FLOOR[lib]) > 0) over.push(`${sym}@${lib}_${ver}`);
  }
  if (over.length) {
    throw new Error(`${file} needs symbol versions above the floor (${Object.entries(FLOOR).map(([k, v]) => `${k}_${v}`).join(', ')}): ` +
      `${over.join(', ')}. Pin them in ${COMPAT_HEADER}.`);
  }
  return { needed, max };
}

function readManifest() {
  try {
    return JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  } catch {
    return { files: {} };
  }
}

function writeManifest(m) {
  fs.mkdirSync(prebuildsDir, { recursive: true });
  const tmp = `${manifestPath}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(m, null, 2)}\n`);
  fs.renameSync(tmp, manifestPath);
}

/** Whether a target's binary is there and was built from exactly today's inputs. */
function freshness(arch, manifest, nodeHeaders) {
  const t = TARGETS[arch];
  const rel = `${t.folder}/${FILE_NAME}`;
  const file = path.join(prebuildsDir, rel);
  if (!fs.existsSync(file)) return { state: 'missing', file, why: `${rel} is not built (npm run prebuild)` };
  const compiler = toolVersion(t.cxx);
  if (!compiler) return { state: 'unchecked', file, why: `'${t.cxx}' not found, so ${rel} cannot be checked against the sources (apt-get install ${t.apt})` };
  const entry = manifest.files[rel];
  const inputs = inputsHash(arch, gypUnits(arch), compiler, nodeHeaders);
  if (!entry || entry.inputs !== inputs) return { state: 'stale', file, why: `${rel} was built from other sources or flags (npm run prebuild)` };
  if (sha256(fs.readFileSync(file)) !== entry.sha256) return { state: 'stale', file, why: `${rel} differs from the sha256 in prebuilds/manifest.json` };
  return { state: 'fresh', file, sha256: entry.sha256 };
}

async function main() {
  if (isPreHookOfBuild()) return; // `npm run build` runs "prebuild" first: not a request for binaries
  const opts = parseArgs(process.argv.slice(2));
  if (process.platform !== 'linux' || process.arch !== 'x64') fail(`builds linux-x64 and linux-arm64 on a linux-x64 machine; this is ${process.platform}-${process.arch}`);
  const dir = nodeDir();
  if (!dir) fail(`no Node headers next to ${process.execPath} (include/node/node_api.h); set npm_config_nodedir`);
  const nodeHeaders = sha256(fs.readFileSync(path.join(dir, 'include', 'node', 'node_api.h')));
  const manifest = readManifest();
  manifest.floor = FLOOR;
  manifest.files ??= {};
  const arches = opts.arch === 'all' ? Object.keys(TARGETS) : [opts.arch];
  if (opts.check) {
    const report = {};
    for (const arch of arches) report[arch] = freshness(arch, manifest, nodeHeaders);
    console.log(JSON.stringify(report));
    return;
  }
  let built = 0;
  for (const arch of arches) {
    const t = TARGETS[arch];
    const rel = `${t.folder}/${FILE_NAME}`;
    const outFile = path.join(prebuildsDir, rel);
    const compiler = toolVersion(t.cxx);
    if (!compiler || !toolVersion(t.objdump)) {
      const why = `'${!compiler ? t.cxx : t.objdump}' not found (apt-get install ${t.apt})`;
      if (!opts.ensure) fail(`cannot build ${rel}: ${why}`);
      // a binary whose freshness cannot be checked is not packed
      if (fs.existsSync(outFile) && manifest.files[rel]?.inputs !== undefined) console.warn(`prebuild: WARNING: ${rel} is kept unchecked: ${why}`);
      else console.warn(`prebuild: WARNING: ${rel} is not built: ${why}; the package will not carry it`);
      continue;
    }
    const units = gypUnits(arch);
    const inputs = inputsHash(arch, units, compiler, nodeHeaders);
    if (opts.ensure && freshness(arch, manifest, nodeHeaders).state === 'fresh') {
      console.log(`prebuild: ${rel} is up to date (${manifest.files[rel].sha256.slice(0, 12)})`);
      continue;
    }
    const started = Date.now();
    const tmpOut = `${outFile}.tmp`;
    await buildTarget(arch, units, { nodeDir: dir }, path.join(root, 'build', `prebuild-${arch}`), tmpOut, opts.jobs);
    const { needed, max } = audit(arch, tmpOut);
    fs.renameSync(tmpOut, outFile);
    const bytes = fs.readFileSync(outFile);
    const digest = sha256(bytes);
    console.log(`prebuild: ${rel} ${bytes.length} bytes sha256 ${digest} in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
      `needs ${Object.entries(max).map(([k, v]) => `${k}_${v}`).join(' ')} (${needed.join(' ')})`);
    if (opts.verify) {
      const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `nodegrad-prebuild-${arch}-`));
      try {
        const again = path.join(scratch, FILE_NAME);
        await buildTarget(arch, units, { nodeDir: dir }, path.join(scratch, 'obj'), again, opts.jobs);
        const second = sha256(fs.readFileSync(again));
        if (second !== digest) fail(`${rel} is not reproducible: a second build gave sha256 ${second}`);
        console.log(`prebuild: ${rel} reproduced: a second build in ${scratch} has the same sha256`);
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
      }
    }
    manifest.files[rel] = { sha256: digest, bytes: bytes.length, compiler, inputs, needs: max };
    writeManifest(manifest);
    built++;
  }
  if (opts.ensure && built === 0 && !fs.existsSync(manifestPath)) writeManifest(manifest);
}

if (require.main === module) main().catch((e) => fail(e.message));

// for test/prebuild/audit.test.ts
module.exports = { audit, FLOOR, gypUnits };
