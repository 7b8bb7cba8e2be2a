// GPT training-step benchmark (issue 16): one nanoGPT step (forward + cross-entropy, backward, clipGradNorm
// 1.0, AdamW with nanoGPT's decay groups) on random tokens, nodegrad native at 1 and 2 threads against
// PyTorch 1.13 (bench/peers/torch_gpt.py, nanoGPT's model in plain PyTorch) at its best of torch threads
// {1, 2} × OpenBLAS threads {1, 2}, same run, each configuration in its own process, medians after warm-up.
// Configs: (a) 4 layers × 128, T 64, batch 12 (nanoGPT's CPU shakespeare-char, V 65); (b) 6 × 384, T 256,
// batch 8 (V 65); (c) GPT-2 124M (V 50257, 12 × 768, 12 heads), T 64, batch 4, with peak RSS. Generation
// tokens/s (greedy, batch 1) with and without nodegrad's KV cache, and PyTorch's nanoGPT generate (no cache).
//
//   npm run build && node bench/gpt.mjs [--quick] [--configs a,b,c] [--no-peers]
//   NODEGRAD_BENCH_ENTRY=$PWD/lib/index.ts node --import tsx bench/gpt.mjs   (without dist/)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const noPeers = args.includes('--no-peers');
const entry = process.env.NODEGRAD_BENCH_ENTRY ? pathToFileURL(process.env.NODEGRAD_BENCH_ENTRY).href : '../dist/esm/index.mjs';
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);

/** Model and protocol per config; the issue's PyTorch figures (AMD Zen 5) and targets ride along. */
export const CONFIGS = {
  a: { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, T: 64, batch: 12, warm: 3, runs: 20, quickRuns: 5,
    gen: { prompt: 1, new: 63, quickNew: 31 }, issueTorchMs: 28, target: 3 },
  b: { vocabSize: 65, blockSize: 256, nLayer: 6, nHead: 6, nEmbd: 384, T: 256, batch: 8, warm: 2, runs: 8, quickRuns: 3,
    gen: { prompt: 1, new: 255, quickNew: 63 }, issueTorchMs: 590, target: 2 },
  c: { vocabSize: 50257, blockSize: 64, nLayer: 12, nHead: 12, nEmbd: 768, T: 64, batch: 4, warm: 2, runs: 5, quickRuns: 2,
    gen: { prompt: 1, new: 63, quickNew: 15 }, issueTorchMs: 1260, target: 2.5 },
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function child() {
  const ng = await import(entry);
  const threads = Number(opt('--threads', '1'));
  const name = opt('--config', 'a');
  const c = CONFIGS[name];
  ng.setBackend('native');
  ng.setNumThreads(threads);
  ng.manualSeed(0);
  const rss0 = process.resourceUsage().maxRSS / 1024;
  const model = new ng.models.GPT({ vocabSize: c.vocabSize, blockSize: c.blockSize, nLayer: c.nLayer, nHead: c.nHead, nEmbd: c.nEmbd });
  const optim = model.configureOptimizers({ weightDecay: 0.1, lr: 6e-4, betas: [0.9, 0.95] });
  const { batch: B, T, vocabSize: V } = c;
  const g = new ng.Generator(1);
  const rand = () => ng.tensor(Int32Array.from({ length: B * T }, () => g.nextU32() % V), { dtype: 'int32' }).reshape(B, T);
  const batches = Array.from({ length: 4 }, () => [rand(), rand()]);
  const runs = quick ? c.quickRuns : c.runs;
  const fw = [], bw = [], up = [], tot = [], cpu = [];
  let loss = NaN;
  for (let i = 0; i < c.warm + runs; i++) {
    const [x, y] = batches[i % batches.length];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const l = ng.F.crossEntropy(model.forward(x).view(-1, V), y.view(-1), { ignoreIndex: -1 });
    const t1 = performance.now();
    optim.zeroGrad();
    l.backward();
    const t2 = performance.now();
    ng.nn.utils.clipGradNorm(model.parameters(), 1.0);
    optim.step();
    const t3 = performance.now();
    const c1 = process.cpuUsage(c0);
    loss = l.item();
    if (i >= c.warm) { fw.push(t1 - t0); bw.push(t2 - t1); up.push(t3 - t2); tot.push(t3 - t0); cpu.push((c1.user + c1.system) / 1000); }
  }
  const step = { median: median(tot), min: Math.min(...tot), max: Math.max(...tot), runs, forward: median(fw), backward: median(bw), update: median(up), cpuMs: median(cpu), loss };
  step.tokensPerS = (B * T) / (step.median / 1e3);
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  let generate = null;
  if (c.gen) {
    model.eval();
    const n = quick ? c.gen.quickNew : c.gen.new;
    const prompt = [Array.from({ length: c.gen.prompt }, () => g.nextU32() % V)];
    const tps = (useCache) => {
      model.generate(prompt, 2, { temperature: 0, useCache });
      const t = performance.now();
      model.generate(prompt, n, { temperature: 0, useCache });
      return n / ((performance.now() - t) / 1e3);
    };
    generate = { prompt: c.gen.prompt, new: n, cacheTokensPerS: tps(true), noCacheTokensPerS: tps(false) };
  }
  console.log('@@JSON ' + JSON.stringify({ framework: 'nodegrad', threads, isa: ng.nativeInfo()?.isa, config: name, step, generate, peakRssMB, baseRssMB: rss0 }));
}

function run(label, cmd, argv, env = process.env) {
  process.stdout.write(`  ${label} … `);
  const t = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env, maxBuffer: 1 << 24, timeout: 1800_000 });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('@@JSON '));
  const secs = ((performance.now() - t) / 1000).toFixed(0);
  if (!line) {
    console.log(`failed (${secs} s): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`);
    return null;
  }
  const o = JSON.parse(line.slice(7));
  console.log(`${o.step.median.toFixed(1)} ms/step (${secs} s)`);
  return o;
}

