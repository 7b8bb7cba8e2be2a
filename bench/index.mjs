// The benchmark suite: `npm run bench` = `nodegrad bench [--quick] [--only gemm,ops,xor,mlp,adam,cnn,attention,gpt] [--no-peers]`.
// Runs nodegrad (native 1 and 2 threads, js) and every installed peer (PyTorch, numpy, tfjs wasm/cpu,
// brain.js, onnxruntime-node) under one protocol (bench/peers/common.mjs|py: same data, same batch
// order, same model and hyperparameters), each measurement a median over ≥ 5 runs with min/max after
// warm-up, each configuration in its own child process. Prints one table per section and writes
// bench/results/{report.md, latest.json, chart.svg}. `train` is accepted as xor,mlp,adam.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePerm } from './peers/common.mjs';
import { writeReport } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const peersDir = path.join(here, 'peers');
// NODEGRAD_BENCH_RESULTS: another folder for the report (nodegrad bench from an installed package uses ./nodegrad-bench)
const resultsDir = process.env.NODEGRAD_BENCH_RESULTS ? path.resolve(process.env.NODEGRAD_BENCH_RESULTS) : path.join(here, 'results');
const cacheDir = path.join(resultsDir, '.cache');
const ALL = ['gemm', 'ops', 'xor', 'mlp', 'adam', 'cnn', 'attention', 'gpt', 'tfjs'];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const noPeers = args.includes('--no-peers');
const onlyAt = args.indexOf('--only');
let only = new Set(ALL);
if (onlyAt >= 0) {
  only = new Set(String(args[onlyAt + 1] ?? '').split(',').flatMap((n) => (n === 'train' ? ['xor', 'mlp', 'adam'] : [n])));
  const unknown = [...only].filter((n) => !ALL.includes(n));
  if (unknown.length) {
    console.error(`bench: unknown section(s) ${unknown.join(', ')}; known: ${ALL.join(', ')} (and train)`);
    process.exit(2);
  }
}
const q = quick ? ['--quick'] : [];
fs.mkdirSync(cacheDir, { recursive: true });

// One batch order for everyone.
const permFile = path.join(cacheDir, 'perm.i32');
fs.writeFileSync(permFile, Buffer.from(makePerm(60000).buffer));
const baseEnv = { ...process.env, NG_BENCH_PERM: permFile };

// Peers at their best: drop the OpenBLAS overrides, then make sure OpenBLAS uses AVX-512 kernels.
const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
const hasAvx512 = /\bavx512f\b/.test(cpuinfo);
const cpuModel = (cpuinfo.match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.cpus()[0]?.model;
const peerEnv = { ...baseEnv };
const blasNote = { parentEnv: { OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? null, OPENBLAS_L2_SIZE: process.env.OPENBLAS_L2_SIZE ?? null } };
delete peerEnv.OPENBLAS_CORETYPE;
delete peerEnv.OPENBLAS_L2_SIZE;

const t0All = performance.now();
const runs = [];
const skipped = [];

function has(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: peerEnv, timeout: 60000 });
  return r.status === 0 ? r.stdout + r.stderr : null;
}

/** Run one configuration; returns the parsed @@JSON object or records the failure. */
function run(label, cmd, argv, env, timeoutS, extra = {}) {
  const t = performance.now();
  process.stdout.write(`  ${label} … `);
  const r = spawnSync(cmd, argv, { env, encoding: 'utf8', maxBuffer: 1 << 26, timeout: timeoutS * 1000, cwd: root });
  const line = (r.stdout ?? '').split('\n').reverse().find((l) => l.startsWith('@@JSON ') || l.startsWith('{"isa"'));
  const secs = ((performance.now() - t) / 1000).toFixed(1);
  if (!line) {
    const why = r.error ? String(r.error.message) : `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').filter((l) => !/^\s+at /.test(l)).slice(-3).join(' / ')}`;
    console.log(`failed (${secs} s): ${why.slice(0, 300)}`);
    skipped.push({ label, reason: `failed: ${why.slice(0, 300)}` });
    return null;
  }
  console.log(`done (${secs} s)`);
  const obj = JSON.parse(line.replace(/^@@JSON /, ''));
  Object.assign(obj, extra, { label });
  runs.push(obj);
  return obj;
}

console.log(`nodegrad bench${quick ? ' --quick' : ''} — ${cpuModel}, ${os.cpus().length} CPUs, node ${process.version}`);
console.log(`sections: ${[...only].join(', ')}${noPeers ? ' (no peers)' : ''}\n`);

