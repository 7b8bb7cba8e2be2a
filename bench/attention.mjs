// Attention and LayerNorm benchmarks (issue 15): causal SDPA forward+backward at [8, 6, 256, 64] and
// [4, 12, 1024, 64], nodegrad's fused kernel (native, 1 and 2 threads) against PyTorch's explicit math
// path (softmax(q·kᵀ·s + mask)·v, the only one 1.13 has) at its best of 1/2 threads in the same run;
// the peak-RSS rise of a causal SDPA forward+backward at L = 8192, E = 64 (one 8192² float matrix is
// 256 MB); LayerNorm forward+backward GB/s against this machine's measured copy bandwidth.
// Medians of timed runs after warm-up; each configuration in its own child process.
//
//   npm run build && node bench/attention.mjs [--quick]
//   NODEGRAD_BENCH_ENTRY=$PWD/lib/index.ts node --import tsx bench/attention.mjs   (without dist/)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const entry = process.env.NODEGRAD_BENCH_ENTRY ? pathToFileURL(process.env.NODEGRAD_BENCH_ENTRY).href : '../dist/esm/index.mjs';
const SHAPES = [[8, 6, 256, 64], [4, 12, 1024, 64]];
const LN_SHAPES = [[4096, 768], [16384, 256]];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
function timed(fn, runs, warm = 2) {
  for (let i = 0; i < warm; i++) fn();
  const ts = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ts.push(performance.now() - t);
  }
  return { median: median(ts), min: Math.min(...ts), max: Math.max(...ts), runs };
}

async function child(mode) {
  const ng = await import(entry);
  const threads = Number(args[args.indexOf('--threads') + 1] ?? 1);
  ng.setBackend('native');
  ng.setNumThreads(threads);
  const out = { framework: 'nodegrad', threads, isa: ng.nativeInfo()?.isa, sdpa: [], layerNorm: [] };
  if (mode === 'memory') {
    const L = 8192, E = 64;
    const q = ng.randn([1, 1, L, E], { requiresGrad: true }), k = ng.randn([1, 1, L, E], { requiresGrad: true });
    const v = ng.randn([1, 1, L, E], { requiresGrad: true });
    const g = ng.randn([1, 1, L, E]).data;
    global.gc?.();
    const before = process.resourceUsage().maxRSS;
    const t = performance.now();
    ng.F.scaledDotProductAttention(q, k, v, { isCausal: true }).backward(g);
    const ms = performance.now() - t;
    const after = process.resourceUsage().maxRSS;
    console.log('@@JSON ' + JSON.stringify({ ...out, memory: { L, E, ms, peakRssRiseMB: (after - before) / 1024, matrixMB: (L * L * 4) / 2 ** 20 } }));
    return;
  }
  for (const [B, H, L, E] of SHAPES) {
    const q = ng.randn([B, H, L, E], { requiresGrad: true }), k = ng.randn([B, H, L, E], { requiresGrad: true });
    const v = ng.randn([B, H, L, E], { requiresGrad: true });
    const g = ng.randn([B, H, L, E]).data;
    const step = () => {
      q.grad = k.grad = v.grad = null;
      ng.F.scaledDotProductAttention(q, k, v, { isCausal: true }).backward(g);
    };
    const r = timed(step, quick ? 3 : L >= 1024 ? 5 : 10);
    // useful flops of causal fwd (2 products) + bwd (5 products) over the lower triangle
    const flops = 7 * 2 * B * H * (L * (L + 1) / 2) * E;
    out.sdpa.push({ ...r, shape: [B, H, L, E], gflops: flops / (r.median * 1e6) });
  }
  for (const [rows, n] of LN_SHAPES) {
    const x = ng.randn([rows, n], { requiresGrad: true }), w = ng.randn([n], { requiresGrad: true }), b = ng.randn([n], { requiresGrad: true });
    const g = ng.randn([rows, n]).data;
    const step = () => {
      x.grad = w.grad = b.grad = null;
      ng.F.layerNorm(x, [n], w, b, 1e-5).backward(g);
    };
    const r = timed(step, quick ? 5 : 20);
    // forward reads x, writes y; backward reads x, dout, writes dx (float32): 20 bytes per element
    out.layerNorm.push({ ...r, shape: [rows, n], gbPerS: (20 * rows * n) / (r.median * 1e6) });
  }
  // this machine's bandwidth: a 256 MB memcpy (read + write) on one thread
  const a = new Float32Array(64 << 20), c = new Float32Array(64 << 20);
  a.fill(1);
  const bw = timed(() => c.set(a), 5, 1);
  out.copyGBperS = (2 * a.byteLength) / (bw.median * 1e6);
  console.log('@@JSON ' + JSON.stringify(out));
}

