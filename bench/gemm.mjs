// SGEMM benchmark: GFLOP/s of the native gemm per ISA and thread count, as a fraction of the FMA
// peak measured on the same ISA, for square sizes, the MNIST MLP shapes (784→256→128→10, batch 128
// and 64: forward NN, weight-gradient TN, input-gradient NT), fused activation epilogues, a LeNet-style
// CNN's im2col GEMMs (batch 64), plus the js reference loop. Next to each raw kernel figure, the same
// product through the public API, `a.matmul(b)` on tensors from dist/cjs (ng.randn, shapes [M,K]·[K,N];
// a transposed operand is a `.t()` view of the stored layout, as the raw call's transA/transB), with the
// same threads, in the same process: what the N-API call, output allocation and op dispatch cost on
// top of the kernel. Plain products only (the epilogue rows have no API column).
//   node bench/gemm.mjs [--quick] [--isa avx512,avx2,scalar] [--threads 1,2] [--no-api]
// The ISA is fixed per process, so each ISA runs in a child process with NODEGRAD_ISA set.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const addonPath = path.join(here, '..', 'build', 'Release', 'nodegrad.node');
const distCjs = path.join(here, '..', 'dist', 'cjs', 'index.js');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};

function loadAddon() {
  const mod = { exports: {} };
  process.dlopen(mod, addonPath);
  return mod.exports;
}

// The public API (dist/cjs, CommonJS like a require() user), when it is built and runs the same ISA
// natively; otherwise the reason it cannot be measured.
function loadApi(isa) {
  if (args.includes('--no-api')) return { reason: '--no-api' };
  if (!fs.existsSync(distCjs)) return { reason: 'dist/cjs not built (npm run build)' };
  let ng;
  try {
    ng = createRequire(import.meta.url)(distCjs);
  } catch (e) {
    return { reason: `dist/cjs/index.js does not load: ${String(e?.message ?? e).split('\n')[0]}` };
  }
  if (ng.getBackend() !== 'native') return { reason: `the API runs the ${ng.getBackend()} backend` };
  if (ng.nativeInfo().isa !== isa) return { reason: `the API runs ${ng.nativeInfo().isa}, not ${isa}` };
  // A transposed operand must be a view (a GEMM flag), not a copy, for the NT/TN rows to compare like
  // with like: tensors that share storage with their transpose. Otherwise those rows are skipped.
  const probe = ng.randn([2, 3]);
  const tr = typeof probe.t === 'function' ? probe.t() : probe.transpose(0, 1);
  const views = probe._storage !== undefined && tr._storage === probe._storage;
  return { ng, views };
}

// Operands of s as API tensors: op(A) [M,K] and op(B) [K,N]; stored transposed for ta/tb, as views.
function apiOperands(ng, s) {
  const tr = (x) => (typeof x.t === 'function' ? x.t() : x.transpose(0, 1));
  const a = s.ta ? tr(ng.randn([s.K, s.M])) : ng.randn([s.M, s.K]);
  const b = s.tb ? tr(ng.randn([s.N, s.K])) : ng.randn([s.K, s.N]);
  return [a, b];
}

function shapes(isa) {
  const list = [];
  const squares = quick ? [64, 256, 1024] : [64, 128, 256, 512, 1024, 2048];
  const cap = isa === 'scalar' ? 512 : Infinity;  // the scalar path is a correctness path
  for (const n of squares) if (n <= cap) list.push({ name: `square ${n}`, ta: false, tb: false, M: n, N: n, K: n });
  // A·Bᵀ large enough for the packed path (its B panels come from the ISA's register transpose)
  if (!quick) list.push({ name: 'square 1024 NT', ta: false, tb: true, M: 1024, N: 1024, K: 1024 });
  for (const bs of quick ? [128] : [128, 64]) {
    for (const [k, n] of [[784, 256], [256, 128], [128, 10]]) {
      const b = bs === 128 ? '' : ` b${bs}`;
      list.push({ name: `mnist fwd ${k}→${n} NN${b}`, ta: false, tb: false, M: bs, N: n, K: k });
      list.push({ name: `mnist dW ${k}×${n} TN${b}`, ta: true, tb: false, M: k, N: n, K: bs });
      list.push({ name: `mnist dX ${n}→${k} NT${b}`, ta: false, tb: true, M: bs, N: k, K: n });
    }
  }
  // Fused epilogues on the first layer (+bias then GELU(erf) / sigmoid / tanh / GELU(tanh)).
  for (const [epi, act] of [[1, 'bias'], [3, 'gelu'], [4, 'sigmoid'], [5, 'tanh'], [6, 'gelu-tanh']]) {
    if (quick && epi !== 3) continue;
    list.push({ name: `mnist fwd 784→256 +${act}`, ta: false, tb: false, M: 128, N: 256, K: 784, epi });
  }
  // LeNet-style CNN at batch 64 via im2col: conv1 5×5×1→16 on 28×28, conv2 5×5×16→32 on 14×14.
  if (!quick) {
    list.push({ name: 'cnn conv1 fwd 16×50176×25 NN', ta: false, tb: false, M: 16, N: 50176, K: 25 });
    list.push({ name: 'cnn conv1 dW 16×25×50176 NT', ta: false, tb: true, M: 16, N: 25, K: 50176 });
    list.push({ name: 'cnn conv1 dcol 25×50176×16 TN', ta: true, tb: false, M: 25, N: 50176, K: 16 });
    list.push({ name: 'cnn conv2 fwd 32×12544×400 NN', ta: false, tb: false, M: 32, N: 12544, K: 400 });
    list.push({ name: 'cnn conv2 1-image 32×196×400 NN', ta: false, tb: false, M: 32, N: 196, K: 400 });
  }
  return list;
}