// ---------------- nodegrad ----------------
const node = process.execPath;
const dist = path.join(root, 'dist', 'esm', 'index.mjs');
if (only.has('gemm')) {
  for (const isa of ['avx512', 'avx2']) {
    const r = run(`nodegrad native gemm ${isa}`, node, [path.join(here, 'gemm.mjs'), '--child', ...q, '--threads', '1,2'],
      { ...baseEnv, NODEGRAD_ISA: isa }, 900, { framework: 'nodegrad', kind: 'gemm' });
    if (r && r.isa !== isa) { runs.pop(); skipped.push({ label: `nodegrad gemm ${isa}`, reason: `ISA not available (got ${r.isa})` }); }
  }
}
const ngSections = ['ops', 'xor', 'mlp', 'adam', 'cnn'].filter((s) => only.has(s));
if (ngSections.length) {
  if (!fs.existsSync(dist)) skipped.push({ label: 'nodegrad', reason: 'dist/ not built (npm run build)' });
  else {
    for (const t of [1, 2]) {
      run(`nodegrad native ${t}T`, node, [path.join(here, 'mlp.mjs'), '--json', ...q, '--backend', 'native', '--threads', String(t), '--sections', ngSections.join(',')],
        baseEnv, 1200);
    }
    run('nodegrad js', node, [path.join(here, 'mlp.mjs'), '--json', ...q, '--backend', 'js', '--sections', ngSections.join(',')], baseEnv, 1200);
  }
}