function run(label, cmd, argv, env = process.env) {
  process.stdout.write(`  ${label} … `);
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env, maxBuffer: 1 << 24, timeout: 1800_000 });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('@@JSON '));
  if (!line) {
    console.log(`failed: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`);
    return null;
  }
  console.log('done');
  return JSON.parse(line.slice(7));
}

if (args.includes('--child')) {
  await child(args.includes('--memory') ? 'memory' : 'time');
} else {
  const self = fileURLToPath(import.meta.url);
  const nodeArgs = process.execArgv;
  const q = quick ? ['--quick'] : [];
  const ng = [1, 2].map((t) => run(`nodegrad native ${t}T`, process.execPath, [...nodeArgs, self, '--child', '--threads', String(t), ...q]));
  const mem = run('nodegrad memory L=8192', process.execPath, [...nodeArgs, '--expose-gc', self, '--child', '--memory', '--threads', '2']);
  const py = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const th = [1, 2].map((t) => run(`pytorch ${t}T`, py, [path.join(here, 'peers', 'torch_attention.py'), '--threads', String(t), ...q],
    { ...process.env, OMP_NUM_THREADS: String(t), OPENBLAS_NUM_THREADS: String(t) }));
  const lines = ['', '| causal SDPA fwd+bwd | nodegrad 1T ms | nodegrad 2T ms | nodegrad GFLOP/s | PyTorch math 1T ms | PyTorch math 2T ms | speed-up (best vs best) |', '| --- | --- | --- | --- | --- | --- | --- |'];
  SHAPES.forEach((s, i) => {
    const n1 = ng[0]?.sdpa[i], n2 = ng[1]?.sdpa[i], t1 = th[0]?.sdpa[i], t2 = th[1]?.sdpa[i];
    const bestN = Math.min(n1?.median ?? Infinity, n2?.median ?? Infinity), bestT = Math.min(t1?.median ?? Infinity, t2?.median ?? Infinity);
    const f = (r) => (r ? r.median.toFixed(1) : '—');
    lines.push(`| [${s.join(', ')}] | ${f(n1)} | ${f(n2)} | ${(n2 ?? n1)?.gflops.toFixed(1) ?? '—'} | ${f(t1)} | ${f(t2)} | ${Number.isFinite(bestT / bestN) ? (bestT / bestN).toFixed(2) + '×' : '—'} |`);
  });
  lines.push('', '| LayerNorm fwd+bwd | nodegrad 1T ms | nodegrad 2T ms | nodegrad GB/s (2T) | copy GB/s (1T memcpy) | PyTorch 1T ms | PyTorch 2T ms |', '| --- | --- | --- | --- | --- | --- | --- |');
  LN_SHAPES.forEach((s, i) => {
    const n1 = ng[0]?.layerNorm[i], n2 = ng[1]?.layerNorm[i], t1 = th[0]?.layerNorm[i], t2 = th[1]?.layerNorm[i];
    const f = (r) => (r ? r.median.toFixed(2) : '—');
    lines.push(`| [${s.join(', ')}] | ${f(n1)} | ${f(n2)} | ${n2?.gbPerS.toFixed(1) ?? '—'} | ${ng[1]?.copyGBperS.toFixed(1) ?? '—'} | ${f(t1)} | ${f(t2)} |`);
  });
  if (mem?.memory) {
    lines.push('', `Causal SDPA forward+backward at L = ${mem.memory.L}, E = ${mem.memory.E} (2 threads): ${mem.memory.ms.toFixed(0)} ms, peak RSS rise ${mem.memory.peakRssRiseMB.toFixed(1)} MB (one L×L float matrix: ${mem.memory.matrixMB} MB).`);
  }
  const md = lines.join('\n');
  console.log(md);
  const dir = process.env.NODEGRAD_BENCH_RESULTS ? path.resolve(process.env.NODEGRAD_BENCH_RESULTS) : path.join(here, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'attention.json'), JSON.stringify({ date: new Date().toISOString(), quick, nodegrad: ng, memory: mem, pytorch: th }, null, 1) + '\n');
  fs.writeFileSync(path.join(dir, 'attention.md'), `# Attention benchmark (${new Date().toISOString()}, node bench/attention.mjs${quick ? ' --quick' : ''})\n${md}\n`);
}
