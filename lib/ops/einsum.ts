/**
 * einsum like torch.einsum: `ng.einsum('bij,bjk->bik', a, b)` (or the operands as one array).
 *
 * Subscripts are letters a-z / A-Z; `...` stands for the dims an operand has beyond its letters
 * (broadcast between operands, right-aligned, and placed first in an implicit output). Without `->` the
 * output is every letter that appears exactly once, in alphabetical order (uppercase before lowercase,
 * as PyTorch). A letter repeated within one operand takes that operand's diagonal (`ii->i`, `ii` = trace).
 * A dim of size 1 broadcasts against the letter's size elsewhere, as in PyTorch.
 *
 * Computed from differentiable ops only, so gradients come for free: diagonals are an index selection on a
 * reshaped view, letters needed nowhere later are summed out at once, and operands are contracted left to
 * right, each pair as one batched GEMM (permute → [batch, M, K] · [batch, K, N] via matmul; an operand whose
 * permuted layout is [batch, K, M] in memory goes in as a transposed view, so the GEMM's transpose flag does
 * the work instead of a copy).
 */
import { Tensor } from '../tensor.js';
import { fmtShape } from '../util/shape.js';
import { matmul } from './matmul.js';
import { sum } from './reduce.js';
import { indexSelect } from './reorder.js';
import { expand, permute, reshape, transpose } from './shape.js';

/** Ellipsis dims are labels 52.. (one per broadcast position, counted from the right). */
const ELL = 52;

function letterCode(c: string, eq: string): number {
  const k = c.charCodeAt(0);
  if (k >= 65 && k <= 90) return k - 65; // A-Z → 0..25
  if (k >= 97 && k <= 122) return k - 97 + 26; // a-z → 26..51
  throw new Error(`einsum: invalid subscript '${c}' in "${eq}": use letters a-z and A-Z, '...', ',' and '->'`);
}

function labelName(l: number): string {
  return l < 26 ? String.fromCharCode(65 + l) : l < ELL ? String.fromCharCode(97 + l - 26) : '...';
}

interface Term {
  t: Tensor;
  labels: number[];
}

/** Parses one operand's subscripts: letters, at most one '...' (expanded to `ellDims` labels). */
function parseTerm(s: string, ndim: number, which: string, eq: string): { labels: number[]; ellDims: number } {
  const parts = s.split('...');
  if (parts.length > 2) throw new Error(`einsum: ${which} has more than one '...' in "${eq}"`);
  if (s.replace(/\.\.\./g, '').includes('.')) throw new Error(`einsum: a '.' outside '...' in ${which} of "${eq}"`);
  const before = [...parts[0]].map((c) => letterCode(c, eq));
  const after = parts.length === 2 ? [...parts[1]].map((c) => letterCode(c, eq)) : [];
  const letters = before.length + after.length;
  if (parts.length === 1) {
    if (letters !== ndim) throw new Error(`einsum: ${which} has ${letters} subscript(s) ("${s}") but ${ndim} dim(s)`);
    return { labels: before, ellDims: 0 };
  }
  if (letters > ndim) throw new Error(`einsum: ${which} has ${letters} subscript(s) besides '...' ("${s}") but only ${ndim} dim(s)`);
  const ellDims = ndim - letters;
  const ell = Array.from({ length: ellDims }, (_, i) => ELL + ellDims - 1 - i); // rightmost ellipsis dim = ELL
  return { labels: [...before, ...ell, ...after], ellDims };
}