function rand(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; ++i) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    a[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return a;
}

// Median seconds of fn over ≥ minRuns runs (and ≥ ~minMs in total) after warm-up.
function timeIt(fn, minRuns, minMs) {
  for (let i = 0; i < 2; ++i) fn();
  const times = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < minMs) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1e3);
    if (times.length >= 1000) break;
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

// The js reference's NN loop (lib/backend/js/gemm.ts, i-k-j order), inlined: Node 20 runs no TS.
function jsGemmNN(M, N, K, A, B, C) {
  for (let i = 0; i < M; ++i) {
    const row = new Float64Array(N);
    for (let p = 0; p < K; ++p) {
      const a = A[i * K + p];
      const bo = p * N;
      for (let j = 0; j < N; ++j) row[j] += a * B[bo + j];
    }
    for (let j = 0; j < N; ++j) C[i * N + j] = row[j];
  }
}

function child(isa) {
  const b = loadAddon();
  const info = b.nativeInfo();
  const threadList = opt('--threads', '1,2').split(',').map(Number);
  const ms = quick ? 100 : 300;
  const out = { isa: info.isa, peak: {}, rows: [] };
  for (const t of threadList) out.peak[t] = b.fmaPeak(t, ms);
  const api = loadApi(info.isa);
  out.api = api.ng ? { views: api.views, note: api.views ? 'a.matmul(b), transposed operands as .t() views' : 'a.matmul(b); NN rows only (transpose is not a view in this build)' } : { reason: api.reason };
  for (const s of shapes(isa)) {
    const lda = s.ta ? s.M : s.K, ldb = s.tb ? s.K : s.N;
    const A = rand(s.M * s.K, 1), B = rand(s.K * s.N, 2), C = new Float32Array(s.M * s.N);
    const epi = s.epi ?? 0, bias = epi ? rand(s.N, 3) : null;
    const flops = 2 * s.M * s.N * s.K;
    const row = { name: s.name, gflops: {} };
    for (const t of threadList) {
      b.setNumThreads(t);
      const sec = timeIt(() => b.gemm(s.ta, s.tb, s.M, s.N, s.K, 1, A, lda, B, ldb, 0, C, s.N, epi, bias, 1, 0, 0, 0),
        quick ? 5 : 7, quick ? 50 : 200);
      row.gflops[t] = flops / sec / 1e9;
    }
    if (api.ng && !s.epi && (api.views || (!s.ta && !s.tb))) {
      const [a, bb] = apiOperands(api.ng, s);
      row.api = {};
      for (const t of threadList) {
        api.ng.setNumThreads(t);
        const sec = timeIt(() => a.matmul(bb), quick ? 5 : 7, quick ? 50 : 200);
        row.api[t] = flops / sec / 1e9;
      }
    }
    if (isa === info.isa && s.M === s.N && s.N === s.K && s.M <= 256 && !s.ta && !s.tb) {
      row.js = flops / timeIt(() => jsGemmNN(s.M, s.N, s.K, A, B, C), 5, quick ? 50 : 200) / 1e9;
    }
    out.rows.push(row);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

function main() {
  const isas = opt('--isa', 'avx512,avx2,scalar').split(',');
  let jsShown = false;
  for (const isa of isas) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], {
      env: { ...process.env, NODEGRAD_ISA: isa }, encoding: 'utf8', maxBuffer: 1 << 24,
    });
    if (r.status !== 0) {
      console.log(`${isa}: child failed\n${r.stderr}`);
      continue;
    }
    const res = JSON.parse(r.stdout.trim().split('\n').pop());
    if (res.isa !== isa) {
      console.log(`${isa}: not available here (ran ${res.isa}); skipped`);
      continue;
    }
    const ts = Object.keys(res.peak);
    const hasApi = res.rows.some((r) => r.api);
    console.log(`\n## ${isa}: measured FMA peak ` + ts.map((t) => `${t}T ${res.peak[t].toFixed(1)}`).join(', ') + ' GFLOP/s' +
      (hasApi ? `; API: ${res.api.note}` : `; no API column (${res.api?.reason ?? 'not measured'})`));
    const apiHead = (t) => (hasApi ? ` | ${t}T API GFLOP/s | ${t}T API/kernel` : '');
    console.log('| shape | ' + ts.map((t) => `${t}T GFLOP/s | ${t}T % peak${apiHead(t)}`).join(' | ') + (jsShown ? '' : ' | js GFLOP/s') + ' |');
    console.log('|---|' + ts.map(() => '---:|---:' + (hasApi ? '|---:|---:' : '')).join('|') + (jsShown ? '' : '|---:') + '|');
    for (const row of res.rows) {
      const apiCells = (t) => (!hasApi ? '' : row.api ? ` | ${row.api[t].toFixed(1)} | ${(row.api[t] / row.gflops[t]).toFixed(2)}` : ' |  | ');
      const cells = ts.map((t) => `${row.gflops[t].toFixed(1)} | ${((100 * row.gflops[t]) / res.peak[t]).toFixed(0)}%${apiCells(t)}`);
      const js = jsShown ? '' : ` | ${row.js ? row.js.toFixed(2) : ''}`;
      console.log(`| ${row.name} | ${cells.join(' | ')}${js} |`);
    }
    jsShown = true;
  }
}

if (args.includes('--child')) child(process.env.NODEGRAD_ISA);
else main();
