/**
 * The CLI on the user's own data, as a PyTorch user tries it: `nodegrad train --data my.csv --model mlp
 * --hidden 16` (CSV with a header and class names; numeric regression), a safetensors x/y pair and an
 * IDX pair, `nodegrad predict DIR --data FILE` (class names / targets in their units, accuracy or RMSE
 * when the file has the targets), clear errors for bad files, `info --json`, "1 epoch" (not "1 epochs"),
 * and `nodegrad bench` from an installed package (bench/ is in the package's files).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadTable, parseCsv } from '../../lib/cli-data.js';
import { defaultResultsDir, runBench } from '../../lib/cli-bench.js';
import { parseHidden, plural, predictSaved, runGenericTrain, type TrainCommandOptions } from '../../lib/cli-fit.js';
import { infoJson } from '../../lib/cli-info.js';
import { Tensor } from '../../lib/tensor.js';
import { saveSafetensors } from '../../lib/io/safetensors.js';
import { loadModel } from '../../lib/io/model.js';
import { forEachBackend } from '../helpers/backends.js';
import { repoRoot, runNode } from '../helpers/dist.js';
import { idxBytes } from '../io/idx-writer.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-cli-generic-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A seeded LCG so the data files are the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Three well-separated blobs in 2-D plus a noise column, named classes. */
function blobsCsv(n: number): string {
  const r = rng(1);
  const names = ['setosa', 'versicolor', 'virginica'];
  const lines = ['sepal,petal,noise,species'];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    lines.push(`${(3 * c + r() - 0.5).toFixed(3)},${(-2 * c + r() - 0.5).toFixed(3)},${r().toFixed(3)},${names[c]}`);
  }
  return lines.join('\n') + '\n';
}

const opts = (o: Partial<TrainCommandOptions>): TrainCommandOptions => ({
  hidden: '16', validSplit: '0.2', lr: 0.01, seed: 0, progress: false, epochs: 30, ...o,
});

