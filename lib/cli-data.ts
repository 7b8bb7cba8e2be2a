/**
 * The user's own data for `nodegrad train mlp` / `nodegrad predict`: a CSV file (one example a row,
 * one column the target), or a features file plus a targets file, each IDX or safetensors.
 *
 * - CSV: comma-separated (or `--delimiter`), RFC 4180 quotes; a first row with any non-numeric field is a
 *   header. The target column is `--target` (a header name or a 0-based index; default the last column);
 *   every other column is a numeric feature. Non-numeric targets are class names (sorted); numeric ones
 *   are classes when `--task classification`, or by default when every value is an integer 0..255 with at
 *   most 32 distinct values (the decision is printed; `--task regression` overrides).
 * - Tensor files: `--data X --targets Y` (IDX, or safetensors with one tensor; `file.safetensors:name`
 *   picks one of several), or one safetensors file holding tensors `x` and `y`. Features are [N, ...]
 *   (flattened to [N, F]); integer targets (IDX integer dtypes, safetensors I*, U*, BOOL) are class labels
 *   [N], float targets are regression targets [N] or [N, k] — the labels rule of TensorDataset.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readIdx } from './data/idx.js';
import { loadSafetensors, readSafetensorsHeader } from './io/safetensors.js';

export type Task = 'classification' | 'regression';

export interface Table {
  /** features, row-major [n, features] */
  x: Float32Array;
  n: number;
  features: number;
  /** the feature shape of one example (CSV: [features]) */
  exampleShape: number[];
  featureNames: string[] | null;
  /** class labels (classification) or targets row-major [n, targetDims] (regression); null when absent (predict) */
  y: Int32Array | Float32Array | null;
  targetDims: number;
  targetName: string | null;
  task: Task | null;
  /** class names for string targets (label i = classes[i]) */
  classes: string[] | null;
  /** how the task was decided, for the log */
  why: string;
}

export interface LoadOptions {
  data: string;
  targets?: string;
  /** CSV target column: a header name or a 0-based index */
  target?: string;
  task?: Task;
  delimiter?: string;
  /** predict: the CSV has no target column unless it has the trained target name */
  forPredict?: { featureNames: string[] | null; features: number; targetName: string | null; classes: string[] | null };
}

/** Splits CSV text into rows of fields (RFC 4180: quoted fields, "" escapes, CRLF). Blank lines are skipped. */
export function parseCsv(text: string, delimiter = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  let i = 0;
  const endRow = (): void => {
    row.push(field);
    if (!(row.length === 1 && row[0] === '' && !wasQuoted)) rows.push(row);
    row = [];
    field = '';
    wasQuoted = false;
  };
  if (text.charCodeAt(0) === 0xfeff) i = 1; // BOM
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') {
      quoted = true;
      wasQuoted = true;
    } else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      endRow();
    } else if (c === '\r') {
      if (text[i + 1] !== '\n') endRow();
    } else field += c;
  }
  if (quoted) throw new Error(`parseCsv: unterminated quoted field in row ${rows.length + 1}`);
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

function num(s: string): number {
  const t = s.trim();
  return t === '' ? NaN : Number(t);
}

function isNumeric(s: string): boolean {
  return Number.isFinite(num(s));
}