/** The diagonal over every repeated label of one operand (torch.diagonal, generalised to k repeats). */
function takeDiagonals(term: Term, which: string, eq: string): Term {
  let { t, labels } = term;
  for (;;) {
    const seen = new Map<number, number[]>();
    labels.forEach((l, d) => seen.set(l, [...(seen.get(l) ?? []), d]));
    const rep = [...seen.entries()].find(([, ds]) => ds.length > 1);
    if (!rep) return { t, labels };
    const [label, dims] = rep;
    const n = t.shape[dims[0]];
    for (const d of dims) {
      if (t.shape[d] !== n) {
        throw new Error(`einsum: subscript '${labelName(label)}' is repeated in ${which} of "${eq}" for dims of sizes ${dims.map((e) => t.shape[e]).join(' and ')} (shape ${fmtShape(t.shape)}); a diagonal needs equal sizes`);
      }
    }
    // move the repeated dims last, flatten them to n^k, pick the elements i·(1 + n + … + n^(k−1))
    const rest = labels.map((_, d) => d).filter((d) => !dims.includes(d));
    const moved = permute(t, [...rest, ...dims]);
    const k = dims.length;
    const flat = reshape(moved, [...rest.map((d) => t.shape[d]), n ** k], 'einsum');
    let step = 0;
    for (let j = 0; j < k; j++) step = step * n + 1;
    const idx = Int32Array.from({ length: n }, (_, i) => i * step);
    t = indexSelect(flat, rest.length, idx);
    labels = [...rest.map((d) => labels[d]), label];
  }
}

/** Sums out the labels of `term` that `keep` does not contain. */
function sumOut(term: Term, keep: Set<number>): Term {
  const dims = term.labels.map((l, d) => (keep.has(l) ? -1 : d)).filter((d) => d >= 0);
  if (dims.length === 0) return term;
  return { t: sum(term.t, dims), labels: term.labels.filter((l) => keep.has(l)) };
}

/** `term` permuted to `order` (labels it has) and expanded to the labels' full sizes. */
function arrange(term: Term, order: number[], sizes: Map<number, number>): Tensor {
  const perm = order.map((l) => term.labels.indexOf(l));
  let t = permute(term.t, perm);
  const full = order.map((l) => sizes.get(l)!);
  if (full.some((s, i) => s !== t.shape[i])) t = expand(t, full);
  return t;
}

