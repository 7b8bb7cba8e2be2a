/**
 * The bad-input sweep (issue 9): hundreds of malformed calls to the public API and to every raw
 * binding function, generated from tables. Run in a child process by bad-input.test.ts
 * (`node --import tsx test/native/bad-input-cases.ts <suite> [outFile]`), so a segfault/abort is a failed exit
 * naming the case it died in, not a dead test runner.
 *
 * Output (outFile or stdout, written synchronously so it survives a crash): `START <i> <name>` before each call,
 * then one `RESULT <json>` line with {name, fn, arg, expect, threw, errName, msg}.
 * Suites: `binding` (raw addon), `public` (lib/index.ts and the optional nn/optim/data/io modules).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ng from '../../lib/index.js';
import { nativeBinding } from '../../lib/backend/registry.js';
import { BINARYOP_NAMES, EPILOGUE_NAMES, REDUCEOP_NAMES, UNARYOP_NAMES } from '../../lib/backend/ops.gen.js';

export type Expect = 'throw' | 'ok' | 'either';
export interface Case {
  name: string;
  /** the function the message must name */
  fn: string;
  /** the argument the message must name (bindings, type errors) */
  arg?: string;
  expect: Expect;
  call: () => unknown;
}

const cases: Case[] = [];
function add(c: Case): void {
  cases.push(c);
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

function detachedF32(n = 4): Float32Array {
  const a = new Float32Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}
function detachedI32(n = 4): Int32Array {
  const a = new Int32Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}
/** A Float32Array of n elements on a SharedArrayBuffer. */
function sabF32(n: number, fill = 0.5): Float32Array {
  return new Float32Array(new SharedArrayBuffer(Math.max(n, 1) * 4)).subarray(0, n).fill(fill);
}
/** A Float32Array of n elements whose data is 4-aligned but not 16-aligned (byteOffset 4). */
function offsetF32(n: number, fill = 0.5): Float32Array {
  return new Float32Array(n + 1).subarray(1).fill(fill);
}
function sabI32(src: Int32Array): Int32Array {
  const a = new Int32Array(new SharedArrayBuffer(Math.max(src.length, 1) * 4)).subarray(0, src.length);
  a.set(src);
  return a;
}
function offsetI32(src: Int32Array): Int32Array {
  const a = new Int32Array(src.length + 1).subarray(1);
  a.set(src);
  return a;
}

// ---------------------------------------------------------------------------------------------
// Raw binding: one table row per argument
// ---------------------------------------------------------------------------------------------

type ArgSpec =
  | { name: string; kind: 'int'; lo: number; hi: number; valid: number; /** a larger in-range value breaks a length check */ big?: boolean }
  | { name: string; kind: 'num'; valid: number; finite: boolean }
  | { name: string; kind: 'bool'; valid: boolean }
  | { name: string; kind: 'f32'; valid: Float32Array | null; nullable?: boolean }
  | { name: string; kind: 'i32'; valid: Int32Array }
  | { name: string; kind: 'u16'; valid: Uint16Array }
  | { name: string; kind: 'list'; valid: Float32Array[] | null; nullable?: boolean; first?: boolean }
  | { name: string; kind: 'meta'; valid: Int32Array };

interface FnSpec {
  fn: string;
  args: () => ArgSpec[];
  /** extra hand-picked bad calls: [label, args mutator] */
  extra?: Array<[string, (a: unknown[]) => unknown[], Expect?]>;
}

const MAX31 = 2 ** 31 - 1;
const f = (n: number, v = 0.25) => new Float32Array(n).fill(v);
const size = (name: string, valid: number, big = true): ArgSpec => ({ name, kind: 'int', lo: 0, hi: MAX31, valid, big });
const geo = (name: string, valid: number, lo: number): ArgSpec => ({ name, kind: 'int', lo, hi: MAX31, valid });

/** sdpa meta [b0, b1, L, S, E, Ev, q0, q1, qL, k0, k1, kL, v0, v1, vL, m0, m1, mL, mS] of the sdpa rows, with overrides. */
const sdpaMeta = (o: Record<number, number> = {}) => {
  const m = Int32Array.from([1, 2, 3, 4, 2, 3, 12, 6, 2, 16, 8, 2, 24, 12, 3, 0, 0, 4, 1]);
  for (const [i, v] of Object.entries(o)) m[Number(i)] = v;
  return m;
};
/** meta for binary/copy: [rank, shape, s1, s2] */
const meta = (shape: number[], s1: number[], s2: number[]) => Int32Array.from([shape.length, ...shape, ...s1, ...s2]);

// conv geometry (N, C, H, W, outC, kH, kW, sH, sW, pH, pW, dH, dW) = (1, 2, 4, 4, 3, 3, 3, 1, 1, 0, 0, 1, 1) → out 2x2
const convGeom = (withOc: boolean): ArgSpec[] => [
  geo('N', 1, 0), geo('C', 2, 0), geo('H', 4, 0), geo('W', 4, 0),
  ...(withOc ? [geo('outC', 3, 0)] : []),
  geo('kH', 3, 1), geo('kW', 3, 1), geo('strideH', 1, 1), geo('strideW', 1, 1),
  geo('padH', 0, 0), geo('padW', 0, 0), geo('dilationH', 1, 1), geo('dilationW', 1, 1),
];
// pooling: (1, 2, 4, 4), k 2x2, stride 2 → 2x2
const poolGeom = (): ArgSpec[] => [
  geo('N', 1, 0), geo('C', 2, 0), geo('H', 4, 0), geo('W', 4, 0),
  geo('kH', 2, 1), geo('kW', 2, 1), geo('strideH', 2, 1), geo('strideW', 2, 1),
  geo('padH', 0, 0), geo('padW', 0, 0), geo('dilationH', 1, 1), geo('dilationW', 1, 1),
];

const BINDING: FnSpec[] = [
  {
    fn: 'gemmBf16',
    // C[2x3] = A[2x4] · B[3x4]ᵀ, B bfloat16 bits
    args: () => [
      { name: 'transA', kind: 'bool', valid: false }, { name: 'transB', kind: 'bool', valid: true },
      size('M', 2), size('N', 3), size('K', 4), { name: 'alpha', kind: 'num', valid: 1, finite: true },
      { name: 'A', kind: 'f32', valid: f(8) }, { name: 'lda', kind: 'int', lo: 0, hi: 2 ** 53, valid: 4 },
      { name: 'B', kind: 'u16', valid: new Uint16Array(12).fill(0x3f80) }, { name: 'ldb', kind: 'int', lo: 0, hi: 2 ** 53, valid: 4 },
      { name: 'beta', kind: 'num', valid: 0, finite: true }, { name: 'C', kind: 'f32', valid: f(6) },
      { name: 'ldc', kind: 'int', lo: 0, hi: 2 ** 53, valid: 3 }, { name: 'epilogue', kind: 'int', lo: 0, hi: EPILOGUE_NAMES.length - 1, valid: 1 },
      { name: 'bias', kind: 'f32', valid: f(3) },
    ],
    extra: [
      ['K 0', (a) => set(a, 4, 0)],
      ['ldb smaller than K', (a) => set(a, 9, 3)],
      ['C aliases A', (a) => { const buf = f(20); return set(set(a, 6, buf.subarray(0, 8)), 11, buf.subarray(4, 10)); }],
    ],
  },
  { fn: 'setNumThreads', args: () => [{ name: 'n', kind: 'int', lo: 1, hi: 256, valid: 1 }] },
  { fn: 'fmaPeak', args: () => [{ name: 'threads', kind: 'int', lo: 1, hi: 256, valid: 1 }, { name: 'ms', kind: 'int', lo: 1, hi: 10000, valid: 1 }] },
  {
    fn: 'gemm',
    // C[2x3] = A[2x4] · B[4x3]
    args: () => [
      { name: 'transA', kind: 'bool', valid: false }, { name: 'transB', kind: 'bool', valid: false },
      size('M', 2), size('N', 3), size('K', 4), { name: 'alpha', kind: 'num', valid: 1, finite: true },
      { name: 'A', kind: 'f32', valid: f(8) }, { name: 'lda', kind: 'int', lo: 0, hi: 2 ** 53, valid: 4 },
      { name: 'B', kind: 'f32', valid: f(12) }, { name: 'ldb', kind: 'int', lo: 0, hi: 2 ** 53, valid: 3 },
      { name: 'beta', kind: 'num', valid: 0, finite: true }, { name: 'C', kind: 'f32', valid: f(6) },
      { name: 'ldc', kind: 'int', lo: 0, hi: 2 ** 53, valid: 3 }, { name: 'epilogue', kind: 'int', lo: 0, hi: EPILOGUE_NAMES.length - 1, valid: 1 },
      { name: 'bias', kind: 'f32', valid: f(3) }, size('batch', 1, false),
      { name: 'strideA', kind: 'int', lo: 0, hi: 2 ** 53, valid: 0 }, { name: 'strideB', kind: 'int', lo: 0, hi: 2 ** 53, valid: 0 },
      { name: 'strideC', kind: 'int', lo: 0, hi: 2 ** 53, valid: 0 },
    ],
    extra: [
      ['lda smaller than K', (a) => set(a, 7, 3)],
      ['ldc smaller than N', (a) => set(a, 12, 2)],
      ['transA with untransposed lda', (a) => set(set(a, 0, true), 7, 1)],
      ['batch 2 with strideC 0 (C written twice)', (a) => set(set(a, 15, 2), 18, 0), 'either'],
      ['batch 2 with C too short for strideC', (a) => set(set(a, 15, 2), 18, 6)],
      ['strideA 2^53', (a) => set(set(a, 15, 2), 16, 2 ** 53)],
      ['M*N overflow via ld', (a) => set(set(a, 2, MAX31), 12, 2 ** 53)],
      ['C aliases A', (a) => { const buf = f(20); return set(set(a, 6, buf.subarray(0, 8)), 11, buf.subarray(4, 10)); }],
      ['C is B', (a) => { const buf = f(12); return set(set(set(a, 8, buf), 11, buf), 12, 3); }],
      ['C aliases bias', (a) => { const buf = f(9); return set(set(a, 11, buf.subarray(0, 6)), 14, buf.subarray(5, 8)); }],
      ['epilogue 0 with a bias', (a) => set(a, 13, 0)],
      ['epilogue 7', (a) => set(a, 13, 7)],
      ['NaN in A', (a) => set(a, 6, f(8, NaN)), 'ok'],
      ['Inf in B', (a) => set(a, 8, f(12, Infinity)), 'ok'],
      ['K = 0 with empty A and B', (a) => set(set(set(set(set(a, 4, 0), 6, f(0)), 8, f(0)), 7, 0), 9, 3), 'ok'],
    ],
  },
  {
    fn: 'unary',
    args: () => [{ name: 'op', kind: 'int', lo: 0, hi: UNARYOP_NAMES.length - 1, valid: 0 }, { name: 'x', kind: 'f32', valid: f(7) },
      { name: 'out', kind: 'f32', valid: f(7) }, size('n', 7), { name: 'alpha', kind: 'num', valid: 0, finite: false }],
    extra: [
      ['op 1000', (a) => set(a, 0, 1000)],
      ['NaN data', (a) => set(a, 1, f(7, NaN)), 'ok'],
      ['x is out (in place)', (a) => { const b = f(7); return set(set(a, 1, b), 2, b); }, 'ok'],
    ],
  },
  {
    fn: 'unaryBackward',
    args: () => [{ name: 'op', kind: 'int', lo: 0, hi: UNARYOP_NAMES.length - 1, valid: 0 }, { name: 'x', kind: 'f32', valid: f(5) },
      { name: 'y', kind: 'f32', valid: f(5) }, { name: 'dy', kind: 'f32', valid: f(5) }, { name: 'dx', kind: 'f32', valid: f(5) },
      size('n', 5), { name: 'alpha', kind: 'num', valid: 0, finite: false }],
    extra: [['op -2^31', (a) => set(a, 0, -(2 ** 31))]],
  },
  {
    fn: 'binary',
    args: () => [{ name: 'op', kind: 'int', lo: 0, hi: BINARYOP_NAMES.length - 1, valid: 0 }, { name: 'a', kind: 'f32', valid: f(6) },
      { name: 'b', kind: 'f32', valid: f(3) }, { name: 'out', kind: 'f32', valid: f(6) },
      { name: 'meta', kind: 'meta', valid: meta([2, 3], [3, 1], [0, 1]) }],
    extra: [
      ['stride reaching past a', (a) => set(a, 4, meta([2, 3], [4, 1], [0, 1]))],
      ['stride reaching past b', (a) => set(a, 4, meta([2, 3], [3, 1], [1, 1]))],
      ['shape product too big for out', (a) => set(a, 4, meta([3, 3], [0, 0], [0, 0]))],
      ['shape overflow', (a) => set(a, 4, meta([MAX31, MAX31, MAX31], [0, 0, 0], [0, 0, 0]))],
      ['stride overflow', (a) => set(a, 4, meta([MAX31, 2], [MAX31, MAX31], [0, 0]))],
      ['zero-size shape with empty arrays', (a) => set(set(set(set(a, 4, meta([0, 3], [3, 1], [3, 1])), 1, f(0)), 2, f(0)), 3, f(0)), 'ok'],
      ['rank 0 (scalar)', (a) => set(a, 4, Int32Array.from([0])), 'ok'],
    ],
  },
  {
    fn: 'reduce',
    args: () => [{ name: 'op', kind: 'int', lo: 0, hi: REDUCEOP_NAMES.length - 1, valid: 0 }, { name: 'x', kind: 'f32', valid: f(24) },
      { name: 'out', kind: 'f32', valid: f(8) }, size('outer', 2), size('n', 3), size('inner', 4)],
    extra: [
      ['n = 0 for every op', (a) => set(set(a, 1, f(0)), 4, 0), 'either'],
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((op): [string, (a: unknown[]) => unknown[], Expect] =>
        [`op ${op} with n = 0`, (a) => set(set(set(a, 0, op), 1, f(0)), 4, 0), 'either']),
      ['outer*n*inner overflow', (a) => set(set(set(a, 3, MAX31), 4, MAX31), 5, MAX31)],
      ['NaN data (max)', (a) => set(set(a, 1, f(24, NaN)), 0, 1), 'either'],
    ],
  },
  {
    fn: 'copy',
    args: () => [{ name: 'meta', kind: 'meta', valid: meta([2, 3], [1, 2], [3, 1]) }, { name: 'src', kind: 'f32', valid: f(6) },
      { name: 'srcOffset', kind: 'int', lo: 0, hi: 2 ** 53, valid: 0, big: true }, { name: 'dst', kind: 'f32', valid: f(6) },
      { name: 'dstOffset', kind: 'int', lo: 0, hi: 2 ** 53, valid: 0, big: true }, { name: 'accumulate', kind: 'bool', valid: false }],
    extra: [
      ['srcOffset pushes past src', (a) => set(a, 2, 1)],
      ['dstOffset pushes past dst', (a) => set(a, 4, 1)],
      ['offset 2^53 with empty shape', (a) => set(set(a, 0, meta([0], [1], [1])), 2, 2 ** 53), 'ok'],
      ['dst stride reaching past dst', (a) => set(a, 0, meta([2, 3], [1, 2], [4, 1]))],
    ],
  },
  {
    fn: 'softmax',
    args: () => [{ name: 'x', kind: 'f32', valid: f(12) }, { name: 'out', kind: 'f32', valid: f(12) },
      size('outer', 2), size('n', 3), size('inner', 2), { name: 'log', kind: 'bool', valid: false }],
    extra: [['n = 0', (a) => set(a, 3, 0), 'either'], ['Inf data', (a) => set(a, 0, f(12, Infinity)), 'ok']],
  },
  {
    fn: 'softmaxBackward',
    args: () => [{ name: 'y', kind: 'f32', valid: f(12) }, { name: 'dy', kind: 'f32', valid: f(12) }, { name: 'dx', kind: 'f32', valid: f(12) },
      size('outer', 2), size('n', 3), size('inner', 2), { name: 'log', kind: 'bool', valid: true }],
  },
  {
    fn: 'softmaxCrossEntropy',
    args: () => [{ name: 'logits', kind: 'f32', valid: f(12) }, { name: 'labels', kind: 'i32', valid: Int32Array.from([0, 1, 2]) },
      { name: 'losses', kind: 'f32', valid: f(3) }, { name: 'dlogits', kind: 'f32', valid: f(12), nullable: true },
      size('rows', 3), size('classes', 4), { name: 'gradScale', kind: 'num', valid: 1, finite: true }],
    extra: [
      ['label = classes', (a) => set(a, 1, Int32Array.from([0, 4, 1]))],
      ['label -1', (a) => set(a, 1, Int32Array.from([-1, 0, 1]))],
      ['label 2^31-1', (a) => set(a, 1, Int32Array.from([0, 0, MAX31]))],
      ['classes 0', (a) => set(a, 5, 0)],
      ['NaN logits', (a) => set(a, 0, f(12, NaN)), 'ok'],
      ['-Inf logits', (a) => set(a, 0, f(12, -Infinity)), 'ok'],
      ['dlogits aliases logits', (a) => { const b = f(12); return set(set(a, 0, b), 3, b); }, 'either'],
    ],
  },
  {
    fn: 'gatherRows',
    args: () => [{ name: 'table', kind: 'f32', valid: f(8) }, { name: 'idx', kind: 'i32', valid: Int32Array.from([0, 3, 1]) },
      { name: 'out', kind: 'f32', valid: f(6) }, size('rows', 3), size('dim', 2)],
    extra: [
      ['index = table rows', (a) => set(a, 1, Int32Array.from([0, 4, 1]))],
      ['negative index', (a) => set(a, 1, Int32Array.from([0, -1, 1]))],
      ['table not a whole number of rows', (a) => set(set(a, 0, f(7)), 1, Int32Array.from([0, 3, 1]))],
      ['dim 0 with garbage indices', (a) => set(set(a, 4, 0), 1, Int32Array.from([-5, 1e9, 7])), 'either'],
    ],
  },
  {
    fn: 'scatterAddRows',
    args: () => [{ name: 'dout', kind: 'f32', valid: f(6) }, { name: 'idx', kind: 'i32', valid: Int32Array.from([0, 3, 3]) },
      { name: 'dtable', kind: 'f32', valid: f(8) }, size('rows', 3), size('dim', 2)],
    extra: [
      ['index = table rows', (a) => set(a, 1, Int32Array.from([0, 4, 1]))],
      ['negative index', (a) => set(a, 1, Int32Array.from([-2147483648, 0, 1]))],
      ['empty dtable', (a) => set(a, 2, f(0))],
    ],
  },
  {
    fn: 'adamStep',
    args: () => [{ name: 'params', kind: 'list', valid: [f(5), f(3)], first: true }, { name: 'grads', kind: 'list', valid: [f(5), f(3)] },
      { name: 'm', kind: 'list', valid: [f(5), f(3)] }, { name: 'v', kind: 'list', valid: [f(5), f(3)] },
      { name: 'lr', kind: 'num', valid: 1e-3, finite: true }, { name: 'beta1', kind: 'num', valid: 0.9, finite: true },
      { name: 'beta2', kind: 'num', valid: 0.999, finite: true }, { name: 'eps', kind: 'num', valid: 1e-8, finite: true },
      { name: 'weightDecay', kind: 'num', valid: 0, finite: true }, { name: 'step', kind: 'int', lo: 1, hi: 2 ** 53, valid: 1 },
      { name: 'decoupled', kind: 'bool', valid: true }],
    extra: [
      ['NaN grads', (a) => set(a, 1, [f(5, NaN), f(3, NaN)]), 'ok'],
      ['params has a hole', (a) => set(a, 0, [f(5), , ] as unknown as Float32Array[])],
      ['sparse array of length 2^32-1', (a) => { const l: Float32Array[] = []; l.length = 2 ** 32 - 1; return set(a, 0, l); }],
    ],
  },
  {
    fn: 'sgdStep',
    args: () => [{ name: 'params', kind: 'list', valid: [f(5), f(3)], first: true }, { name: 'grads', kind: 'list', valid: [f(5), f(3)] },
      { name: 'momentumBufs', kind: 'list', valid: [f(5), f(3)], nullable: true },
      { name: 'lr', kind: 'num', valid: 0.1, finite: true }, { name: 'momentum', kind: 'num', valid: 0.9, finite: true },
      { name: 'dampening', kind: 'num', valid: 0, finite: true }, { name: 'weightDecay', kind: 'num', valid: 0, finite: true },
      { name: 'nesterov', kind: 'bool', valid: false }, { name: 'firstStep', kind: 'bool', valid: true }],
    extra: [
      ['momentum > 0 with null buffers', (a) => set(a, 2, null)],
      ['negative momentum', (a) => set(a, 4, -0.5)],
      ['momentum 0 with null buffers', (a) => set(set(a, 2, null), 4, 0), 'ok'],
    ],
  },
  {
    fn: 'rmspropStep',
    args: () => [{ name: 'params', kind: 'list', valid: [f(5), f(3)], first: true }, { name: 'grads', kind: 'list', valid: [f(5), f(3)] },
      { name: 'squareAvg', kind: 'list', valid: [f(5), f(3)] }, { name: 'momentumBufs', kind: 'list', valid: [f(5), f(3)], nullable: true },
      { name: 'lr', kind: 'num', valid: 0.01, finite: true }, { name: 'alpha', kind: 'num', valid: 0.99, finite: true },
      { name: 'eps', kind: 'num', valid: 1e-8, finite: true }, { name: 'weightDecay', kind: 'num', valid: 0, finite: true },
      { name: 'momentum', kind: 'num', valid: 0.5, finite: true }],
    extra: [['momentum > 0 with null buffers', (a) => set(a, 3, null)], ['negative momentum', (a) => set(a, 8, -1)]],
  },
  {
    fn: 'conv2d',
    args: () => [{ name: 'out', kind: 'f32', valid: f(1 * 3 * 2 * 2) }, { name: 'x', kind: 'f32', valid: f(1 * 2 * 4 * 4) },
      { name: 'weight', kind: 'f32', valid: f(3 * 2 * 3 * 3) }, { name: 'bias', kind: 'f32', valid: f(3), nullable: true }, ...convGeom(true)],
    extra: [
      ['kernel larger than padded input', (a) => set(a, 9, 7)],
      ['dilation makes kernel larger than input', (a) => set(a, 15, 3)],
      ['out aliases x', (a) => { const b = f(64); return set(set(a, 0, b.subarray(0, 12)), 1, b.subarray(4, 36)); }],
      ['huge padding (2^31-1)', (a) => set(set(a, 13, MAX31), 14, MAX31)],
      ['huge dilation overflow', (a) => set(a, 15, MAX31)],
    ],
  },
  {
    fn: 'conv2dBackward',
    args: () => [{ name: 'dx', kind: 'f32', valid: f(32), nullable: true }, { name: 'dweight', kind: 'f32', valid: f(54), nullable: true },
      { name: 'dbias', kind: 'f32', valid: f(3), nullable: true }, { name: 'dout', kind: 'f32', valid: f(12) },
      { name: 'x', kind: 'f32', valid: f(32) }, { name: 'weight', kind: 'f32', valid: f(54) }, ...convGeom(true)],
    extra: [['dx is dweight', (a) => { const b = f(64); return set(set(a, 0, b), 1, b); }]],
  },
  {
    fn: 'maxPool2d',
    args: () => [{ name: 'out', kind: 'f32', valid: f(8) }, { name: 'indices', kind: 'i32', valid: new Int32Array(8) },
      { name: 'x', kind: 'f32', valid: f(32) }, ...poolGeom()],
    extra: [['H*W >= 2^31', (a) => set(set(set(a, 5, 65536), 6, 65536), 2, f(32))]],
  },
  {
    fn: 'maxPool2dBackward',
    args: () => [{ name: 'dx', kind: 'f32', valid: f(32) }, { name: 'dout', kind: 'f32', valid: f(8) },
      { name: 'indices', kind: 'i32', valid: new Int32Array(8) }, ...poolGeom()],
    extra: [
      ['indices out of the plane', (a) => set(a, 2, Int32Array.from([16, -1, MAX31, -(2 ** 31), 0, 1, 2, 3])), 'either'],
    ],
  },
  {
    fn: 'avgPool2d',
    args: () => [{ name: 'out', kind: 'f32', valid: f(8) }, { name: 'x', kind: 'f32', valid: f(32) }, ...poolGeom()],
    extra: [['padding larger than kernel', (a) => set(a, 10, 3), 'either']],
  },
  {
    fn: 'avgPool2dBackward',
    args: () => [{ name: 'dx', kind: 'f32', valid: f(32) }, { name: 'dout', kind: 'f32', valid: f(8) }, ...poolGeom()],
  },
  {
    fn: 'batchNormStats',
    args: () => [{ name: 'mean', kind: 'f32', valid: f(3) }, { name: 'variance', kind: 'f32', valid: f(3) },
      { name: 'x', kind: 'f32', valid: f(2 * 3 * 4) }, size('N', 2), size('C', 3), size('L', 4)],
    extra: [['N = 0 with C > 0', (a) => set(set(a, 3, 0), 2, f(0))], ['mean is variance', (a) => { const b = f(3); return set(set(a, 0, b), 1, b); }]],
  },
  {
    fn: 'batchNormForward',
    args: () => [{ name: 'out', kind: 'f32', valid: f(24) }, { name: 'x', kind: 'f32', valid: f(24) },
      { name: 'mean', kind: 'f32', valid: f(3) }, { name: 'invstd', kind: 'f32', valid: f(3) },
      { name: 'gamma', kind: 'f32', valid: f(3), nullable: true }, { name: 'beta', kind: 'f32', valid: f(3), nullable: true },
      size('N', 2), size('C', 3), size('L', 4)],
    extra: [
      ['out is x (allowed)', (a) => { const b = f(24); return set(set(a, 0, b), 1, b); }, 'ok'],
      ['out overlaps x by one', (a) => { const b = f(25); return set(set(a, 0, b.subarray(1)), 1, b.subarray(0, 24)); }],
    ],
  },
  {
    fn: 'batchNormBackward',
    args: () => [{ name: 'dx', kind: 'f32', valid: f(24), nullable: true }, { name: 'dgamma', kind: 'f32', valid: f(3), nullable: true },
      { name: 'dbeta', kind: 'f32', valid: f(3), nullable: true }, { name: 'dout', kind: 'f32', valid: f(24) },
      { name: 'x', kind: 'f32', valid: f(24) }, { name: 'mean', kind: 'f32', valid: f(3) }, { name: 'invstd', kind: 'f32', valid: f(3) },
      { name: 'gamma', kind: 'f32', valid: f(3), nullable: true }, size('N', 2), size('C', 3), size('L', 4),
      { name: 'batchStats', kind: 'bool', valid: true }],
  },
  // transformer kernels (native/binding/bind_transformer.cc)
  {
    fn: 'layerNorm',
    args: () => [{ name: 'out', kind: 'f32', valid: f(12) }, { name: 'mean', kind: 'f32', valid: f(3) }, { name: 'rstd', kind: 'f32', valid: f(3) },
      { name: 'x', kind: 'f32', valid: f(12) }, { name: 'weight', kind: 'f32', valid: f(4), nullable: true },
      { name: 'bias', kind: 'f32', valid: f(4), nullable: true }, size('rows', 3), size('n', 4),
      { name: 'eps', kind: 'num', valid: 1e-5, finite: true }],
    extra: [
      ['out is x (in place)', (a) => { const b = f(12); return set(set(a, 0, b), 3, b); }, 'ok'],
      ['mean overlaps x', (a) => { const b = f(12); return set(set(a, 3, b), 1, b.subarray(0, 3)); }],
      ['n = 0 with rows 3', (a) => set(a, 7, 0)],
      ['negative eps', (a) => set(a, 8, -1)],
      ['rows 0 with empty arrays', (a) => set(set(set(set(set(a, 6, 0), 0, f(0)), 1, f(0)), 2, f(0)), 3, f(0)), 'ok'],
      ['constant rows (zero variance)', (a) => set(a, 3, f(12, 2)), 'ok'],
    ],
  },
  {
    fn: 'layerNormBackward',
    args: () => [{ name: 'dx', kind: 'f32', valid: f(12), nullable: true }, { name: 'dweight', kind: 'f32', valid: f(4), nullable: true },
      { name: 'dbias', kind: 'f32', valid: f(4), nullable: true }, { name: 'dout', kind: 'f32', valid: f(12) },
      { name: 'x', kind: 'f32', valid: f(12) }, { name: 'mean', kind: 'f32', valid: f(3) }, { name: 'rstd', kind: 'f32', valid: f(3) },
      { name: 'weight', kind: 'f32', valid: f(4), nullable: true }, size('rows', 3), size('n', 4)],
    extra: [
      ['dx is dout', (a) => { const b = f(12); return set(set(a, 0, b), 3, b); }],
      ['dweight is dbias', (a) => { const b = f(4); return set(set(a, 1, b), 2, b); }],
      ['all outputs null', (a) => set(set(set(a, 0, null), 1, null), 2, null), 'ok'],
      ['rows*n overflow', (a) => set(set(a, 8, MAX31), 9, MAX31)],
    ],
  },
  {
    fn: 'sdpa',
    // b0 1, b1 2, L 3, S 4, E 2, Ev 3; contiguous q, k, v; a [3, 4] mask broadcast over heads
    args: () => [{ name: 'out', kind: 'f32', valid: f(18) }, { name: 'lse', kind: 'f32', valid: f(6) },
      { name: 'q', kind: 'f32', valid: f(12) }, { name: 'k', kind: 'f32', valid: f(16) }, { name: 'v', kind: 'f32', valid: f(24) },
      { name: 'mask', kind: 'f32', valid: f(12, 0), nullable: true }, { name: 'meta', kind: 'i32', valid: sdpaMeta() },
      { name: 'scale', kind: 'num', valid: 0.5, finite: true }, { name: 'causal', kind: 'bool', valid: false }],
    extra: [
      ['meta with a negative stride', (a) => set(a, 6, sdpaMeta({ 8: -2 }))],
      ['meta L too large for q', (a) => set(a, 6, sdpaMeta({ 2: 4 }))],
      ['meta stride reaching past v', (a) => set(a, 6, sdpaMeta({ 13: 13 }))],
      ['meta L = 2^31-1', (a) => set(a, 6, sdpaMeta({ 2: MAX31 }))],
      ['meta one element long', (a) => set(a, 6, Int32Array.from([...sdpaMeta(), 0]))],
      ['out overlaps q', (a) => { const b = f(30); return set(set(a, 0, b.subarray(0, 18)), 2, b.subarray(17, 29)); }],
      ['lse is out', (a) => { const b = f(18); return set(set(a, 0, b), 1, b.subarray(0, 6)); }],
      ['causal with L < S', (a) => set(a, 8, true), 'ok'],
      ['every key masked (-inf)', (a) => set(a, 5, f(12, -Infinity)), 'ok'],
      ['NaN q', (a) => set(a, 2, f(12, NaN)), 'ok'],
      ['S = 0 with empty k, v and mask', (a) => set(set(set(set(a, 6, sdpaMeta({ 3: 0 })), 3, f(0)), 4, f(0)), 5, f(0)), 'ok'],
    ],
  },
  {
    fn: 'sdpaBackward',
    args: () => [{ name: 'dq', kind: 'f32', valid: f(12) }, { name: 'dk', kind: 'f32', valid: f(16) }, { name: 'dv', kind: 'f32', valid: f(24) },
      { name: 'dout', kind: 'f32', valid: f(18) }, { name: 'q', kind: 'f32', valid: f(12) }, { name: 'k', kind: 'f32', valid: f(16) },
      { name: 'v', kind: 'f32', valid: f(24) }, { name: 'out', kind: 'f32', valid: f(18) }, { name: 'lse', kind: 'f32', valid: f(6) },
      { name: 'mask', kind: 'f32', valid: f(12, 0), nullable: true }, { name: 'meta', kind: 'i32', valid: sdpaMeta() },
      { name: 'scale', kind: 'num', valid: 0.5, finite: true }, { name: 'causal', kind: 'bool', valid: true }],
    extra: [
      ['dq is dk', (a) => { const b = f(16); return set(set(a, 0, b.subarray(0, 12)), 1, b); }],
      ['dv overlaps dout', (a) => { const b = f(40); return set(set(a, 2, b.subarray(0, 24)), 3, b.subarray(20, 38)); }],
      ['lse of -inf (fully masked rows)', (a) => set(a, 8, f(6, -Infinity)), 'ok'],
      ['meta Ev too large for dv', (a) => set(a, 10, sdpaMeta({ 5: 4, 14: 4, 13: 16, 12: 32 }))],
    ],
  },
  // lib/nn kernels (native/binding/bind_nn.cc)
  {
    fn: 'pointwiseLoss',
    args: () => [{ name: 'op', kind: 'int', lo: 0, hi: 4, valid: 2 }, { name: 'pred', kind: 'f32', valid: f(7) },
      { name: 'target', kind: 'f32', valid: f(7) }, { name: 'out', kind: 'f32', valid: f(7) }, size('n', 7),
      { name: 'delta', kind: 'num', valid: 1, finite: true }, { name: 'reduction', kind: 'int', lo: 0, hi: 2, valid: 0 }],
    extra: [
      ['sum into a 1-element out', (a) => set(set(a, 6, 1), 3, f(1)), 'ok'],
      ['mean of n = 0', (a) => set(set(set(set(set(a, 6, 2), 4, 0), 1, f(0)), 2, f(0)), 3, f(1)), 'ok'],
      ['none into a 1-element out', (a) => set(a, 3, f(1))],
      ['bce of probabilities outside [0, 1]', (a) => set(set(a, 0, 3), 1, f(7, 7)), 'ok'],
      ['NaN data (bce with logits)', (a) => set(set(a, 0, 4), 1, f(7, NaN)), 'ok'],
      ['out is pred (in place)', (a) => { const b = f(7); return set(set(a, 1, b), 3, b); }, 'ok'],
      ['n = 2^31-1 with sum', (a) => set(set(set(a, 6, 1), 3, f(1)), 4, MAX31)],
    ],
  },
  {
    fn: 'pointwiseLossBackward',
    args: () => [{ name: 'op', kind: 'int', lo: 0, hi: 4, valid: 3 }, { name: 'pred', kind: 'f32', valid: f(5) },
      { name: 'target', kind: 'f32', valid: f(5) }, { name: 'dout', kind: 'f32', valid: f(5) },
      { name: 'doutStride', kind: 'int', lo: 0, hi: 1, valid: 1 }, { name: 'dpred', kind: 'f32', valid: f(5), nullable: true },
      { name: 'dtarget', kind: 'f32', valid: f(5), nullable: true }, size('n', 5),
      { name: 'delta', kind: 'num', valid: 1, finite: true }, { name: 'scale', kind: 'num', valid: 0.2, finite: true }],
    extra: [
      ['doutStride 0 with a 1-element dout', (a) => set(set(a, 4, 0), 3, f(1)), 'ok'],
      ['doutStride 1 with a 1-element dout', (a) => set(a, 3, f(1))],
      ['doutStride 0 with an empty dout', (a) => set(set(a, 4, 0), 3, f(0))],
      ['both outputs null', (a) => set(set(a, 5, null), 6, null), 'ok'],
      ['n = 0 with empty arrays', (a) => set(set(set(set(set(set(a, 7, 0), 1, f(0)), 2, f(0)), 3, f(0)), 5, f(0)), 6, f(0)), 'ok'],
      ['dpred is dtarget', (a) => { const b = f(5); return set(set(a, 5, b), 6, b); }, 'ok'],
    ],
  },
  {
    fn: 'nllLoss',
    args: () => [{ name: 'logProbs', kind: 'f32', valid: f(12) }, { name: 'labels', kind: 'i32', valid: Int32Array.from([0, 3, 2]) },
      { name: 'losses', kind: 'f32', valid: f(3) }, size('rows', 3), size('classes', 4)],
    extra: [
      ['label = classes', (a) => set(a, 1, Int32Array.from([0, 4, 1]))],
      ['label -1', (a) => set(a, 1, Int32Array.from([-1, 0, 1]))],
      ['label -2^31', (a) => set(a, 1, Int32Array.from([0, -(2 ** 31), 1]))],
      ['classes 0', (a) => set(a, 4, 0)],
      ['rows*classes overflow', (a) => set(set(a, 3, MAX31), 4, MAX31)],
    ],
  },
  {
    fn: 'nllLossBackward',
    args: () => [{ name: 'dlosses', kind: 'f32', valid: f(3) }, { name: 'dlossesStride', kind: 'int', lo: 0, hi: 1, valid: 1 },
      { name: 'labels', kind: 'i32', valid: Int32Array.from([0, 3, 2]) }, { name: 'dx', kind: 'f32', valid: f(12) },
      size('rows', 3), size('classes', 4), { name: 'scale', kind: 'num', valid: 1, finite: true }],
    extra: [
      ['label = classes', (a) => set(a, 2, Int32Array.from([0, 4, 1]))],
      ['label -1', (a) => set(a, 2, Int32Array.from([-1, 0, 1]))],
      ['stride 0 with one dloss', (a) => set(set(a, 1, 0), 0, f(1)), 'ok'],
      ['stride 1 with one dloss', (a) => set(a, 0, f(1))],
      ['rows 0 with empty arrays', (a) => set(set(set(set(a, 4, 0), 0, f(0)), 2, new Int32Array(0)), 3, f(0)), 'ok'],
    ],
  },
  {
    fn: 'dropout',
    args: () => [{ name: 'x', kind: 'f32', valid: f(9) }, { name: 'out', kind: 'f32', valid: f(9) }, size('n', 9),
      { name: 'p', kind: 'num', valid: 0.5, finite: true }, { name: 'seed0', kind: 'int', lo: 0, hi: 2 ** 32 - 1, valid: 7 },
      { name: 'seed1', kind: 'int', lo: 0, hi: 2 ** 32 - 1, valid: 2 ** 32 - 1 },
      { name: 'offset', kind: 'int', lo: 0, hi: 2 ** 32 - 1, valid: 2 ** 32 - 4 }],
    extra: [
      ['p = -0.1', (a) => set(a, 3, -0.1)],
      ['p = 1.5', (a) => set(a, 3, 1.5)],
      ['p = 0', (a) => set(a, 3, 0), 'ok'],
      ['p = 1', (a) => set(a, 3, 1), 'ok'],
      ['out is x (in place)', (a) => { const b = f(9); return set(set(a, 0, b), 1, b); }, 'ok'],
      ['NaN data', (a) => set(a, 0, f(9, NaN)), 'ok'],
    ],
  },
  {
    fn: 'indexCheck',
    args: () => [{ name: 'idx', kind: 'i32', valid: Int32Array.from([0, 4, 2, 1]) }, size('n', 4), size('limit', 5, false)],
    extra: [
      ['out-of-range indices are reported, not thrown', (a) => set(a, 0, Int32Array.from([0, -1, 9, 2 ** 31 - 1])), 'ok'],
      ['limit 0', (a) => set(a, 2, 0), 'ok'],
    ],
  },
];

function set(a: unknown[], i: number, v: unknown): unknown[] {
  const b = [...a];
  b[i] = v;
  return b;
}

/** Deep copy of the valid arguments (each case gets fresh buffers). */
function freshArgs(spec: FnSpec): { specs: ArgSpec[]; args: unknown[] } {
  const specs = spec.args();
  return { specs, args: specs.map((s) => s.valid) };
}

/** Wrong-typed / out-of-range values for one argument: [label, value, needArgInMessage]. */
function badValues(s: ArgSpec): Array<[string, () => unknown, boolean]> {
  const notNumber: Array<[string, () => unknown, boolean]> = [
    ['string', () => '1', true], ['null', () => null, true], ['undefined', () => undefined, true],
    ['object', () => ({ valueOf: () => 1 }), true], ['bigint', () => 1n, true], ['boolean', () => true, true],
  ];
  switch (s.kind) {
    case 'int': {
      const out: Array<[string, () => unknown, boolean]> = [
        ...notNumber,
        [`${s.lo - 1} (below range)`, () => s.lo - 1, false],
        ['fractional', () => s.valid + 0.5, false], ['NaN', () => NaN, false],
        ['Infinity', () => Infinity, false], ['-Infinity', () => -Infinity, false],
        [`${s.hi >= 2 ** 53 ? '2^55' : String(s.hi + 1)} (above range)`, () => (s.hi >= 2 ** 53 ? 2 ** 55 : s.hi + 1), false],
      ];
      if (s.hi < 2 ** 31) out.push(['2^31', () => 2 ** 31, false], ['2^53', () => 2 ** 53, false]);
      if (s.big) out.push(['2^31-1 (too big for the arrays)', () => MAX31, false]);
      return out;
    }
    case 'num':
      return s.finite
        ? [...notNumber, ['NaN', () => NaN, false], ['Infinity', () => Infinity, false], ['-Infinity', () => -Infinity, false]]
        : notNumber;
    case 'bool':
      return [['0', () => 0, true], ['1', () => 1, true], ["'true'", () => 'true', true], ['null', () => null, true], ['undefined', () => undefined, true]];
    case 'f32': {
      const n = s.valid ? s.valid.length : 0;
      const out: Array<[string, () => unknown, boolean]> = [
        ['Float64Array', () => new Float64Array(n), true], ['Int32Array', () => new Int32Array(n), true],
        ['Uint8Array', () => new Uint8Array(n * 4), true], ['Float32Array-sized DataView', () => new DataView(new ArrayBuffer(n * 4)), true],
        ['plain array', () => Array.from({ length: n }, () => 0), true], ['ArrayBuffer', () => new ArrayBuffer(n * 4), true],
        ['string', () => 'x', true], ['undefined', () => undefined, true],
      ];
      if (!s.nullable) out.push(['null', () => null, true]);
      if (n > 0) out.push(['one element short', () => new Float32Array(n - 1), false], ['detached', () => detachedF32(n), false],
        ['empty', () => new Float32Array(0), false]);
      return out;
    }
    case 'i32': {
      const n = s.valid.length;
      const out: Array<[string, () => unknown, boolean]> = [
        ['Float32Array', () => new Float32Array(n), true], ['Uint32Array', () => new Uint32Array(n), true],
        ['Int16Array', () => new Int16Array(n * 2), true], ['plain array', () => Array.from(s.valid), true],
        ['null', () => null, true], ['BigInt64Array', () => new BigInt64Array(n), true],
      ];
      if (n > 0) out.push(['one element short', () => s.valid.slice(0, n - 1), false], ['detached', () => detachedI32(n), false]);
      return out;
    }
    case 'u16': {
      const n = s.valid.length;
      const out: Array<[string, () => unknown, boolean]> = [
        ['Float32Array', () => new Float32Array(n), true], ['Int16Array', () => new Int16Array(n), true],
        ['Uint8Array', () => new Uint8Array(n * 2), true], ['plain array', () => Array.from(s.valid), true], ['null', () => null, true],
      ];
      if (n > 0) {
        out.push(['one element short', () => s.valid.slice(0, n - 1), false], ['detached', () => {
          const a = new Uint16Array(n);
          structuredClone(a.buffer, { transfer: [a.buffer] });
          return a;
        }, false]);
      }
      return out;
    }
    case 'list': {
      const v = s.valid ?? [];
      const out: Array<[string, () => unknown, boolean]> = [
        ['Float32Array instead of Array', () => v[0], true], ['object', () => ({ length: v.length, 0: v[0], 1: v[1] }), true],
        ['string', () => 'x', true], ['undefined', () => undefined, true],
        ['element Float64Array', () => [new Float64Array(v[0].length), v[1]], true],
        ['element null', () => [null, v[1]], true], ['element plain array', () => [Array.from(v[0]), v[1]], true],
        ['throwing index getter', () => {
          const l: unknown[] = [v[0], v[1]];
          Object.defineProperty(l, 1, { get() { throw new Error(`getter thrown for ${s.name}`); } });
          return l;
        }, false],
      ];
      if (!s.nullable) out.push(['null', () => null, true]);
      if (!s.first) {
        out.push(['one tensor fewer', () => [v[0]], true], ['one tensor more', () => [...v, f(2)], true],
          ['element one short', () => [v[0], new Float32Array(v[1].length - 1)], true],
          ['element detached', () => [v[0], detachedF32(v[1].length)], true]);
      }
      return out;
    }
    case 'meta': {
      const r = s.valid[0];
      const m = Array.from(s.valid);
      return [
        ['Float32Array', () => Float32Array.from(m), true], ['plain array', () => m, true], ['Uint32Array', () => Uint32Array.from(m), true],
        ['null', () => null, true], ['empty', () => new Int32Array(0), true],
        ['rank -1', () => Int32Array.from([-1]), true], ['rank 33', () => Int32Array.from([33, ...new Array(99).fill(1)]), true],
        ['rank 2^31-1', () => Int32Array.from([MAX31, 1, 1, 1]), true],
        ['length one short', () => Int32Array.from(m.slice(0, -1)), true], ['length one long', () => Int32Array.from([...m, 0]), true],
        ['negative shape', () => Int32Array.from(m.map((x, i) => (i === 1 ? -1 : x))), true],
        ['negative stride 1', () => Int32Array.from(m.map((x, i) => (i === 1 + r ? -1 : x))), false],
        ['negative stride 2', () => Int32Array.from(m.map((x, i) => (i === 1 + 2 * r ? -(2 ** 31) : x))), false],
        ['huge shape', () => Int32Array.from(m.map((x, i) => (i === 1 ? MAX31 : x))), false],
        ['detached', () => { const a = Int32Array.from(m); structuredClone(a.buffer, { transfer: [a.buffer] }); return a; }, true],
      ];
    }
  }
}

function bindingCases(): void {
  const b = nativeBinding() as unknown as Record<string, (...a: unknown[]) => unknown> | null;
  if (!b) {
    console.error('bad-input: the native addon is not loaded; binding suite has no cases');
    return;
  }
  // Every binding function must be covered (a new one without a table row fails the sweep).
  const covered = new Set([...BINDING.map((s) => s.fn), 'nativeInfo', 'getNumThreads', 'mallocTuned']);
  for (const name of Object.keys(b)) {
    if (typeof b[name] === 'function' && !covered.has(name)) {
      add({ name: `binding function '${name}' has no table row in bad-input-cases.ts`, fn: name, expect: 'throw', call: () => undefined });
    }
  }
  for (const fn of ['nativeInfo', 'getNumThreads', 'mallocTuned']) {
    add({ name: `${fn}(1 extra argument)`, fn, expect: 'throw', call: () => b[fn](1) });
  }
  for (const spec of BINDING) {
    const fn = spec.fn;
    const call = (args: unknown[]) => () => b[fn](...args);
    // the valid baseline must run, otherwise the mutations prove nothing
    add({ name: `${fn}(valid baseline)`, fn, expect: 'ok', call: () => call(freshArgs(spec).args)() });
    // argument counts
    for (const [label, mk] of [
      ['no arguments', (a: unknown[]) => a.slice(0, 0)], ['one argument short', (a: unknown[]) => a.slice(0, -1)],
      ['one argument extra', (a: unknown[]) => [...a, 0]],
    ] as const) {
      add({ name: `${fn}(${label})`, fn, expect: 'throw', call: () => call(mk(freshArgs(spec).args))() });
    }
    // per-argument mutations
    const { specs } = freshArgs(spec);
    specs.forEach((s, i) => {
      for (const [label, value, needArg] of badValues(s)) {
        // a getter's own exception propagates unchanged (it is the caller's error, not the binding's)
        const own = label === 'throwing index getter';
        add({
          name: `${fn}: ${s.name} = ${label}`, fn: own ? `getter thrown for ${s.name}` : fn, arg: needArg ? s.name : undefined, expect: 'throw',
          call: () => call(set(freshArgs(spec).args, i, value()))(),
        });
      }
      // SharedArrayBuffer-backed and 4-aligned-but-not-16-aligned views of every array argument: accepted
      if (s.kind === 'f32' && s.valid) {
        add({ name: `${fn}: ${s.name} on a SharedArrayBuffer`, fn, expect: 'ok', call: () => call(set(freshArgs(spec).args, i, sabF32(s.valid!.length)))() });
        add({ name: `${fn}: ${s.name} at byteOffset 4`, fn, expect: 'ok', call: () => call(set(freshArgs(spec).args, i, offsetF32(s.valid!.length)))() });
      }
      if (s.kind === 'i32') {
        add({ name: `${fn}: ${s.name} on a SharedArrayBuffer`, fn, expect: 'ok', call: () => call(set(freshArgs(spec).args, i, sabI32(s.valid)))() });
        add({ name: `${fn}: ${s.name} at byteOffset 4`, fn, expect: 'ok', call: () => call(set(freshArgs(spec).args, i, offsetI32(s.valid)))() });
      }
      if (s.kind === 'list' && s.valid) {
        add({ name: `${fn}: ${s.name} on SharedArrayBuffers`, fn, expect: 'ok', call: () => call(set(freshArgs(spec).args, i, s.valid!.map((t) => sabF32(t.length))))() });
      }
      // A getter on a list element that runs after earlier arrays were validated, shrinking a
      // resizable buffer under one of them (was a segfault: use of a stale pointer).
      if (s.kind === 'list' && !s.first) {
        add({
          name: `${fn}: ${s.name} getter shrinks a resizable params buffer`, fn, expect: 'either',
          call: () => {
            const args = freshArgs(spec).args;
            const n = 1 << 16;
            const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void };
            const buf = new Resizable(n * 4, { maxByteLength: n * 4 });
            const p0 = new Float32Array(buf);
            const mk = () => new Float32Array(n);
            const lists = specs.map((t, k) => (t.kind === 'list' ? (t.first ? [p0] : [mk()]) : args[k]));
            const l: unknown[] = [];
            Object.defineProperty(l, 0, { enumerable: true, get() { buf.resize(0); return mk(); } });
            lists[i] = l;
            return b[fn](...lists);
          },
        });
        add({
          name: `${fn}: ${s.name} getter detaches the params buffer`, fn, expect: 'either',
          call: () => {
            const args = freshArgs(spec).args;
            const n = 1 << 16;
            const p0 = new Float32Array(n);
            const lists = specs.map((t, k) => (t.kind === 'list' ? (t.first ? [p0] : [new Float32Array(n)]) : args[k]));
            const l: unknown[] = [];
            Object.defineProperty(l, 0, { enumerable: true, get() { structuredClone(p0.buffer, { transfer: [p0.buffer] }); return new Float32Array(n); } });
            lists[i] = l;
            return b[fn](...lists);
          },
        });
      }
    });
    for (const [label, mk, expect] of spec.extra ?? []) {
      add({ name: `${fn}: ${label}`, fn, expect: expect ?? 'throw', call: () => call(mk(freshArgs(spec).args))() });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

type Thunk = () => unknown;
/** [name, fn-in-message, thunk, expect] */
type Row = [string, string, Thunk, Expect?];

async function optional<T>(p: string): Promise<T | null> {
  try {
    return (await import(p)) as T;
  } catch (e) {
    console.error(`bad-input: optional module ${p} did not load: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

async function publicCases(): Promise<void> {
  const t23 = () => ng.tensor(new Float32Array(6).fill(1), [2, 3]);
  const rows: Row[] = [];
  const badShapes: Array<[string, unknown]> = [
    ['[-1]', [-1]], ['[1.5]', [1.5]], ['[NaN]', [NaN]], ['[Infinity]', [Infinity]], ['[2^53]', [2 ** 53]],
    ["['2']", ['2']], ['null', null], ["'x'", 'x'], ['[2^31, 2^31]', [2 ** 31, 2 ** 31]], ['[-0.5]', [-0.5]], ['{}', {}],
  ];
  // constructors
  for (const [label, s] of badShapes) {
    rows.push([`zeros(${label})`, 'zeros', () => ng.zeros(s as number[])]);
    rows.push([`ones(${label})`, 'ones', () => ng.ones(s as number[])]);
    rows.push([`full(${label}, 1)`, 'full', () => ng.full(s as number[], 1)]);
    rows.push([`randn(${label})`, 'randn', () => ng.randn(s as number[])]);
    rows.push([`rand(${label})`, 'rand', () => ng.rand(s as number[])]);
    // a non-array second argument is read as options, so only the array shapes must throw
    rows.push([`tensor([], ${label})`, 'tensor', () => ng.tensor([], s as number[]), Array.isArray(s) ? 'throw' : 'either']);
  }
  for (const [label, v] of [['-1', -1], ['1.5', 1.5], ['NaN', NaN], ['2^53', 2 ** 53], ["'3'", '3']] as const) {
    rows.push([`eye(${label})`, 'eye', () => ng.eye(v as number)]);
  }
  rows.push(
    ['arange(0, 10, 0)', 'arange', () => ng.arange(0, 10, 0)], ['arange(NaN)', 'arange', () => ng.arange(NaN)],
    ['arange(Infinity)', 'arange', () => ng.arange(Infinity)], ['arange(0, 1e12)', 'arange', () => ng.arange(0, 1e12)],
    ['arange(0, 10, -1)', 'arange', () => ng.arange(0, 10, -1), 'either'],
    ['tensor(ragged)', 'tensor', () => ng.tensor([[1, 2], [3]] as never)],
    ['tensor(ragged deep)', 'tensor', () => ng.tensor([[[1], [2]], [[3], 4]] as never)],
    ['tensor(strings)', 'tensor', () => ng.tensor([['a', 'b']] as never)],
    ['tensor([1,2], [3])', 'tensor', () => ng.tensor([1, 2], [3])],
    ['tensor(5, [2])', 'tensor', () => ng.tensor(5, [2])],
    ['tensor(null)', 'tensor', () => ng.tensor(null as never)],
    ['tensor(undefined)', 'tensor', () => ng.tensor(undefined as never)],
    ['tensor({})', 'tensor', () => ng.tensor({} as never)],
    ['tensor(Float32Array, [-6])', 'tensor', () => ng.tensor(new Float32Array(6), [-6])],
    ['tensor(detached Float32Array)', 'tensor', () => ng.tensor(detachedF32(6), [2, 3])],
    ['new Tensor(data too short)', 'Tensor', () => new ng.Tensor(new Float32Array(5), [2, 3])],
    ['new Tensor(Float64Array)', 'Tensor', () => new ng.Tensor(new Float64Array(6) as never, [2, 3])],
    ['new Tensor(bad shape)', 'Tensor', () => new ng.Tensor(new Float32Array(6), [2, -3])],
    ['item() of 2x3', 'item', () => t23().item()],
    // dtypes, strides and views (tensor core v2)
    ["zeros([2], {dtype: 'float64'})", 'zeros', () => ng.zeros([2], { dtype: 'float64' as never })],
    ["tensor([1], {dtype: 'int32', requiresGrad})", 'tensor', () => ng.tensor([1], { dtype: 'int32', requiresGrad: true })],
    ['zeros([2], {dtyp})', 'zeros', () => ng.zeros([2], { dtyp: 'int32' } as never)],
    // (a Uint16Array is a bfloat16 tensor's storage since issue 17)
    ['new Tensor(Int16Array)', 'Tensor', () => new ng.Tensor(new Int16Array(6) as never, [2, 3])],
    ["to('complex64')", 'to', () => t23().to('complex64' as never)],
    ['requiresGrad_() on int32', 'requiresGrad_', () => t23().int().requiresGrad_()],
    ['data = Int32Array on float32', 'data', () => { t23().data = new Int32Array(6) as never; }],
    ['data = 5 elements on 2x3', 'data', () => { t23().data = new Float32Array(5); }],
    ['data = null', 'data', () => { t23().data = null as never; }],
    ['view(-1, -1)', 'view', () => t23().view(-1, -1)],
    ['view(4) of 6', 'view', () => t23().view(4)],
    ['view of a transposed view', 'view', () => t23().t().view(6)],
    ['reshape(NaN)', 'reshape', () => t23().reshape(NaN)],
    ['permute(0, 0)', 'permute', () => t23().permute(0, 0)],
    ['permute(0)', 'permute', () => t23().permute(0)],
    ['permute(null)', 'permute', () => t23().permute(null as never)],
    ['transpose(0, 5)', 'transpose', () => t23().transpose(0, 5)],
    ['t() of 3-D', 't', () => ng.zeros([1, 2, 3]).t()],
    ['mT of 1-D', 'mT', () => ng.zeros([3]).mT],
    ['expand([1])', 'expand', () => t23().expand([1])],
    ['expand([4, 3])', 'expand', () => t23().expand(4, 3)],
    ['expand([-2, 3])', 'expand', () => ng.zeros([1, 3]).expand(-2, 3)],
    ['slice(0, 0, 2, 0)', 'slice', () => t23().slice(0, 0, 2, 0)],
    ['slice(0, 0.5)', 'slice', () => t23().slice(0, 0.5)],
    ['slice(7, 0)', 'slice', () => t23().slice(7, 0)],
    ['narrow(1, 2, 5)', 'narrow', () => t23().narrow(1, 2, 5)],
    ['select(0, 2)', 'select', () => t23().select(0, 2)],
    ['select(0, 1.5)', 'select', () => t23().select(0, 1.5)],
    ['index(-3)', 'index', () => t23().index(-3)],
    ['split(0)', 'split', () => t23().split(0)],
    ['split([1, 2])', 'split', () => t23().split([1, 2])],
    ['split([-1, 3])', 'split', () => t23().split([-1, 3])],
    ['chunk(0)', 'chunk', () => t23().chunk(0)],
    ['unbind(2)', 'unbind', () => t23().unbind(2)],
    ['stride(5)', 'stride', () => t23().stride(5)],
    ['eq(null)', 'eq', () => t23().eq(null as never)],
    ['lt([4]-shaped)', 'lt', () => t23().lt(ng.zeros([4]))],
    ['where(float cond)', 'where', () => ng.where(t23(), t23(), 0)],
    ['where(null)', 'where', () => ng.where(null as never, t23(), 0)],
    ['where(shapes)', 'where', () => ng.where(ng.zeros([4], { dtype: 'bool' }), t23(), 0)],
    ['maskedFill(float mask)', 'maskedFill', () => t23().maskedFill(t23(), 0)],
    ["maskedFill(value 'x')", 'maskedFill', () => t23().maskedFill(ng.zeros([3], { dtype: 'bool' }), 'x' as never)],
    ['add_(shape [4])', 'add_', () => t23().add_(ng.zeros([4]))],
    ['add_ into smaller output', 'add_', () => ng.zeros([3]).add_(t23())],
    ['add_(0.5) on int32', 'add_', () => t23().int().add_(0.5)],
    ['add_(null)', 'add_', () => t23().add_(null as never)],
    ['add_(1, {alhpa})', 'add_', () => t23().add_(1, { alhpa: 2 } as never)],
    ['div_(2) on int32', 'div_', () => t23().int().div_(2)],
    ['fill_(null)', 'fill_', () => t23().fill_(null as never)],
    ['copy_(shape [4])', 'copy_', () => t23().copy_(ng.zeros([4]))],
    ['copy_(array)', 'copy_', () => t23().copy_([1, 2] as never)],
    ['clamp()', 'clamp', () => t23().clamp()],
    ["clamp('a')", 'clamp', () => t23().clamp('a' as never)],
    ['add_ on a leaf requiring grad', 'add_', () => ng.tensor([1], { requiresGrad: true }).add_(1)],
    ['mul_ on a view under autograd', 'mul_', () => ng.tensor([1, 2], { requiresGrad: true }).mul(2).slice(0, 0, 1).mul_(2)],
    ['bool sub bool', 'sub', () => ng.tensor([true]).sub(ng.tensor([false]))],
    ['grad = wrong shape', 'grad', () => { ng.zeros([2], { requiresGrad: true }).grad = ng.zeros([3]); }],
    ['backward() of non-scalar without grad', 'backward', () => ng.tensor([1, 2], { requiresGrad: true }).mul(2).backward()],
    ['backward(grad of wrong size)', 'backward', () => ng.tensor([1, 2], { requiresGrad: true }).mul(2).backward(new Float32Array(3))],
    ['backward() without requiresGrad', 'backward', () => t23().sum().backward()],
  );
  // elementwise / broadcasting
  const shapesBad: Array<[number[], number[]]> = [[[2, 3], [4]], [[2, 3], [3, 2]], [[4, 1, 3], [2, 2]], [[0, 3], [2, 3]]];
  for (const op of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const) {
    for (const [sa, sb] of shapesBad) rows.push([`${op}(${JSON.stringify(sa)}, ${JSON.stringify(sb)})`, op, () => (ng as never as Record<string, (a: unknown, b: unknown) => unknown>)[op](ng.zeros(sa), ng.zeros(sb))]);
    rows.push([`${op}(tensor, 'x')`, op, () => (ng as never as Record<string, (a: unknown, b: unknown) => unknown>)[op](t23(), 'x')]);
    rows.push([`${op}(null, tensor)`, op, () => (ng as never as Record<string, (a: unknown, b: unknown) => unknown>)[op](null, t23())]);
  }
  rows.push(['add(NaN data, Inf)', 'add', () => ng.add(ng.full([3], NaN), Infinity), 'ok']);
  // matmul
  for (const [sa, sb] of [[[2, 3], [2, 3]], [[3], [4]], [[2, 3, 4], [5, 4, 2]], [[], [3]], [[2, 3], []], [[1, 2, 3], [4, 2]]] as Array<[number[], number[]]>) {
    rows.push([`matmul(${JSON.stringify(sa)}, ${JSON.stringify(sb)})`, 'matmul', () => ng.matmul(ng.zeros(sa), ng.zeros(sb))]);
  }
  rows.push(['matmul(tensor, number)', 'matmul', () => ng.matmul(t23(), 2 as never)]);
  // reductions
  for (const op of ['sum', 'mean', 'max', 'min', 'argmax', 'argmin'] as const) {
    for (const d of [2, -3, 1.5, NaN, 2 ** 53, '0']) {
      rows.push([`${op}(dim=${String(d)})`, op, () => (ng as never as Record<string, (x: unknown, d: unknown) => unknown>)[op](t23(), d)]);
    }
  }
  rows.push(['max over an empty dim', 'max', () => ng.max(ng.zeros([2, 0]), 1)]);
  rows.push(['argmax over an empty dim', 'argmax', () => ng.argmax(ng.zeros([0, 3]), 0)]);
  rows.push(['softmax(dim=5)', 'softmax', () => ng.softmax(t23(), 5)]);
  rows.push(['logSoftmax(dim=-3)', 'logSoftmax', () => ng.logSoftmax(t23(), -3)]);
  // shape ops
  for (const s of [[7], [-1, -1], [4, -1], [2, 3.5], [NaN], [2 ** 53, 0], [-2, -3]]) {
    rows.push([`reshape(${JSON.stringify(s)})`, 'reshape', () => t23().reshape(s)]);
  }
  for (const p of [[0], [0, 0], [0, 2], [1, -3], [0, 1, 2], [0.5, 1]]) rows.push([`permute(${JSON.stringify(p)})`, 'permute', () => t23().permute(p)]);
  for (const [a, c] of [[0, 2], [-3, 0], [0.5, 1], [NaN, 0]]) rows.push([`transpose(${a}, ${c})`, 'transpose', () => t23().transpose(a, c)]);
  rows.push(['squeeze(5)', 'squeeze', () => t23().squeeze(5)], ['unsqueeze(4)', 'unsqueeze', () => t23().unsqueeze(4)],
    ['unsqueeze(-4)', 'unsqueeze', () => t23().unsqueeze(-4)], ['flatten(2, 0)', 'flatten', () => t23().flatten(1, 0)],
    ['expand([2, 4])', 'expand', () => t23().expand([2, 4])], ['expand([3])', 'expand', () => t23().expand([3])],
    ['expand([2, -3])', 'expand', () => t23().expand([2, -3])]);
  // join / slice / index
  rows.push(
    ['concat([])', 'concat', () => ng.concat([])], ['concat(mismatched)', 'concat', () => ng.concat([ng.zeros([2, 3]), ng.zeros([2, 4])], 0)],
    ['concat(rank mismatch)', 'concat', () => ng.concat([ng.zeros([2, 3]), ng.zeros([3])])], ['concat(dim 2)', 'concat', () => ng.concat([t23(), t23()], 2)],
    ['concat(non-tensor)', 'concat', () => ng.concat([t23(), [1, 2, 3] as never])], ['concat(null)', 'concat', () => ng.concat(null as never)],
    ['stack([])', 'stack', () => ng.stack([])], ['stack(mismatched)', 'stack', () => ng.stack([ng.zeros([2, 3]), ng.zeros([3, 2])])],
    ['stack(dim 3)', 'stack', () => ng.stack([t23(), t23()], 3)], ['stack(dim -4)', 'stack', () => ng.stack([t23(), t23()], -4)],
    ['slice(dim 2)', 'slice', () => ng.slice(t23(), 2, 0, 1)], ['slice(start 1.5)', 'slice', () => ng.slice(t23(), 0, 1.5, 2)],
    ['slice(start NaN)', 'slice', () => ng.slice(t23(), 1, NaN)], ['slice(end Infinity)', 'slice', () => ng.slice(t23(), 1, 0, Infinity), 'either'],
    ['slice(start > end)', 'slice', () => ng.slice(t23(), 1, 2, 1), 'either'], ['slice(start 10)', 'slice', () => ng.slice(t23(), 1, 10), 'either'],
    ['index(2)', 'index', () => ng.index(t23(), 2)], ['index(-3)', 'index', () => ng.index(t23(), -3)], ['index(0.5)', 'index', () => ng.index(t23(), 0.5)],
    ['index(NaN)', 'index', () => ng.index(t23(), NaN)], ['index of 0-d', 'index', () => ng.index(ng.tensor(1), 0)],
  );
  // backend / threads / rng
  for (const v of ['gpu', '', null, undefined, 1, 'NATIVE']) rows.push([`setBackend(${JSON.stringify(v)})`, 'setBackend', () => ng.setBackend(v as never)]);
  for (const v of [0, -1, 1.5, NaN, Infinity, 1e9, '2', null, 257]) rows.push([`setNumThreads(${String(v)})`, 'setNumThreads', () => ng.setNumThreads(v as never)]);
  for (const v of [NaN, Infinity, 'x']) rows.push([`manualSeed(${String(v)})`, 'manualSeed', () => ng.manualSeed(v as never)]);
  rows.push(['manualSeed(-1.5)', 'manualSeed', () => ng.manualSeed(-1.5), 'either']);
  rows.push(['setRngState(garbage)', 'setRngState', () => ng.setRngState({ s: [1] } as never)]);
  rows.push(['setRngState(null)', 'setRngState', () => ng.setRngState(null as never)]);

  // nn / F / optim / data / io: whichever exist
  const nn = ((ng as Record<string, unknown>).nn ?? (await optional<Record<string, unknown>>('../../lib/nn/index.js'))) as Record<string, any> | null;
  if (nn) {
    const F = nn.functional;
    const logits = () => ng.tensor(new Float32Array(12).fill(0.1), [3, 4], { requiresGrad: true });
    for (const [label, labels] of [
      ['label = classes', [0, 4, 1]], ['label -1', [0, -1, 1]], ['label 1.5', [0, 1.5, 1]], ['label NaN', [0, NaN, 1]],
      ['label Infinity', [0, Infinity, 1]], ['too few labels', [0, 1]], ['too many labels', [0, 1, 2, 3]], ['label 2^31', [0, 2 ** 31, 1]],
      ['labels Float32Array with 0.5', new Float32Array([0, 0.5, 1])], ['labels a string', 'abc'], ['labels null', null],
      ['labels 2-D tensor', ng.zeros([3, 1])], ['labels Int32Array out of range', Int32Array.from([0, 1, 9])],
    ] as Array<[string, unknown]>) {
      rows.push([`crossEntropy(${label})`, 'crossEntropy', () => F.crossEntropy(logits(), labels)]);
    }
    rows.push(['crossEntropy(3-D logits)', 'crossEntropy', () => F.crossEntropy(ng.zeros([2, 3, 4]), [0, 1])]);
    rows.push(['crossEntropy(NaN logits) + backward', 'crossEntropy', () => { const l = ng.tensor(new Float32Array(12).fill(NaN), [3, 4], { requiresGrad: true }); F.crossEntropy(l, [0, 1, 2]).backward(); }, 'ok']);
    rows.push(['crossEntropy(reduction bad)', 'crossEntropy', () => F.crossEntropy(logits(), [0, 1, 2], { reduction: 'avg' })]);
    rows.push(['crossEntropy(0 rows)', 'crossEntropy', () => F.crossEntropy(ng.zeros([0, 4]), []), 'either']);
    rows.push(['nllLoss(label out of range)', 'nllLoss', () => F.nllLoss(logits(), [0, 1, 7])]);
    rows.push(['mseLoss(shape mismatch)', 'mseLoss', () => F.mseLoss(t23(), ng.zeros([3, 2]))]);
    rows.push(['mseLoss(target too short)', 'mseLoss', () => F.mseLoss(t23(), [1, 2])]);
    rows.push(['binaryCrossEntropy(shape mismatch)', 'binaryCrossEntropy', () => F.binaryCrossEntropy(t23(), ng.zeros([6]))]);
    rows.push(['binaryCrossEntropy(NaN prob)', 'binaryCrossEntropy', () => F.binaryCrossEntropy(ng.full([3], NaN), ng.zeros([3])), 'either']);
    for (const [a, c] of [[-1, 2], [1.5, 2], [2, NaN], [2, 2 ** 53], ['2', 2]] as Array<[unknown, unknown]>) {
      rows.push([`Linear(${String(a)}, ${String(c)})`, 'Linear', () => new nn.Linear(a, c)]);
    }
    rows.push(['Linear forward with wrong in-features', 'Linear', () => new nn.Linear(4, 2).forward(t23())]);
    rows.push(['Linear forward with a number', 'Linear', () => new nn.Linear(4, 2).forward(3)]);
    rows.push(['Embedding(-1, 2)', 'Embedding', () => new nn.Embedding(-1, 2)]);
    rows.push(['Embedding forward index = num', 'Embedding', () => new nn.Embedding(5, 2).forward([0, 5])]);
    rows.push(['Embedding forward index -1', 'Embedding', () => new nn.Embedding(5, 2).forward(Int32Array.from([-1]))]);
    rows.push(['Embedding forward index 0.5', 'Embedding', () => new nn.Embedding(5, 2).forward([0.5])]);
    rows.push(['Dropout(1.5)', 'Dropout', () => new nn.Dropout(1.5)], ['Dropout(NaN)', 'Dropout', () => new nn.Dropout(NaN)]);
    if (F.dropout) {
      rows.push(['F.dropout(p = 1.5)', 'dropout', () => F.dropout(t23(), 1.5)], ['F.dropout(p = NaN)', 'dropout', () => F.dropout(t23(), NaN)]);
      rows.push(['F.dropout(not a tensor)', 'dropout', () => F.dropout([1, 2], 0.5)]);
      rows.push(['F.dropout(int32 tensor)', 'dropout', () => F.dropout(ng.tensor([1, 2], { dtype: 'int32' }), 0.5)]);
      rows.push(['F.dropout(training = 1)', 'dropout', () => F.dropout(t23(), 0.5, 1)]);
      rows.push(['F.dropout(p = 1) + backward', 'dropout', () => F.dropout(ng.tensor([1, 2], { requiresGrad: true }), 1).sum().backward(), 'ok']);
    }
    rows.push(['Embedding forward int32 tensor index = num', 'Embedding', () => new nn.Embedding(5, 2).forward(ng.tensor([0, 5], { dtype: 'int32' }))]);
    rows.push(['Embedding forward float tensor index 1.5', 'Embedding', () => new nn.Embedding(5, 2).forward(ng.tensor([1.5]))]);
    rows.push(['Embedding forward bool tensor', 'Embedding', () => new nn.Embedding(5, 2).forward(ng.tensor([true, false])), 'ok']);
    if (F.embedding) {
      rows.push(['F.embedding(1-D weight)', 'embedding', () => F.embedding([0], ng.zeros([3]))]);
      rows.push(['F.embedding(index -1)', 'embedding', () => F.embedding(Int32Array.from([-1]), ng.zeros([3, 2]))]);
    }
    rows.push(['crossEntropy(int32 labels out of range)', 'crossEntropy', () => F.crossEntropy(logits(), ng.tensor([0, 1, 4], { dtype: 'int32' }))]);
    rows.push(['nllLoss(int32 labels -1)', 'nllLoss', () => F.nllLoss(logits(), ng.tensor([0, -1, 2], { dtype: 'int32' }))]);
    rows.push(['huberLoss(delta Infinity)', 'huberLoss', () => F.huberLoss(t23(), ng.zeros([2, 3]), Infinity), 'ok']);
    rows.push(['LayerNorm forward wrong shape', 'LayerNorm', () => new nn.LayerNorm(4).forward(t23())]);
    // issue 14's layers (test/nn/bad-input-layers.test.ts checks each message in full)
    if (nn.MultiheadAttention) {
      rows.push(['MultiheadAttention int32 query', 'MultiheadAttention', () => new nn.MultiheadAttention(8, 2).forward(ng.zeros([2, 5, 8], { dtype: 'int32' }))]);
      rows.push(['MultiheadAttention embedDim "8"', 'MultiheadAttention', () => new nn.MultiheadAttention('8', 2)]);
      rows.push(['MultiheadAttention needWeights "yes"', 'MultiheadAttention', () => new nn.MultiheadAttention(8, 2).forward(ng.zeros([2, 5, 8]), undefined, undefined, { needWeights: 'yes' })]);
      rows.push(['TransformerEncoderLayer src null', 'TransformerEncoderLayer', () => new nn.TransformerEncoderLayer(8, 2).forward(null)]);
      rows.push(['TransformerEncoderLayer src wrong E', 'TransformerEncoderLayer', () => new nn.TransformerEncoderLayer(8, 2).forward(ng.zeros([5, 2, 6]))]);
      rows.push(['TransformerDecoderLayer memory missing', 'TransformerDecoderLayer', () => new nn.TransformerDecoderLayer(8, 2).forward(ng.zeros([5, 2, 8]))]);
    }
    if (nn.Conv1d) {
      rows.push(['Conv1d int32 input', 'Conv1d', () => new nn.Conv1d(2, 4, 3).forward(ng.zeros([1, 2, 8], { dtype: 'int32' }))]);
      rows.push(['Conv1d input too short', 'Conv1d', () => new nn.Conv1d(2, 4, 3).forward(ng.zeros([1, 2, 2]))]);
    }
    if (nn.CrossEntropyLoss) {
      rows.push(['CrossEntropyLoss reduction "avg"', 'CrossEntropyLoss', () => new nn.CrossEntropyLoss({ reduction: 'avg' })]);
      rows.push(['CrossEntropyLoss forward null', 'CrossEntropyLoss', () => new nn.CrossEntropyLoss().forward(null, [0])]);
      rows.push(['HuberLoss delta "1"', 'HuberLoss', () => new nn.HuberLoss({ delta: '1' })]);
    }
    rows.push(['Embedding ragged nested indices', 'Embedding', () => new nn.Embedding(5, 2).forward([[1, 2], [3]])]);
    rows.push(['LayerNorm normalizedShape "4"', 'LayerNorm', () => new nn.LayerNorm('4')]);
    rows.push(['BatchNorm1d forward wrong channels', 'BatchNorm1d', () => new nn.BatchNorm1d(4).forward(t23())]);
    rows.push(['loadStateDict(wrong shape)', 'loadStateDict', () => new nn.Linear(3, 2).loadStateDict({ weight: ng.zeros([5, 5]), bias: ng.zeros([2]) })]);
    rows.push(['loadStateDict(null)', 'loadStateDict', () => new nn.Linear(3, 2).loadStateDict(null)]);
  }
  const optim = ((ng as Record<string, unknown>).optim ?? (await optional<Record<string, unknown>>('../../lib/optim/index.js'))) as Record<string, any> | null;
  if (optim) {
    const p = () => [ng.zeros([3], { requiresGrad: true })];
    for (const [label, o] of [['lr -1', { lr: -1 }], ['lr NaN', { lr: NaN }], ['lr string', { lr: '0.1' }], ['momentum -1', { lr: 0.1, momentum: -1 }],
      ['nesterov without momentum', { lr: 0.1, nesterov: true }], ['weightDecay NaN', { lr: 0.1, weightDecay: NaN }]] as Array<[string, unknown]>) {
      rows.push([`SGD(${label})`, 'SGD', () => new optim.SGD(p(), o)]);
    }
    for (const [label, o] of [['betas [1, 0.9]', { betas: [1, 0.9] }], ['betas [0.9]', { betas: [0.9] }], ['eps -1', { eps: -1 }], ['lr Infinity', { lr: Infinity }]] as Array<[string, unknown]>) {
      rows.push([`Adam(${label})`, 'Adam', () => new optim.Adam(p(), o)]);
    }
    rows.push(['SGD(no params)', 'SGD', () => new optim.SGD([], { lr: 0.1 })]);
    rows.push(['SGD(params not tensors)', 'SGD', () => new optim.SGD([1, 2] as never, { lr: 0.1 })]);
    rows.push(['SGD(params null)', 'SGD', () => new optim.SGD(null as never, { lr: 0.1 })]);
    rows.push(['RMSprop(alpha -1)', 'RMSprop', () => new optim.RMSprop(p(), { lr: 0.01, alpha: -1 })]);
    rows.push(['Adam step with NaN grads', 'Adam', () => { const ps = p(); ng.mul(ps[0], ng.full([3], NaN)).sum().backward(); new optim.Adam(ps).step(); }, 'ok']);
    rows.push(['loadStateDict(garbage)', 'loadStateDict', () => new optim.SGD(p(), { lr: 0.1 }).loadStateDict({ state: 5 })]);
    rows.push(['StepLR(stepSize 0)', 'StepLR', () => new optim.StepLR(new optim.SGD(p(), { lr: 0.1 }), 0)]);
  }
  const data = ((ng as Record<string, unknown>).data ?? (await optional<Record<string, unknown>>('../../lib/data/index.js'))) as Record<string, any> | null;
  if (data) {
    const ds = () => new data.TensorDataset(ng.zeros([4, 2]), [0, 1, 0, 1]);
    rows.push(['TensorDataset(length mismatch)', 'TensorDataset', () => new data.TensorDataset(ng.zeros([4, 2]), [0, 1])]);
    rows.push(['TensorDataset(0-d x)', 'TensorDataset', () => new data.TensorDataset(ng.tensor(1), [0])]);
    for (const bs of [0, -1, 1.5, NaN, '4']) rows.push([`DataLoader(batchSize ${String(bs)})`, 'DataLoader', () => new data.DataLoader(ds(), { batchSize: bs })]);
    rows.push(['DataLoader(null dataset)', 'DataLoader', () => new data.DataLoader(null)]);
    rows.push(['TensorDataset.get(10)', 'TensorDataset', () => ds().get(10)]);
  }
  const io = await optional<Record<string, any>>('../../lib/io/safetensors.js');
  const saveS = (ng as Record<string, any>).saveSafetensors ?? io?.saveSafetensors;
  const loadS = (ng as Record<string, any>).loadSafetensors ?? io?.loadSafetensors;
  if (saveS && loadS) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-bad-input-'));
    const file = (name: string, bytes: Uint8Array) => { const p = path.join(dir, name); fs.writeFileSync(p, bytes); return p; };
    const header = (obj: unknown, pad = 0, lenDelta = 0): Uint8Array => {
      const h = Buffer.from(JSON.stringify(obj) + ' '.repeat(pad));
      const out = Buffer.alloc(8 + h.length);
      out.writeBigUInt64LE(BigInt(h.length + lenDelta), 0);
      h.copy(out, 8);
      return out;
    };
    const withData = (h: Uint8Array, n: number) => Buffer.concat([h, Buffer.alloc(n)]);
    const bad: Array<[string, Uint8Array]> = [
      ['empty file', new Uint8Array(0)], ['7 bytes', new Uint8Array(7)], ['header length 2^63', (() => { const b = Buffer.alloc(16); b.writeBigUInt64LE(2n ** 63n); return b; })()],
      ['header length past the end', header({}, 0, 100)], ['header length 1e9', (() => { const b = Buffer.alloc(16); b.writeBigUInt64LE(1_000_000_000n); return b; })()],
      ['header not JSON', (() => { const b = Buffer.alloc(8 + 4); b.writeBigUInt64LE(4n); b.write('{{{{', 8); return b; })()],
      ['header not UTF-8', (() => { const b = Buffer.alloc(8 + 4); b.writeBigUInt64LE(4n); b.set([0xff, 0xfe, 0xfd, 0xfc], 8); return b; })()],
      ['header a JSON array', header([1, 2])],
      ['unknown dtype', withData(header({ w: { dtype: 'Q8', shape: [2], data_offsets: [0, 8] } }), 8)],
      ['offsets past the end', withData(header({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 800] } }), 8)],
      ['offsets reversed', withData(header({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }), 8)],
      ['shape/offset mismatch', withData(header({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }), 8)],
      ['negative shape', withData(header({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }), 8)],
      ['shape overflow', withData(header({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }), 8)],
      ['fractional offsets', withData(header({ w: { dtype: 'F32', shape: [2], data_offsets: [0.5, 8.5] } }), 9)],
      ['trailing bytes', withData(header({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }), 16)],
      ['overlapping tensors', withData(header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }), 8)],
      ['tensor entry not an object', header({ w: 5 })], ['missing data_offsets', withData(header({ w: { dtype: 'F32', shape: [2] } }), 8)],
      ['__metadata__ with a number value', header({ __metadata__: { a: 1 } })],
    ];
    bad.forEach(([label, bytes], k) => rows.push([`loadSafetensors(${label})`, 'loadSafetensors', () => loadS(file(`bad${k}.safetensors`, bytes))]));
    rows.push(['loadSafetensors(missing file)', 'loadSafetensors', () => loadS(path.join(dir, 'nope.safetensors'))]);
    rows.push(['loadSafetensors(a directory)', 'loadSafetensors', () => loadS(dir)]);
    rows.push(['loadSafetensors(null)', 'loadSafetensors', () => loadS(null)]);
    rows.push(['saveSafetensors(non-tensor value)', 'saveSafetensors', () => saveS(path.join(dir, 'o1.safetensors'), { w: [1, 2] })]);
    rows.push(['saveSafetensors(null dict)', 'saveSafetensors', () => saveS(path.join(dir, 'o2.safetensors'), null)]);
    rows.push(['saveSafetensors(into a missing directory)', 'saveSafetensors', () => saveS(path.join(dir, 'no', 'such', 'x.safetensors'), { w: t23() })]);
    rows.push(['saveSafetensors(metadata non-string)', 'saveSafetensors', () => saveS(path.join(dir, 'o3.safetensors'), { w: t23() }, { a: 1 })]);
    rows.push(['saveSafetensors(name __metadata__)', 'saveSafetensors', () => saveS(path.join(dir, 'o4.safetensors'), { __metadata__: t23() })]);
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  const conv = await optional<Record<string, any>>('../../lib/ops/conv.js');
  if (conv?.conv2d) {
    const x = () => ng.zeros([1, 2, 4, 4]);
    rows.push(['conv2d(channel mismatch)', 'conv2d', () => conv.conv2d(x(), ng.zeros([3, 5, 3, 3]))]);
    rows.push(['conv2d(kernel larger than input)', 'conv2d', () => conv.conv2d(x(), ng.zeros([3, 2, 7, 7]))]);
    rows.push(['conv2d(3-D input)', 'conv2d', () => conv.conv2d(ng.zeros([2, 4, 4]), ng.zeros([3, 2, 3, 3]))]);
    rows.push(['conv2d(stride 0)', 'conv2d', () => conv.conv2d(x(), ng.zeros([3, 2, 3, 3]), null, { stride: 0 })]);
    rows.push(['conv2d(padding -1)', 'conv2d', () => conv.conv2d(x(), ng.zeros([3, 2, 3, 3]), null, { padding: -1 })]);
    rows.push(['conv2d(bias wrong size)', 'conv2d', () => conv.conv2d(x(), ng.zeros([3, 2, 3, 3]), ng.zeros([2]))]);
    rows.push(['maxPool2d(kernel 0)', 'maxPool2d', () => conv.maxPool2d(x(), 0)]);
    rows.push(['maxPool2d(kernel 9)', 'maxPool2d', () => conv.maxPool2d(x(), 9)]);
    rows.push(['avgPool2d(stride NaN)', 'avgPool2d', () => conv.avgPool2d(x(), 2, { stride: NaN })]);
  }
  for (const [name, fn, call, expect] of rows) add({ name, fn, expect: expect ?? 'throw', call });
}

// ---------------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------------

// Progress goes to the file named by argv[3] (synchronous writes survive a crash; a pipe can be
// non-blocking and fail with EAGAIN), else to stdout.
const outFd = process.argv[3] ? fs.openSync(process.argv[3], 'w') : 1;
function out(line: string): void {
  const buf = Buffer.from(`${line}\n`);
  for (let off = 0; off < buf.length;) {
    try {
      off += fs.writeSync(outFd, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}

async function main(): Promise<void> {
  const suite = process.argv[2] ?? 'binding';
  if (suite === 'binding') bindingCases();
  else await publicCases();
  out(`COUNT ${cases.length} ${ng.getBackend()}`);
  cases.forEach((c, i) => {
    out(`START ${i} ${c.name}`);
    let threw = false;
    let errName = '';
    let msg = '';
    try {
      const t0 = performance.now();
      const r = c.call();
      const ms = performance.now() - t0;
      if (ms > 50) out(`SLOW ${ms.toFixed(0)}ms ${c.name}`);
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).catch(() => undefined);
    } catch (e) {
      threw = true;
      errName = e instanceof Error ? e.constructor.name : typeof e;
      msg = e instanceof Error ? e.message : String(e);
    }
    out(`RESULT ${JSON.stringify({ i, name: c.name, fn: c.fn, arg: c.arg, expect: c.expect, threw, errName, msg: msg.slice(0, 400) })}`);
  });
  out('DONE');
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
