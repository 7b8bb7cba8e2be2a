// Turns bench/results/latest.json into report.md (Markdown tables) and chart.svg (a dependency-free
// SVG bar chart). Used by bench/index.mjs; standalone: node bench/report.mjs [latest.json]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const NG = ['nodegrad native 1T', 'nodegrad native 2T', 'nodegrad js'];
const groupOf = (label) => label.replace(/ \dT\b/, '').replace(/\s+/g, ' ').trim();
const threadsOf = (r) => (r.label.match(/ (\d)T\b/) ?? [])[1] ?? String(r.threads ?? 1);

function num(x) {
  if (x == null || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
const fmt = (s) => (s ? `${num(s.median)} [${num(s.min)}–${num(s.max)}]` : '—');

/** Rows: nodegrad configs, then each peer group at its best thread setting for this metric. */
function rowsFor(runs, get, higherBetter) {
  const rows = [];
  for (const l of NG) {
    const r = runs.find((x) => x.label === l);
    const v = r && get(r);
    if (v) rows.push({ name: l, v, r, ng: true });
  }
  const groups = new Map();
  for (const r of runs) {
    if (NG.includes(r.label) || r.framework === 'nodegrad') continue;
    const v = get(r);
    if (!v) continue;
    const g = groupOf(r.label);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push({ r, v });
  }
  for (const [g, list] of groups) {
    list.sort((a, b) => (higherBetter ? b.v.median - a.v.median : a.v.median - b.v.median));
    const best = list[0];
    const tried = list.map((x) => `${threadsOf(x.r)}T`).join('/');
    const name = list.length > 1 ? `${g} (best of ${tried}: ${threadsOf(best.r)}T)` : `${g} (${threadsOf(best.r)}T)`;
    rows.push({ name, v: best.v, r: best.r, ng: false, group: g });
  }
  return rows;
}

function ngBest(rows, higherBetter) {
  const n = rows.filter((x) => x.ng && !x.name.endsWith('js'));
  if (!n.length) return null;
  return n.reduce((a, b) => ((higherBetter ? b.v.median > a.v.median : b.v.median < a.v.median) ? b : a));
}

function ratioCell(best, row, higherBetter) {
  if (!best || row === best) return row === best ? '(reference)' : '';
  const k = higherBetter ? best.v.median / row.v.median : row.v.median / best.v.median;
  return `${k.toFixed(2)}×`;
}

function table(title, unit, rows, higherBetter, extraCols = []) {
  if (!rows.length) return '';
  const best = ngBest(rows, higherBetter);
  const head = [`| configuration | ${unit} median [min–max] |`, ...extraCols.map((c) => ` ${c.name} |`), ` nodegrad native best${best ? ` (${best.name.replace('nodegrad native ', '')})` : ''} vs this |`].join('');
  const sep = '|---|---:|' + extraCols.map(() => '---:|').join('') + '---:|';
  const lines = rows.map((row) => `| ${row.ng ? '**' + row.name + '**' : row.name} | ${fmt(row.v)} |` + extraCols.map((c) => ` ${c.get(row)} |`).join('') + ` ${ratioCell(best, row, higherBetter)} |`);
  return `### ${title}\n\n${head}\n${sep}\n${lines.join('\n')}\n\n` +
    `_${higherBetter ? 'Higher' : 'Lower'} is better. Last column: how many times faster nodegrad's best native thread setting is than that row (< 1: slower)._\n\n`;
}

function gemmSection(runs) {
  const ng = { avx512: runs.find((r) => r.kind === 'gemm' && r.isa === 'avx512'), avx2: runs.find((r) => r.kind === 'gemm' && r.isa === 'avx2') };
  let md = '';
  const peaks = Object.entries(ng).filter(([, r]) => r).map(([isa, r]) => `${isa}: ${Object.entries(r.peak).map(([t, p]) => `${t}T ${p.toFixed(1)}`).join(', ')} GFLOP/s`);
  if (peaks.length) md += `### FP32 FMA peak (addon probe \`fmaPeak\`)\n\n${peaks.map((p) => `- ${p}`).join('\n')}\n\n`;
  const peerRuns = runs.filter((r) => r.gemm && r.framework !== 'nodegrad');
  const groups = new Map();
  for (const r of peerRuns) {
    const g = groupOf(r.label).replace('(/usr/bin/python3)', '(Debian)').replace(/\(\/.*python3\)/, '(PATH python3)');
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(r);
  }
  const shapes = (ng.avx512 ?? ng.avx2)?.rows.map((r) => r.name) ?? peerRuns[0]?.gemm.map((r) => r.name) ?? [];
  if (!shapes.length) return md;
  const cols = [];
  for (const isa of ['avx512', 'avx2']) {
    const r = ng[isa];
    if (!r) continue;
    const hasApi = r.rows.some((x) => x.api);
    for (const t of Object.keys(r.peak)) {
      cols.push({ name: `nodegrad ${isa} ${t}T (% peak)`, get: (s) => { const row = r.rows.find((x) => x.name === s); return row ? `${num(row.gflops[t])} (${Math.round((100 * row.gflops[t]) / r.peak[t])}%)` : ''; } });
      // the same product through the public API (a.matmul(b)), and API / kernel
      if (hasApi) cols.push({ name: `API ${isa} ${t}T (API/kernel)`, get: (s) => { const row = r.rows.find((x) => x.name === s); return row?.api?.[t] ? `${num(row.api[t])} (${(row.api[t] / row.gflops[t]).toFixed(2)})` : ''; } });
    }
  }
  if (ng.avx512 ?? ng.avx2) cols.push({ name: 'nodegrad js', get: (s) => { const row = (ng.avx512 ?? ng.avx2).rows.find((x) => x.name === s); return row?.js ? num(row.js) : ''; } });
  for (const [g, list] of groups) {
    cols.push({
      name: `${g} best of ${list.map((r) => threadsOf(r) + 'T').join('/')}`,
      get: (s) => {
        const c = list.map((r) => ({ r, v: r.gemm.find((x) => x.name === s)?.gflops })).filter((x) => x.v).sort((a, b) => b.v.median - a.v.median)[0];
        return c ? `${num(c.v.median)} [${num(c.v.min)}–${num(c.v.max)}] ${threadsOf(c.r)}T` : '';
      },
    });
  }
  md += `### SGEMM GFLOP/s (median; peers median [min–max] and the thread count that won)\n\n| shape | ${cols.map((c) => c.name).join(' | ')} |\n|---|${cols.map(() => '---:').join('|')}|\n`;
  for (const s of shapes) md += `| ${s} | ${cols.map((c) => c.get(s)).join(' | ')} |\n`;
  const over = Object.values(ng).some((r) => r && r.rows.some((row) => Object.keys(r.peak).some((t) => row.gflops[t] > r.peak[t])));
  const apiRun = ng.avx512?.rows.some((x) => x.api) ? ng.avx512 : ng.avx2?.rows.some((x) => x.api) ? ng.avx2 : null;
  const apiNote = apiRun ? ` _API columns: ${apiRun.api?.note ?? 'a.matmul(b)'} on tensors from dist/cjs, same process, same threads, median of ≥ 7 calls; each call allocates its output._`
    : (ng.avx512 ?? ng.avx2)?.api?.reason ? ` _No API columns: ${(ng.avx512 ?? ng.avx2).api.reason}._` : '';
  md += '\n_nodegrad GEMM figures come from bench/gemm.mjs (median of ≥ 7 runs; it does not report min/max)._' + apiNote +
    (over ? ' _Percentages over 100 % mean the short peak probe ran while other processes held the cores: treat % of peak as unreliable in this run and compare GFLOP/s across columns instead._' : '') + '\n\n';
  if (apiRun) md += apiVsPeers(apiRun, groups, shapes);
  return md;
}

// Public API vs raw kernel vs numpy at each thread count (not best-of): one row per shape.
function apiVsPeers(r, groups, shapes) {
  const ts = Object.keys(r.peak);
  const numpy = [...groups.entries()].filter(([g]) => g.startsWith('numpy'));
  const head = ['shape', ...ts.flatMap((t) => [`kernel ${t}T`, `API ${t}T`, `API/kernel ${t}T`, ...numpy.flatMap(([g]) => [`${g} ${t}T`, `API/${g} ${t}T`])])];
  let md = `### Public API \`a.matmul(b)\` vs raw kernel (${r.isa}) vs numpy, same thread count (GFLOP/s, medians)\n\n| ${head.join(' | ')} |\n|---|${head.slice(1).map(() => '---:').join('|')}|\n`;
  for (const s of shapes) {
    const row = r.rows.find((x) => x.name === s);
    if (!row?.api) continue;
    const cells = ts.flatMap((t) => {
      const out = [num(row.gflops[t]), num(row.api[t]), (row.api[t] / row.gflops[t]).toFixed(2)];
      for (const [, list] of numpy) {
        const v = list.find((p) => threadsOf(p) === t)?.gemm.find((x) => x.name === s)?.gflops?.median;
        out.push(v ? num(v) : '—', v ? (row.api[t] / v).toFixed(2) : '—');
      }
      return out;
    });
    md += `| ${s} | ${cells.join(' | ')} |\n`;
  }
  return md + '\n_Ratios below 1: the API (or nodegrad against numpy) is slower. The gap between API and kernel is the N-API call, output allocation and op dispatch per call; rows without an API figure are epilogue rows or transposed shapes in a build whose transpose copies._\n\n';
}

const metrics = {
  xor: { title: 'XOR 2-3-1, SGD lr 0.1, full batch of 4', unit: 'µs/step', get: (r) => r.xor?.usPerStep, hi: false },
  mlpTrain: { title: 'MNIST MLP 784-256-128-10 training (Adam 1e-3, batch 128)', unit: 'samples/s', get: (r) => r.mlp?.train?.samplesPerSec, hi: true },
  mlpInfer: { title: 'MNIST MLP inference, batch 128', unit: 'samples/s', get: (r) => r.mlp?.infer?.samplesPerSec, hi: true },
  // the loop a user writes: zeroGrad() with its default before each step, a fresh batch tensor each step
  // (peers' rows are their own training loop, which is already written that way)
  mlpTrainUser: {
    title: 'MNIST MLP training, a user’s explicit loop (nodegrad: zeroGrad() default; peers: their loop as above)', unit: 'samples/s',
    get: (r) => (r.framework === 'nodegrad' ? r.mlp?.trainUserLoop?.samplesPerSec : r.mlp?.train?.samplesPerSec), hi: true,
  },
  adam: { title: 'Adam update alone over the MLP’s 235,146 parameters', unit: 'µs/step', get: (r) => r.adam?.us, hi: false },
  cnn: { title: 'MNIST CNN (LeNet-style, BN) training, batch 64', unit: 'samples/s', get: (r) => r.cnn?.train?.samplesPerSec, hi: true },
};

export function buildMarkdown(res) {
  const { meta, runs, skipped } = res;
  let md = `# nodegrad benchmark report\n\n`;
  md += `- command: \`${meta.command}\` (${meta.quick ? 'quick' : 'full'}; ${meta.seconds.toFixed(0)} s)\n- date: ${meta.date}\n`;
  md += `- machine: ${meta.cpu}, ${meta.cpus} CPUs (AVX-512: ${meta.avx512 ? 'yes' : 'no'}), node ${meta.node}; load average at the end ${meta.loadavgAtEnd.map((x) => x.toFixed(1)).join(' / ')}\n`;
  const b = meta.blas ?? {};
  md += `- peers' OpenBLAS: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the parent environment: ${b.parentEnv?.OPENBLAS_CORETYPE ?? 'unset'} / ${b.parentEnv?.OPENBLAS_L2_SIZE ?? 'unset'} — removed for every peer process (kept for nodegrad's).`;
  for (const [py, i] of Object.entries(b.perInterpreter ?? {})) md += ` ${py}: OpenBLAS detects core \`${i.openblasCoreDetected}\`, used \`${i.openblasCoreUsed}\`${i.openblasCoreUsed !== i.openblasCoreDetected ? ' (OPENBLAS_CORETYPE set for the peer: the detected core has no AVX-512 kernels)' : ''}.`;
  md += '\n- each figure: median [min–max] over ≥ 5 timed runs after warm-up (training: per-chunk throughput over the timed steps); every configuration is a separate process; peers at each thread count tried, best shown.\n';
  const versions = [...new Map(runs.filter((r) => r.version).map((r) => [groupOf(r.label), `${groupOf(r.label)} ${r.version}`])).values()];
  if (versions.length) md += `- peer versions: ${versions.join(', ')}\n`;
  md += '\n';
  md += gemmSection(runs);
  // Per-op overhead
  const opsRows = ['add', 'matmul', 'sigmoid'].map((op) => ({ op, rows: rowsFor(runs, (r) => r.ops?.[op], false) }));
  if (opsRows.some((x) => x.rows.length)) {
    md += '### Per-op overhead, 8×8 inputs with autograd on (µs/op)\n\n';
    const names = [...new Set(opsRows.flatMap((x) => x.rows.map((r) => r.name)))];
    md += `| configuration | ${opsRows.map((x) => x.op).join(' | ')} |\n|---|${opsRows.map(() => '---:').join('|')}|\n`;
    for (const n of names) md += `| ${n.startsWith('nodegrad') ? '**' + n + '**' : n} | ${opsRows.map((x) => fmt(x.rows.find((r) => r.name === n)?.v)).join(' | ')} |\n`;
    md += '\n_tfjs records no autograd tape outside tf.grad/minimize, so its rows are plain op dispatch._\n\n';
  }
  md += table(metrics.xor.title, metrics.xor.unit, rowsFor(runs, metrics.xor.get, false), false, [{ name: 'note', get: (row) => row.r.xor?.note ?? '' }]);
  const trainCols = [
    { name: 'whole-run samples/s', get: (row) => num(row.r.mlp?.train?.overall) },
    { name: 'steps timed', get: (row) => String(row.r.mlp?.train?.steps ?? '') },
    { name: 'test accuracy after those steps', get: (row) => (row.r.mlp?.train?.testAccuracy != null ? (100 * row.r.mlp.train.testAccuracy).toFixed(2) + '%' : '') },
  ];
  md += table(metrics.mlpTrain.title, metrics.mlpTrain.unit, rowsFor(runs, metrics.mlpTrain.get, true), true, trainCols);
  md += table(metrics.mlpTrainUser.title, metrics.mlpTrainUser.unit, rowsFor(runs, metrics.mlpTrainUser.get, true), true);
  md += table(metrics.mlpInfer.title, metrics.mlpInfer.unit, rowsFor(runs, metrics.mlpInfer.get, true), true);
  md += table(metrics.adam.title, metrics.adam.unit, rowsFor(runs, metrics.adam.get, false), false,
    [{ name: 'note', get: (row) => (row.r.adam?.us?.foreach != null ? `foreach=${row.r.adam.us.foreach} (the faster)` : '') }]);
  const cnnCols = [
    { name: 'steps timed', get: (row) => String(row.r.cnn?.train?.steps ?? '') },
    { name: 'test accuracy after those steps', get: (row) => (row.r.cnn?.train?.testAccuracy != null ? (100 * row.r.cnn.train.testAccuracy).toFixed(2) + '%' + (row.r.cnn.train.testN && row.r.cnn.train.testN < 10000 ? ` (first ${row.r.cnn.train.testN})` : '') : '') },
  ];
  md += table(metrics.cnn.title, metrics.cnn.unit, rowsFor(runs, metrics.cnn.get, true), true, cnnCols);
  const errs = runs.filter((r) => r.cnn?.error).map((r) => `- ${r.label} CNN: ${r.cnn.error}`);
  const sk = (skipped ?? []).map((s) => `- ${s.label}: ${s.reason}`);
  if (errs.length || sk.length) md += `### Not measured\n\n${[...sk, ...errs].join('\n')}\n\n`;
  md += '![chart](chart.svg)\n';
  return md;
}

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function buildSvg(res) {
  const runs = res.runs;
  const panels = [];
  const add = (title, rows, hi) => { if (rows.length) panels.push({ title, rows, hi }); };
  add('MNIST MLP training, samples/s (higher is better)', rowsFor(runs, metrics.mlpTrain.get, true), true);
  add('MNIST MLP inference batch 128, samples/s (higher is better)', rowsFor(runs, metrics.mlpInfer.get, true), true);
  add('MNIST CNN training batch 64, samples/s (higher is better)', rowsFor(runs, metrics.cnn.get, true), true);
  add('XOR 2-3-1 SGD step, µs (lower is better)', rowsFor(runs, metrics.xor.get, false), false);
  add('Adam over 235k parameters, µs (lower is better)', rowsFor(runs, metrics.adam.get, false), false);
  // SGEMM 1024³: nodegrad per ISA/threads + peers' best.
  const g = [];
  for (const r of runs.filter((x) => x.kind === 'gemm')) {
    const row = r.rows.find((x) => x.name === 'square 1024');
    if (row) for (const t of Object.keys(row.gflops)) g.push({ name: `nodegrad ${r.isa} ${t}T`, v: { median: row.gflops[t] }, ng: true });
    if (row?.api) for (const t of Object.keys(row.api)) g.push({ name: `nodegrad API ${r.isa} ${t}T (a.matmul(b))`, v: { median: row.api[t] }, ng: true });
  }
  const gp = rowsFor(runs.filter((r) => r.gemm), (r) => r.gemm.find((x) => x.name === 'square 1024')?.gflops, true).filter((x) => !x.ng)
    .map((x) => ({ ...x, name: x.name.replace('(/usr/bin/python3)', '(Debian)').replace(/\(\/\S*python3\)/, '(PATH)') }));
  add('SGEMM 1024³, GFLOP/s (higher is better)', [...g, ...gp], true);

  const W = 960, labelW = 330, barW = W - labelW - 130, rowH = 20, titleH = 30, gap = 16;
  let y = 40;
  const parts = [];
  for (const p of panels) {
    parts.push(`<text x="10" y="${y + 18}" font-size="14" font-weight="bold">${esc(p.title)}</text>`);
    y += titleH;
    const max = Math.max(...p.rows.map((r) => r.v.max ?? r.v.median));
    for (const r of p.rows) {
      const w = Math.max(1, (barW * r.v.median) / max);
      const color = r.ng ? (r.name.endsWith('js') ? '#f4a261' : '#e76f51') : '#5b8db8';
      parts.push(`<text x="${labelW - 8}" y="${y + 14}" font-size="12" text-anchor="end">${esc(r.name)}</text>`);
      parts.push(`<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${color}"/>`);
      if (r.v.min != null && r.v.max != null) {
        const x1 = labelW + (barW * r.v.min) / max, x2 = labelW + (barW * r.v.max) / max, cy = y + rowH / 2;
        parts.push(`<line x1="${x1.toFixed(1)}" y1="${cy}" x2="${x2.toFixed(1)}" y2="${cy}" stroke="#222" stroke-width="1"/>`);
        parts.push(`<line x1="${x1.toFixed(1)}" y1="${cy - 4}" x2="${x1.toFixed(1)}" y2="${cy + 4}" stroke="#222"/><line x1="${x2.toFixed(1)}" y1="${cy - 4}" x2="${x2.toFixed(1)}" y2="${cy + 4}" stroke="#222"/>`);
      }
      const tx = labelW + Math.max(w, r.v.max != null ? (barW * r.v.max) / max : 0) + 6;
      parts.push(`<text x="${tx.toFixed(1)}" y="${y + 14}" font-size="12">${esc(num(r.v.median))}</text>`);
      y += rowH;
    }
    y += gap;
  }
  const m = res.meta;
  const head = `<text x="10" y="22" font-size="16" font-weight="bold">nodegrad vs peers — ${esc(m.cpu)}, ${m.cpus} CPUs, ${m.quick ? 'quick' : 'full'} run ${esc(m.date.slice(0, 10))} (bars: median, whiskers: min–max)</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" viewBox="0 0 ${W} ${y + 10}" font-family="Helvetica, Arial, sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${head}\n${parts.join('\n')}\n</svg>\n`;
}

export function writeReport(res, dir) {
  const md = buildMarkdown(res);
  fs.writeFileSync(path.join(dir, 'report.md'), md);
  fs.writeFileSync(path.join(dir, 'chart.svg'), buildSvg(res));
  return md;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  const file = process.argv[2] ?? path.join(dir, 'latest.json');
  console.log(writeReport(JSON.parse(fs.readFileSync(file, 'utf8')), path.dirname(file)));
}
