/**
 * Interoperability with an independent implementation: fixtures/make_safetensors_fixture.py (only
 * struct/json/numpy) wrote the committed fixtures/independent.safetensors (F32, F16, F64, BF16, I32, a
 * scalar, an empty tensor; data in a different order than the header) and the float32 bit patterns each
 * element must load as. We load it; and a file we write parses with that script's reader (run through
 * python3 when python3 + numpy are available, otherwise a named skip).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSafetensors, readSafetensorsMetadata, saveSafetensors } from '../../lib/io/safetensors.js';
import { Tensor } from '../../lib/tensor.js';

const FIX = path.join(__dirname, 'fixtures');
const SCRIPT = path.join(FIX, 'make_safetensors_fixture.py');
const FILE = path.join(FIX, 'independent.safetensors');
interface Expected { metadata: Record<string, string>; tensors: Record<string, { dtype: string; shape: number[]; bits: number[] }> }
const expected = JSON.parse(fs.readFileSync(path.join(FIX, 'independent-expected.json'), 'utf8')) as Expected;
const python = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-indep-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function bits(t: Tensor): number[] {
  return Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));
}

describe('a file from the independent Python writer', () => {
  it('loads with the right dtypes, shapes, values (bit for bit as float32) and metadata', () => {
    const sd = loadSafetensors(FILE);
    expect(Object.keys(sd).sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, e] of Object.entries(expected.tensors)) {
      expect(sd[name].shape, name).toEqual(e.shape);
      expect(bits(sd[name]), name).toEqual(e.bits);
    }
    expect(readSafetensorsMetadata(FILE)).toEqual(expected.metadata);
    expect(new Set(Object.values(expected.tensors).map((e) => e.dtype))).toEqual(new Set(['F32', 'F16', 'F64', 'BF16', 'I32']));
  });

  it.skipIf(!python)('the committed fixture is what the script writes (skipped without python3 + numpy)', () => {
    const r = spawnSync('python3', [SCRIPT, tmp], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(tmp, 'independent.safetensors')).equals(fs.readFileSync(FILE))).toBe(true);
  });
});

describe('a file we write', () => {
  it.skipIf(!python)('parses with the independent reader, same values and metadata (skipped without python3 + numpy)', () => {
    const t = (shape: number[], f: (i: number) => number) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return new Tensor(Float32Array.from({ length: n }, (_, i) => f(i)), shape);
    };
    const sd: Record<string, Tensor> = {
      '0.weight': t([7, 3], (i) => Math.sin(i) * 1e3),
      '0.bias': t([7], (i) => [0, -0, Infinity, -Infinity, 1e-45, 3.4e38, -1][i]),
      'fc1.running_mean': t([2, 2, 2], (i) => i / 3),
      scalar: t([], () => -4.5),
      empty: t([0, 5], () => 0),
    };
    const meta = { epoch: '3', note: 'ünïcode ✓' };
    const file = path.join(tmp, 'ours.safetensors');
    saveSafetensors(file, sd, meta);
    const r = spawnSync('python3', [SCRIPT, '--read', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as Expected;
    expect(got.metadata).toEqual(meta);
    expect(Object.keys(got.tensors).sort()).toEqual(Object.keys(sd).sort());
    for (const [name, x] of Object.entries(sd)) {
      expect(got.tensors[name].dtype).toBe('F32');
      expect(got.tensors[name].shape, name).toEqual([...x.shape]);
      expect(got.tensors[name].bits, name).toEqual(bits(x));
    }
  });
});