if (args.includes('--child')) {
  await child();
} else {
  const self = fileURLToPath(import.meta.url);
  const q = quick ? ['--quick'] : [];
  const names = opt('--configs', 'a,b,c').split(',');
  const py = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  // PyTorch at its best: OpenBLAS on its AVX-512 kernels (Debian's 0.3.21 misdetects newer cores), no L2 override
  const peerEnv = { ...process.env };
  delete peerEnv.OPENBLAS_L2_SIZE;
  if (/\bavx512f\b/.test(fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '')) peerEnv.OPENBLAS_CORETYPE = 'SkylakeX';
  const load0 = os.loadavg();
  const results = {};
  for (const name of names) {
    const c = CONFIGS[name];
    if (!c) throw new Error(`bench/gpt: unknown config '${name}' (a, b, c)`);
    console.log(`config ${name}: ${c.nLayer}×${c.nEmbd}, ${c.nHead} heads, V ${c.vocabSize}, T ${c.T}, batch ${c.batch}`);
    // nodegrad and PyTorch runs interleaved, so that a change of machine load hits both alike
    const ngRun = (t) => run(`nodegrad native ${t}T`, process.execPath, [...process.execArgv, self, '--child', '--config', name, '--threads', String(t), ...q]);
    const torchRun = (t, b) => {
      const r = run(`pytorch torch ${t}T × OpenBLAS ${b}T`, py, [path.join(here, 'peers', 'torch_gpt.py'), '--config', name, '--threads', String(t), '--configs', JSON.stringify(CONFIGS), ...q],
        { ...peerEnv, OMP_NUM_THREADS: String(t), OPENBLAS_NUM_THREADS: String(b) });
      if (r) torch.push({ ...r, blasThreads: b });
    };
    const torch = [];
    const ng = [ngRun(1)];
    if (!noPeers) torchRun(1, 1);
    ng.push(ngRun(2));
    if (!noPeers) for (const [t, b] of [[1, 2], [2, 1], [2, 2]]) torchRun(t, b);
    results[name] = { config: c, nodegrad: ng, pytorch: torch };
  }
  const load1 = os.loadavg();
  const f = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '—');
  const lines = [
    '', '| config | nodegrad 1T ms | nodegrad 2T ms | tokens/s (best) | PyTorch best ms (torch×BLAS threads) | speed-up | issue target |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  // CPU time (user + system, all threads) per step: on a shared machine a 1-thread run's CPU time is
  // far less disturbed by other processes than its wall time
  const detail = ['', '| config | who | forward ms | backward ms | clip+AdamW ms | CPU ms/step | peak RSS MB |', '| --- | --- | --- | --- | --- | --- | --- |'];
  const gen = ['', '| config | nodegrad KV cache tok/s (1T / 2T) | nodegrad no cache tok/s (1T / 2T) | PyTorch nanoGPT generate (no cache) best tok/s |', '| --- | --- | --- | --- |'];
  for (const [name, r] of Object.entries(results)) {
    const [n1, n2] = r.nodegrad;
    const bestN = [n1, n2].filter(Boolean).sort((a, b) => a.step.median - b.step.median)[0];
    const bestT = r.pytorch.slice().sort((a, b) => a.step.median - b.step.median)[0];
    const speed = bestN && bestT ? bestT.step.median / bestN.step.median : NaN;
    lines.push(`| (${name}) ${r.config.nLayer}×${r.config.nEmbd} T${r.config.T} B${r.config.batch} V${r.config.vocabSize} | ${f(n1?.step.median)} | ${f(n2?.step.median)} | ${f(bestN?.step.tokensPerS, 0)} | ${bestT ? `${f(bestT.step.median)} (${bestT.threads}×${bestT.blasThreads})` : '—'} | ${Number.isFinite(speed) ? speed.toFixed(2) + '×' : '—'} | ≥${r.config.target}× (issue: PyTorch ${r.config.issueTorchMs} ms on Zen 5) |`);
    for (const x of [bestN, bestT].filter(Boolean)) {
      detail.push(`| (${name}) | ${x.framework} ${x.threads}T${x.blasThreads ? `×${x.blasThreads}` : ''} | ${f(x.step.forward)} | ${f(x.step.backward)} | ${f(x.step.update)} | ${f(x.step.cpuMs)} | ${f(x.peakRssMB, 0)} |`);
    }
    const t11 = r.pytorch.find((x) => x.threads === 1 && x.blasThreads === 1);
    if (n1 && t11) detail.push(`| (${name}) | 1 thread each: CPU ms/step nodegrad ${f(n1.step.cpuMs)} vs PyTorch ${f(t11.step.cpuMs)} | | | | ${(t11.step.cpuMs / n1.step.cpuMs).toFixed(2)}× | |`);
    const bestTg = r.pytorch.map((x) => x.generate?.noCacheTokensPerS ?? NaN).filter(Number.isFinite);
    gen.push(`| (${name}) +${n1?.generate?.new ?? '—'} tokens | ${f(n1?.generate?.cacheTokensPerS)} / ${f(n2?.generate?.cacheTokensPerS)} | ${f(n1?.generate?.noCacheTokensPerS)} / ${f(n2?.generate?.noCacheTokensPerS)} | ${bestTg.length ? f(Math.max(...bestTg)) : '—'} |`);
  }
  const cpu = (fs.existsSync('/proc/cpuinfo') ? (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] : null) ?? os.cpus()[0]?.model;
  const head = `${cpu}, ${os.cpus().length} CPUs, node ${process.version}; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end`;
  const md = [head, ...lines, ...detail, ...gen].join('\n');
  console.log(md);
  const dir = path.join(here, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'gpt.json'), JSON.stringify({ date: new Date().toISOString(), quick, cpu, load: [load0, load1], results }, null, 1) + '\n');
  fs.writeFileSync(path.join(dir, 'gpt.md'), `# GPT training-step benchmark (${new Date().toISOString()}, node bench/gpt.mjs${quick ? ' --quick' : ''})\n\n${md}\n`);
}