async function quiet<T>(fn: () => T | Promise<T>): Promise<{ value: T; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  try {
    return { value: await fn(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

describe('parseCsv', () => {
  it('reads quoted fields, escaped quotes, CRLF, a BOM, and skips blank lines', () => {
    expect(parseCsv('\ufeffa,"b,c"\r\n1,"say ""hi"""\n\n2,3')).toEqual([['a', 'b,c'], ['1', 'say "hi"'], ['2', '3']]);
    expect(parseCsv('x;y\n1;2\n', ';')).toEqual([['x', 'y'], ['1', '2']]);
    expect(() => parseCsv('a,"b\n1,2')).toThrow(/unterminated quoted field/);
  });

  it('parseHidden takes 256,128; "" / none / 0 mean no hidden layer; junk is an error', () => {
    expect(parseHidden('256,128')).toEqual([256, 128]);
    expect(parseHidden('none')).toEqual([]);
    expect(parseHidden('0')).toEqual([]);
    expect(() => parseHidden('256,x')).toThrow(/--hidden: expected comma-separated positive integers/);
  });

  it('plural: 1 epoch, 2 epochs, 1 class, 3 classes', () => {
    expect(plural(1, 'epoch')).toBe('1 epoch');
    expect(plural(2, 'epoch')).toBe('2 epochs');
    expect(plural(3, 'class', 'classes')).toBe('3 classes');
  });
});

describe('loadTable: the rules for the user\'s data', () => {
  it('a header row, the last column as target by default, class names sorted', () => {
    const f = path.join(tmp, 'named.csv');
    fs.writeFileSync(f, 'a,b,kind\n1,2,dog\n3,4,cat\n5,6,dog\n');
    const t = loadTable({ data: f });
    expect(t.featureNames).toEqual(['a', 'b']);
    expect(t.task).toBe('classification');
    expect(t.classes).toEqual(['cat', 'dog']);
    expect(Array.from(t.y!)).toEqual([1, 0, 1]);
    expect(Array.from(t.x)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('--target by name or index; small non-negative integers are classes, other numbers regression; --task overrides', () => {
    const f = path.join(tmp, 'nums.csv');
    fs.writeFileSync(f, 'y,a,b\n0,1,2\n2,3,4\n1,5,6\n');
    const byName = loadTable({ data: f, target: 'y' });
    expect(byName.task).toBe('classification');
    expect(byName.classes).toBeNull();
    expect(Array.from(byName.y!)).toEqual([0, 2, 1]);
    expect(loadTable({ data: f, target: '0' }).featureNames).toEqual(['a', 'b']);
    expect(loadTable({ data: f, target: 'y', task: 'regression' }).y).toBeInstanceOf(Float32Array);
    expect(loadTable({ data: f }).targetName).toBe('b');
  });

  it('no header when every field of the first row is a number', () => {
    const f = path.join(tmp, 'noheader.csv');
    fs.writeFileSync(f, '0.5,1.5,10.25\n1.5,2.5,20.75\n');
    const t = loadTable({ data: f });
    expect(t.featureNames).toBeNull();
    expect(t.n).toBe(2);
    expect(t.task).toBe('regression');
    expect(Array.from(t.y!)).toEqual([10.25, 20.75]);
  });

  it('bad files: the row, the column and what was found', () => {
    const f = path.join(tmp, 'bad.csv');
    fs.writeFileSync(f, 'a,b,y\n1,2,0\n1,oops,1\n');
    expect(() => loadTable({ data: f })).toThrow(/bad\.csv: row 3, column 'b': expected a number, got "oops"/);
    fs.writeFileSync(f, 'a,b,y\n1,2,0\n1,2\n');
    expect(() => loadTable({ data: f })).toThrow(/row 3 has 2 fields, expected 3/);
    fs.writeFileSync(f, 'a,b,y\n1,2,0\n');
    expect(() => loadTable({ data: f, target: 'label' })).toThrow(/--target 'label' is neither a column name \(a, b, y\)/);
    expect(() => loadTable({ data: path.join(tmp, 'missing.csv') })).toThrow(/missing\.csv: no such file/);
  });

  it('tensor files: integer targets are class labels, float targets regression; counts must agree', () => {
    const x = path.join(tmp, 'x.idx');
    const y = path.join(tmp, 'y.idx');
    fs.writeFileSync(x, idxBytes('uint8', [3, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    fs.writeFileSync(y, idxBytes('uint8', [3], [2, 0, 1]));
    const t = loadTable({ data: x, targets: y });
    expect(t.exampleShape).toEqual([2, 2]);
    expect(t.features).toBe(4);
    expect(t.task).toBe('classification');
    expect(Array.from(t.y!)).toEqual([2, 0, 1]);
    const yf = path.join(tmp, 'yf.idx');
    fs.writeFileSync(yf, idxBytes('float32', [3], [0.5, 1, 2]));
    expect(loadTable({ data: x, targets: yf }).task).toBe('regression');
    fs.writeFileSync(yf, idxBytes('float32', [2], [0.5, 1]));
    expect(() => loadTable({ data: x, targets: yf })).toThrow(/2 targets \(shape \[2\]\) for 3 examples/);
    const st = path.join(tmp, 'three.safetensors');
    saveSafetensors(st, { a: new Tensor(new Float32Array([1, 2]), [2]), b: new Tensor(new Float32Array([1, 2]), [2]) });
    expect(() => loadTable({ data: st })).toThrow(/holds 2 tensors \(a, b\); name one as three\.safetensors:<name>/);
  });
});

forEachBackend('nodegrad train --data / predict', [], () => {
  it('a CSV with named classes: trains, holds out 20 %, saves; predict prints class names and the accuracy', async () => {
    const csv = path.join(tmp, 'blobs.csv');
    fs.writeFileSync(csv, blobsCsv(150));
    const out = path.join(tmp, 'blobs-model');
    const { value: r, out: log } = await quiet(() => runGenericTrain(undefined, opts({ data: csv, model: 'mlp', out })));
    expect(log).toMatch(/training mlp 3-16-3 \(classification into 3 classes \(setosa, versicolor, virginica\); column 'species' holds names\) on 120 examples/);
    expect(log).toMatch(/30 held out for validation: 30 epochs/);
    expect(r.validAccuracy).toBeGreaterThanOrEqual(0.95); // separated blobs
    expect(log).toContain(`model saved to ${out}`);
    const { metadata } = loadModel(out);
    expect(JSON.parse(metadata.classes)).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(JSON.parse(metadata.featureNames)).toEqual(['sepal', 'petal', 'noise']);

    // predict on the same rows with the columns reordered and the target present
    const rows = parseCsv(fs.readFileSync(csv, 'utf8'));
    const re = path.join(tmp, 'reordered.csv');
    fs.writeFileSync(re, rows.map((c) => [c[3], c[2], c[1], c[0]].join(',')).join('\n'));
    const p = await quiet(() => predictSaved(out, { data: re, probabilities: true, batchSize: 64 }));
    const lines = p.out.trim().split('\n');
    expect(lines[0]).toBe('prediction,p_setosa,p_versicolor,p_virginica');
    expect(lines).toHaveLength(151);
    expect(lines[1].split(',')[0]).toBe('setosa');
    const probs = lines[1].split(',').slice(1).map(Number);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(p.value.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(p.err).toMatch(/accuracy: \d+\.\d\d % \(\d+\/150\)/);

    // a file without a trained column is named
    const miss = path.join(tmp, 'miss.csv');
    fs.writeFileSync(miss, 'sepal,petal,other\n1,2,3\n');
    expect(() => predictSaved(out, { data: miss, probabilities: false, batchSize: 8 })).toThrow(/columns 'noise' that the model was trained on are missing/);
  });

  it('regression on a CSV: RMSE in the target\'s units, predictions de-standardised', async () => {
    const r0 = rng(7);
    const lines = ['a,b,price'];
    for (let i = 0; i < 300; i++) {
      const a = r0(), b = r0();
      lines.push(`${a.toFixed(4)},${b.toFixed(4)},${(1000 * a + 500 * b + 100).toFixed(2)}`);
    }
    const csv = path.join(tmp, 'price.csv');
    fs.writeFileSync(csv, lines.join('\n'));
    const out = path.join(tmp, 'price-model');
    const { value: r, out: log } = await quiet(() => runGenericTrain('linear', opts({ data: csv, out, epochs: 40, lr: 0.05 })));
    expect(log).toMatch(/training linear 2-1 \(regression on 'price'; column 'price' holds numbers\)/);
    expect(r.validRmse).toBeLessThan(25); // targets span ~100..1600; a linear model fits them exactly
    const x = path.join(tmp, 'price-x.csv');
    fs.writeFileSync(x, 'a,b\n0.5,0.5\n0,0\n');
    const p = await quiet(() => predictSaved(out, { data: x, probabilities: false, batchSize: 8 }));
    expect(p.out.trim().split('\n')[0]).toBe('price');
    expect(p.value.predictions[0]).toBeCloseTo(850, -2);
    expect(p.value.predictions[1]).toBeCloseTo(100, -2);
    expect(p.value.rmse).toBeNull();
  });

  it('a safetensors x/y pair (int32 y = labels) and predict with IDX features and --targets', async () => {
    const r0 = rng(3);
    const n = 200;
    const xs = new Float32Array(n * 4);
    const ys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      ys[i] = i % 2;
      for (let j = 0; j < 4; j++) xs[i * 4 + j] = (ys[i] ? 2 : -2) * (j < 2 ? 1 : 0) + r0();
    }
    const st = path.join(tmp, 'pair.safetensors');
    saveSafetensors(st, { x: new Tensor(xs, [n, 2, 2]), y: new Tensor(ys, [n]) });
    const out = path.join(tmp, 'pair-model');
    const { value: r, out: log } = await quiet(() => runGenericTrain('mlp', opts({ data: st, out, hidden: '8,8' })));
    expect(log).toMatch(/training mlp 4-8-8-2 \(classification into 2 classes; .*pair\.safetensors:y holds integers\)/);
    expect(r.validAccuracy).toBe(1);
    const fx = path.join(tmp, 'pair-x.idx');
    const fy = path.join(tmp, 'pair-y.idx');
    fs.writeFileSync(fx, idxBytes('float32', [n, 4], xs));
    fs.writeFileSync(fy, idxBytes('int32', [n], ys));
    const p = await quiet(() => predictSaved(out, { data: fx, targets: fy, probabilities: false, batchSize: 50, out: path.join(tmp, 'pred.csv') }));
    expect(p.value.accuracy).toBe(1);
    expect(fs.readFileSync(path.join(tmp, 'pred.csv'), 'utf8').split('\n').slice(0, 3)).toEqual(['prediction', '0', '1']);
    // the same file path with the x tensor named
    const q = await quiet(() => predictSaved(out, { data: `${st}:x`, probabilities: false, batchSize: 50 }));
    expect(Array.from(q.value.predictions)).toEqual(Array.from(ys));
  });

  it('wrong use is an Error saying what to do', async () => {
    await expect(runGenericTrain('mlp', opts({}))).rejects.toThrow(/train mlp: give your data with --data FILE/);
    await expect(runGenericTrain('mnist-mlp', opts({ data: 'x.csv' }))).rejects.toThrow(/--data trains one of mlp, linear on your data, got model 'mnist-mlp'/);
    await expect(runGenericTrain('mlp', opts({ data: 'x.csv', task: 'classify' }))).rejects.toThrow(/--task must be classification or regression, got 'classify'/);
    await expect(runGenericTrain('mlp', opts({ data: 'x.csv', validSplit: '1' }))).rejects.toThrow(/--valid-split must be in \[0, 1\), got 1/);
    await expect(runGenericTrain('linear', opts({ data: 'x.csv', model: 'mlp' }))).rejects.toThrow(/model 'linear' and --model 'mlp' disagree/);
  });
});

describe('info --json, bench from a package', () => {
  it('infoJson has the fields info prints', () => {
    const j = infoJson();
    expect(j.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(j.backends).toContain(j.backend);
    expect(j.threads).toBeGreaterThanOrEqual(1);
    expect(j.native === null ? j.nativeLoadErrors.length >= 0 : typeof j.native.isa).toBeTruthy();
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });

  it('bench without bench/ says how to run it from a clone; an installed package reports to ./nodegrad-bench', () => {
    const fake = fs.mkdtempSync(path.join(tmp, 'pkg-'));
    const errs: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m) => void errs.push(String(m)));
    try {
      expect(runBench({ peers: false }, fake)).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(errs.join('\n')).toMatch(/bench[\\/]index\.mjs is missing from this installation\. Run the suite from a clone: .*npm run bench/);
    expect(defaultResultsDir(fake, '/work/here')).toBe(path.resolve('/work/here', 'nodegrad-bench'));
    fs.mkdirSync(path.join(fake, '.git'));
    expect(defaultResultsDir(fake)).toBeUndefined();
  });

  it('the npm package ships the benchmark scripts (not the results)', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    for (const f of ['bench/index.mjs', 'bench/report.mjs', 'bench/mlp.mjs', 'bench/gemm.mjs', 'bench/peers/common.mjs', 'bench/peers/common.py', 'dist/cjs/cli.js']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('bench/results/'))).toEqual([]);
  });
});

describe('the CLI as a child process (dist/)', () => {
  const cli = path.join(repoRoot, 'dist', 'cjs', 'cli.js');
  const built = fs.existsSync(cli);
  let csv = '';
  beforeAll(() => {
    csv = path.join(tmp, 'child.csv');
    fs.writeFileSync(csv, blobsCsv(60));
  });

  it.skipIf(!built)('info --json prints one JSON object', () => {
    const r = runNode([cli, 'info', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.backends).toContain(j.backend);
    expect(typeof j.version).toBe('string');
  });

  it.skipIf(!built)('train --data … --epochs 1 says "1 epoch"; predict writes CSV to stdout', () => {
    const out = path.join(tmp, 'child-model');
    const r = runNode([cli, 'train', '--data', csv, '--model', 'mlp', '--hidden', '8', '--epochs', '1', '--out', out, '--no-progress'], { cwd: tmp });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: 1 epoch, batch 32/);
    expect(r.stdout).toMatch(/for 1 epoch\)/);
    expect(r.stdout).not.toMatch(/1 epochs/);
    const p = runNode([cli, 'predict', out, '--data', csv], { cwd: tmp });
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout.split('\n')[0]).toBe('prediction');
    expect(p.stdout.trim().split('\n')).toHaveLength(61);
    expect(p.stderr).toMatch(/accuracy: /);
    const bad = runNode([cli, 'train'], { cwd: tmp });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/train: name a model \(mnist-mlp, mnist-cnn, gpt\), or train an mlp on your data with --data FILE/);
  });
});