function prod(xs: number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

/** One operand [batch..., M..., K...] as a [B, M, K] matrix batch, a transposed view when memory is [B, K, M]. */
function asMatrices(term: Term, batch: number[], rows: number[], inner: number[], sizes: Map<number, number>): Tensor {
  const size = (ls: number[]): number => prod(ls.map((l) => sizes.get(l)!));
  const shape = [size(batch), size(rows), size(inner)];
  const direct = arrange(term, [...batch, ...rows, ...inner], sizes);
  if (direct.isContiguous()) return reshape(direct, shape, 'einsum');
  const swapped = arrange(term, [...batch, ...inner, ...rows], sizes);
  if (swapped.isContiguous()) return transpose(reshape(swapped, [shape[0], shape[2], shape[1]], 'einsum'), 1, 2);
  return reshape(direct, shape, 'einsum');
}

function contractPair(a: Term, b: Term, keep: Set<number>, sizes: Map<number, number>): Term {
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const contracted = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const aOnly = a.labels.filter((l) => !inB.has(l));
  const bOnly = b.labels.filter((l) => !inA.has(l));
  const A = asMatrices(a, batch, aOnly, contracted, sizes); // [B, M, K]
  const Bt = asMatrices(b, batch, bOnly, contracted, sizes); // [B, N, K]
  const C = matmul(A, transpose(Bt, 1, 2)); // [B, M, N]
  const labels = [...batch, ...aOnly, ...bOnly];
  return { t: reshape(C, labels.map((l) => sizes.get(l)!), 'einsum'), labels };
}

/**
 * torch.einsum(equation, *operands). Operands may also be passed as one array:
 * `einsum('ij,jk', [a, b])`.
 */
export function einsum(equation: string, ...operandArgs: (Tensor | readonly Tensor[])[]): Tensor {
  if (typeof equation !== 'string') {
    throw new TypeError(`einsum: equation must be a string such as 'ij,jk->ik', got ${equation === null ? 'null' : typeof equation}`);
  }
  const operands: unknown[] = operandArgs.length === 1 && Array.isArray(operandArgs[0]) ? [...operandArgs[0]] : operandArgs;
  if (operands.length === 0) throw new Error('einsum: needs at least one operand');
  operands.forEach((t, i) => {
    if (!(t instanceof Tensor)) {
      throw new TypeError(`einsum: operand ${i} must be a Tensor, got ${t === null ? 'null' : Array.isArray(t) ? 'an array' : typeof t}`);
    }
    if (t.dtype !== 'float32') throw new TypeError(`einsum: operand ${i} has dtype ${t.dtype}; einsum takes float32 tensors (use .float())`);
  });
  const ts = operands as Tensor[];
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  if (arrow >= 0 && eq.indexOf('->', arrow + 1) >= 0) throw new Error(`einsum: more than one '->' in "${equation}"`);
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const specs = lhs.split(',');
  if (specs.length !== ts.length) {
    throw new Error(`einsum: "${equation}" has subscripts for ${specs.length} operand(s) but ${ts.length} were given`);
  }

  // parse, take the diagonals, check and record each label's size (1 broadcasts)
  let maxEll = 0;
  // how often each letter appears in the equation's inputs (the implicit output keeps those seen once)
  const counts = new Map<number, number>();
  let terms: Term[] = specs.map((s, i) => {
    const { labels, ellDims } = parseTerm(s, ts[i].ndim, `operand ${i}`, equation);
    maxEll = Math.max(maxEll, ellDims);
    for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    return takeDiagonals({ t: ts[i], labels }, `operand ${i}`, equation);
  });
  const sizes = new Map<number, number>();
  terms.forEach((term, i) => {
    term.labels.forEach((l, d) => {
      const n = term.t.shape[d];
      const prev = sizes.get(l);
      if (prev === undefined || prev === 1) sizes.set(l, n);
      else if (n !== prev && n !== 1) {
        const what = l >= ELL ? `the '...' dims` : `subscript '${labelName(l)}'`;
        throw new Error(`einsum: ${what} of operand ${i} (shape ${fmtShape(ts[i].shape)}) has size ${n}, elsewhere ${prev}, in "${equation}"; sizes must match or be 1`);
      }
    });
  });

  // the output's labels
  let out: number[];
  const ellOut = Array.from({ length: maxEll }, (_, i) => ELL + maxEll - 1 - i);
  if (arrow >= 0) {
    const rhs = eq.slice(arrow + 2);
    const parts = rhs.split('...');
    if (parts.length > 2) throw new Error(`einsum: the output has more than one '...' in "${equation}"`);
    if (rhs.replace(/\.\.\./g, '').includes('.')) throw new Error(`einsum: a '.' outside '...' in the output of "${equation}"`);
    const before = [...parts[0]].map((c) => letterCode(c, equation));
    const after = parts.length === 2 ? [...parts[1]].map((c) => letterCode(c, equation)) : [];
    // '...' in the inputs but not in the output sums the broadcast dims away, as PyTorch
    out = [...before, ...(parts.length === 2 ? ellOut : []), ...after];
    const seen = new Set<number>();
    for (const l of [...before, ...after]) {
      if (seen.has(l)) throw new Error(`einsum: output subscript '${labelName(l)}' appears more than once in "${equation}"`);
      seen.add(l);
      if (!sizes.has(l)) throw new Error(`einsum: output subscript '${labelName(l)}' does not appear in the inputs of "${equation}"`);
    }
  } else {
    const once = [...counts.entries()].filter(([l, c]) => c === 1 && l < ELL).map(([l]) => l).sort((a, b) => a - b);
    out = [...ellOut, ...once];
  }
  const outSet = new Set(out);

  // sum out labels that only one operand has and the output lacks, then contract left to right
  const keepFor = (from: number): Set<number> => {
    const k = new Set(outSet);
    for (let j = from; j < terms.length; j++) for (const l of terms[j].labels) k.add(l);
    return k;
  };
  terms = terms.map((term, i) => sumOut(term, new Set([...outSet, ...terms.filter((_, j) => j !== i).flatMap((u) => u.labels)])));
  let acc = terms[0];
  for (let i = 1; i < terms.length; i++) {
    acc = contractPair(acc, terms[i], keepFor(i + 1), sizes);
    acc = sumOut(acc, keepFor(i + 1));
  }
  // every output label is in acc now (each appears in some operand); put them in the output's order
  return arrange(sumOut(acc, outSet), out, sizes);
}