// ---------------- peers ----------------
const peerInfo = {};
if (!noPeers) {
  // Python interpreters: Debian's (python3-torch, python3-numpy on the system OpenBLAS) and the one on PATH.
  const pys = [...new Set(['/usr/bin/python3', has('sh', ['-c', 'command -v python3'])?.trim()].filter(Boolean))];
  const torchPy = pys.find((p) => has(p, ['-c', 'import torch']) !== null);
  // OpenBLAS core detection (Debian's 0.3.21 does not know this CPU model and falls back to Prescott/SSE3).
  for (const py of pys) {
    const v = has(py, ['-c', 'import numpy; numpy.ones((64,64),"f")@numpy.ones((64,64),"f")']) !== null
      ? spawnSync(py, ['-c', 'import numpy; numpy.ones((64,64),"f")@numpy.ones((64,64),"f")'], { env: { ...peerEnv, OPENBLAS_VERBOSE: '2' }, encoding: 'utf8' })
      : null;
    const core = v ? ((v.stdout + v.stderr).match(/Core:\s*(\S+)/) ?? [])[1] ?? 'unknown' : null;
    peerInfo[py] = { numpy: v !== null, openblasCoreDetected: core };
  }
  const avx512Cores = /SkylakeX|Cooperlake|SapphireRapids/i;
  const envFor = (py, threads) => {
    const e = { ...peerEnv, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
    const core = peerInfo[py]?.openblasCoreDetected;
    if (hasAvx512 && core && !avx512Cores.test(core)) e.OPENBLAS_CORETYPE = 'SkylakeX';
    return e;
  };
  for (const py of pys) peerInfo[py].openblasCoreUsed = envFor(py, 1).OPENBLAS_CORETYPE ?? peerInfo[py].openblasCoreDetected;
  blasNote.perInterpreter = peerInfo;

  const torchSections = ['gemm', 'ops', 'xor', 'mlp', 'adam', 'cnn'].filter((s) => only.has(s));
  const onnxFile = path.join(cacheDir, 'mlp.onnx');
  if (fs.existsSync(onnxFile)) fs.unlinkSync(onnxFile);
  if (!torchPy) skipped.push({ label: 'pytorch', reason: 'not installed (apt-get install python3-torch libopenblas0-pthread)' });
  else if (torchSections.length) {
    for (const t of [1, 2]) {
      run(`pytorch ${t}T`, torchPy, [path.join(peersDir, 'torch_bench.py'), ...q, '--threads', String(t), '--sections', torchSections.join(','),
        ...(t === 1 && only.has('mlp') ? ['--onnx', onnxFile] : [])], envFor(torchPy, t), 1800, { python: torchPy });
    }
  }
  if (only.has('gemm')) {
    for (const py of pys) {
      if (!peerInfo[py].numpy) { skipped.push({ label: `numpy (${py})`, reason: 'numpy not installed' }); continue; }
      for (const t of [1, 2]) run(`numpy ${t}T (${py})`, py, [path.join(peersDir, 'numpy_gemm.py'), ...q], envFor(py, t), 900, { python: py, threads: t });
    }
  }
  const nodePeer = (pkg) => fs.existsSync(path.join(peersDir, 'node_modules', ...pkg.split('/'), 'package.json'));
  const tfSections = ['ops', 'xor', 'mlp', 'cnn'].filter((s) => only.has(s));
  if (!nodePeer('@tensorflow/tfjs')) skipped.push({ label: 'tfjs', reason: 'not installed (npm install --prefix bench/peers)' });
  else if (tfSections.length) {
    if (nodePeer('@tensorflow/tfjs-backend-wasm')) run('tfjs wasm', node, [path.join(peersDir, 'tfjs.mjs'), ...q, '--backend', 'wasm', '--sections', tfSections.join(',')], peerEnv, 900);
    else skipped.push({ label: 'tfjs wasm', reason: 'not installed' });
    // tfjs cpu (pure JS) needs minutes per CNN step: MLP/XOR/ops only.
    const cpuSections = tfSections.filter((s) => s !== 'cnn');
    if (cpuSections.length) run('tfjs cpu', node, [path.join(peersDir, 'tfjs.mjs'), ...q, '--backend', 'cpu', '--sections', cpuSections.join(',')], peerEnv, 900);
    if (only.has('cnn')) skipped.push({ label: 'tfjs cpu cnn', reason: 'not run: > 30 s per batch-64 step on the pure-JS backend' });
  }
  if (only.has('xor')) {
    if (nodePeer('brain.js')) run('brain.js', node, [path.join(peersDir, 'brainjs.mjs')], peerEnv, 300);
    else skipped.push({ label: 'brain.js', reason: 'not installed' });
  }
  if (only.has('mlp')) {
    if (!nodePeer('onnxruntime-node')) skipped.push({ label: 'onnxruntime-node', reason: 'not installed' });
    else if (!fs.existsSync(onnxFile)) skipped.push({ label: 'onnxruntime-node', reason: 'no ONNX model (exported by the PyTorch peer, which did not run)' });
    else for (const t of [1, 2]) run(`onnxruntime-node ${t}T`, node, [path.join(peersDir, 'onnx.mjs'), '--model', onnxFile, '--threads', String(t)], peerEnv, 300);
  }
}

// Attention / LayerNorm (bench/attention.mjs runs nodegrad and the PyTorch math path itself, and writes
// bench/results/attention.{md,json}; its table is printed here, not merged into report.md).
let attentionMd = null;
if (only.has('attention')) {
  if (!fs.existsSync(dist)) skipped.push({ label: 'attention', reason: 'dist/ not built (npm run build)' });
  else {
    console.log('attention (bench/attention.mjs):');
    const r = spawnSync(node, [path.join(here, 'attention.mjs'), ...q], { env: baseEnv, stdio: 'inherit', timeout: 1800_000, cwd: root });
    if (r.status !== 0) skipped.push({ label: 'attention', reason: `bench/attention.mjs exited ${r.status}` });
    else if (fs.existsSync(path.join(resultsDir, 'attention.md'))) attentionMd = fs.readFileSync(path.join(resultsDir, 'attention.md'), 'utf8');
  }
}

// GPT training step and generation (bench/gpt.mjs runs nodegrad and the PyTorch nanoGPT peer itself, and
// writes bench/results/gpt.{md,json}; its table is printed here, not merged into report.md).
let gptMd = null;
if (only.has('gpt')) {
  if (!fs.existsSync(dist)) skipped.push({ label: 'gpt', reason: 'dist/ not built (npm run build)' });
  else {
    console.log('gpt (bench/gpt.mjs):');
    const r = spawnSync(node, [path.join(here, 'gpt.mjs'), ...q, ...(noPeers ? ['--no-peers'] : [])], { env: baseEnv, stdio: 'inherit', timeout: 3600_000, cwd: root });
    if (r.status !== 0) skipped.push({ label: 'gpt', reason: `bench/gpt.mjs exited ${r.status}` });
    else if (fs.existsSync(path.join(resultsDir, 'gpt.md'))) gptMd = fs.readFileSync(path.join(resultsDir, 'gpt.md'), 'utf8');
  }
}

// TensorFlow.js on nodegrad/tfjs vs the cpu and wasm backends (bench/tfjs.mjs writes
// bench/results/tfjs.{md,json}; its table is printed here, not merged into report.md).
let tfjsMd = null;
if (only.has('tfjs')) {
  if (!fs.existsSync(dist)) skipped.push({ label: 'tfjs', reason: 'dist/ not built (npm run build)' });
  else {
    const r = spawnSync(node, [path.join(here, 'tfjs.mjs'), ...q], { env: baseEnv, stdio: 'inherit', timeout: 3600_000, cwd: root });
    if (r.status !== 0) skipped.push({ label: 'tfjs', reason: `bench/tfjs.mjs exited ${r.status}` });
    else if (fs.existsSync(path.join(resultsDir, 'tfjs.md'))) tfjsMd = fs.readFileSync(path.join(resultsDir, 'tfjs.md'), 'utf8');
  }
}

const meta = {
  date: new Date().toISOString(), quick, sections: [...only], cpu: cpuModel, cpus: os.cpus().length, avx512: hasAvx512,
  node: process.version, loadavgAtEnd: os.loadavg(), seconds: (performance.now() - t0All) / 1000, blas: blasNote,
  command: `node bench/index.mjs${quick ? ' --quick' : ''}${onlyAt >= 0 ? ` --only ${args[onlyAt + 1]}` : ''}${noPeers ? ' --no-peers' : ''}`,
};
const results = { meta, runs, skipped };
fs.mkdirSync(resultsDir, { recursive: true });
fs.writeFileSync(path.join(resultsDir, 'latest.json'), JSON.stringify(results, null, 1) + '\n');
const md = writeReport(results, resultsDir);
console.log('\n' + md);
if (attentionMd) console.log('\n' + attentionMd);
if (gptMd) console.log('\n' + gptMd);
if (tfjsMd) console.log('\n' + tfjsMd);
console.log(`wrote ${path.relative(process.cwd(), resultsDir) || '.'}/report.md, latest.json, chart.svg (${meta.seconds.toFixed(0)} s)`);