function loadCsv(file: string, o: LoadOptions): Table {
  const rows = parseCsv(fs.readFileSync(file, 'utf8'), o.delimiter ?? ',');
  if (rows.length === 0) throw new Error(`${file}: the CSV file has no rows`);
  const hasHeader = rows[0].some((f) => !isNumeric(f));
  const header = hasHeader ? rows[0].map((h) => h.trim()) : null;
  const body = hasHeader ? rows.slice(1) : rows;
  const width = rows[0].length;
  if (body.length === 0) throw new Error(`${file}: the CSV file has a header but no data rows`);
  body.forEach((r, i) => {
    if (r.length !== width) {
      throw new Error(`${file}: row ${i + 1 + (hasHeader ? 1 : 0)} has ${r.length} fields, expected ${width} (as the first row)`);
    }
  });
  const name = (c: number): string => (header ? `'${header[c]}'` : `${c}`);

  let targetCol: number | null;
  const fp = o.forPredict;
  if (fp) {
    // the trained target column is dropped when present; every other column must be a trained feature
    targetCol = fp.targetName !== null && header ? header.indexOf(fp.targetName) : -1;
    if (targetCol === -1) targetCol = header === null && width === fp.features + 1 ? width - 1 : null;
  } else if (o.target !== undefined) {
    const byName = header ? header.indexOf(o.target) : -1;
    const byIndex = /^\d+$/.test(o.target) ? Number(o.target) : -1;
    targetCol = byName >= 0 ? byName : byIndex >= 0 && byIndex < width ? byIndex : -2;
    if (targetCol === -2) {
      throw new Error(`${file}: --target '${o.target}' is neither a column name${header ? ` (${header.join(', ')})` : ' (the file has no header)'} nor a column index 0..${width - 1}`);
    }
  } else targetCol = width - 1;
  if (!fp && width < 2) throw new Error(`${file}: need at least two columns (features and a target), got ${width}`);

  const featureCols = [...Array(width).keys()].filter((c) => c !== targetCol);
  const n = body.length;
  const F = featureCols.length;
  if (fp && F !== fp.features) {
    throw new Error(`${file}: ${F} feature columns, but the model was trained on ${fp.features}${fp.featureNames ? ` (${fp.featureNames.join(', ')})` : ''}`);
  }
  const featureNames = header ? featureCols.map((c) => header[c]) : null;
  if (fp?.featureNames && featureNames) {
    const missing = fp.featureNames.filter((f) => !featureNames.includes(f));
    if (missing.length) throw new Error(`${file}: columns ${missing.map((m) => `'${m}'`).join(', ')} that the model was trained on are missing`);
  }
  // predict reorders columns to the trained order when both have headers
  const order = fp?.featureNames && featureNames ? fp.featureNames.map((f) => featureCols[featureNames.indexOf(f)]) : featureCols;
  const x = new Float32Array(n * F);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < F; j++) {
      const s = body[r][order[j]];
      const v = num(s);
      if (!Number.isFinite(v)) {
        throw new Error(`${file}: row ${r + 1 + (hasHeader ? 1 : 0)}, column ${name(order[j])}: expected a number, got ${JSON.stringify(s)}`);
      }
      x[r * F + j] = v;
    }
  }
  const base = { x, n, features: F, exampleShape: [F], featureNames: fp?.featureNames ?? featureNames, targetDims: 1 };
  if (targetCol === null) return { ...base, y: null, targetName: null, task: null, classes: null, why: '' };

  const raw = body.map((r) => r[targetCol!].trim());
  const targetName = header ? header[targetCol] : String(targetCol);
  const allNumeric = raw.every(isNumeric);
  let task: Task;
  let why: string;
  if (fp) {
    task = fp.classes !== null || raw.every((s) => /^-?\d+$/.test(s)) ? 'classification' : 'regression';
    why = '';
  } else if (o.task) {
    task = o.task;
    why = '--task';
  } else if (!allNumeric) {
    task = 'classification';
    why = `column ${name(targetCol)} holds names`;
  } else {
    const vals = raw.map(num);
    const distinct = new Set(vals);
    const small = vals.every((v) => Number.isInteger(v) && v >= 0 && v <= 255) && distinct.size <= 32;
    task = small ? 'classification' : 'regression';
    why = small ? `column ${name(targetCol)} holds ${distinct.size} integer values (use --task regression to regress on them)` : `column ${name(targetCol)} holds numbers`;
  }
  if (task === 'regression') {
    const y = new Float32Array(n);
    raw.forEach((s, r) => {
      const v = num(s);
      if (!Number.isFinite(v)) throw new Error(`${file}: row ${r + 1 + (hasHeader ? 1 : 0)}, target column ${name(targetCol!)}: expected a number for regression, got ${JSON.stringify(s)}`);
      y[r] = v;
    });
    return { ...base, y, targetName, task, classes: null, why };
  }
  let classes: string[] | null = fp ? fp.classes : null;
  if (!fp && (!allNumeric || raw.some((s) => !/^\d+$/.test(s)))) classes = [...new Set(raw)].sort();
  const y = new Int32Array(n);
  raw.forEach((s, r) => {
    if (classes) {
      const k = classes.indexOf(s);
      if (k < 0) throw new Error(`${file}: row ${r + 1 + (hasHeader ? 1 : 0)}: class ${JSON.stringify(s)} was not seen in training (${classes.join(', ')})`);
      y[r] = k;
    } else {
      const v = num(s);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${file}: row ${r + 1 + (hasHeader ? 1 : 0)}, target column ${name(targetCol!)}: a class label must be an integer ≥ 0, got ${JSON.stringify(s)}`);
      y[r] = v;
    }
  });
  return { ...base, y, targetName, task, classes, why };
}

interface Loaded { data: Float32Array; shape: number[]; integer: boolean; name: string }

function isSafetensors(file: string): boolean {
  return /\.safetensors$/i.test(file);
}

/** `file.safetensors:key` → [file, key]; a Windows drive letter is not a key. */
function splitKey(spec: string): [string, string | undefined] {
  const m = /^(.*\.safetensors):([^\\/]+)$/i.exec(spec);
  return m ? [m[1], m[2]] : [spec, undefined];
}

function loadTensorFile(spec: string, wanted?: string[]): Loaded[] {
  const [file, key] = splitKey(spec);
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  if (isSafetensors(file)) {
    const header = readSafetensorsHeader(file);
    const tensors = loadSafetensors(file);
    const names = header.tensors.map((t) => t.name);
    const pick = (k: string): Loaded => {
      const e = header.tensors.find((t) => t.name === k);
      if (!e) throw new Error(`${file}: no tensor '${k}' (it has ${names.join(', ') || 'none'})`);
      return { data: tensors[k].data as Float32Array, shape: e.shape, integer: /^(I|U|BOOL)/.test(e.dtype), name: `${file}:${k}` };
    };
    if (key !== undefined) return [pick(key)];
    if (wanted && wanted.every((w) => names.includes(w))) return wanted.map(pick);
    if (names.length === 1) return [pick(names[0])];
    throw new Error(`${file}: holds ${names.length} tensors (${names.join(', ')}); name one as ${path.basename(file)}:<name>${wanted ? `, or store the pair as '${wanted.join("' and '")}'` : ''}`);
  }
  const r = readIdx(file);
  return [{ data: r.data instanceof Float32Array ? r.data : Float32Array.from(r.data), shape: r.shape, integer: r.dtype !== 'float32' && r.dtype !== 'float64', name: file }];
}

function loadTensors(o: LoadOptions): Table {
  let xs: Loaded;
  let ys: Loaded | null = null;
  const fp = o.forPredict;
  if (o.targets !== undefined) {
    [xs] = loadTensorFile(o.data);
    [ys] = loadTensorFile(o.targets);
  } else if (fp) {
    [xs] = loadTensorFile(o.data, ['x']); // a training file holding x and y: its x
  } else {
    const got = loadTensorFile(o.data, ['x', 'y']);
    if (got.length !== 2) throw new Error(`${o.data}: give the targets with --targets <file> (IDX or safetensors), or store 'x' and 'y' in one safetensors file`);
    [xs, ys] = got;
  }
  if (xs.shape.length < 1) throw new Error(`${xs.name}: features must have a first dim (the examples), got a scalar`);
  const n = xs.shape[0];
  const exampleShape = xs.shape.slice(1);
  const F = exampleShape.reduce((a, b) => a * b, 1);
  if (fp && F !== fp.features) throw new Error(`${xs.name}: ${F} features an example (shape [${xs.shape.join(', ')}]), but the model was trained on ${fp.features}`);
  for (let i = 0; i < xs.data.length; i++) {
    if (!Number.isFinite(xs.data[i])) throw new Error(`${xs.name}: element ${i} is ${xs.data[i]}, not a finite number`);
  }
  const base = { x: xs.data, n, features: F, exampleShape, featureNames: null };
  if (!ys) return { ...base, y: null, targetDims: 1, targetName: null, task: null, classes: null, why: '' };
  if (ys.shape[0] !== n || ys.shape.length < 1) {
    throw new Error(`${ys.name}: ${ys.shape.length ? ys.shape[0] : 'no'} targets (shape [${ys.shape.join(', ')}]) for ${n} examples in ${xs.name}`);
  }
  const task: Task = o.task ?? (ys.integer ? 'classification' : 'regression');
  const why = o.task ? '--task' : ys.integer ? `${ys.name} holds integers` : `${ys.name} holds floats`;
  if (task === 'classification') {
    if (ys.shape.length !== 1) throw new Error(`${ys.name}: class labels must be one per example ([${n}]), got shape [${ys.shape.join(', ')}]`);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = ys.data[i];
      if (!Number.isInteger(v) || v < 0) throw new Error(`${ys.name}: label ${i} is ${v}; class labels are integers ≥ 0`);
      y[i] = v;
    }
    return { ...base, y, targetDims: 1, targetName: 'label', task, classes: null, why };
  }
  const targetDims = ys.shape.slice(1).reduce((a, b) => a * b, 1);
  return { ...base, y: Float32Array.from(ys.data), targetDims, targetName: 'target', task, classes: null, why };
}

/** Reads the user's data (see the file comment). */
export function loadTable(o: LoadOptions): Table {
  const [file] = splitKey(o.data);
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  return /\.(csv|tsv|txt)$/i.test(file) ? loadCsv(file, { ...o, delimiter: o.delimiter ?? (/\.tsv$/i.test(file) ? '\t' : ',') }) : loadTensors(o);
}
