import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIdx, readIdx, type IdxDtype } from '../../lib/data/idx.js';
import { idxBytes } from '../io/idx-writer.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodegrad-idx-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

const CASES: [IdxDtype, number[], Function][] = [
  ['uint8', [0, 1, 127, 128, 255, 42], Uint8Array],
  ['int8', [-128, -1, 0, 1, 127, 5], Int8Array],
  ['int16', [-32768, -1, 0, 1, 32767, 258], Int16Array],
  ['int32', [-2147483648, -1, 0, 1, 2147483647, 16909060], Int32Array],
  ['float32', [-1.5, 0, Math.fround(1e-38), 3.4028234663852886e38, Math.fround(0.1), -0], Float32Array],
  ['float64', [-1.5, 0, 5e-324, Number.MAX_VALUE, 0.1, Math.PI], Float64Array],
];

describe('readIdx round trips', () => {
  for (const [dtype, values, Ctor] of CASES) {
    it(`${dtype}: [2,3] and 1-D, plain and gzip`, () => {
      const p = write(`rt-${dtype}`, idxBytes(dtype, [2, 3], values));
      const r = readIdx(p);
      expect(r.dtype).toBe(dtype);
      expect(r.shape).toEqual([2, 3]);
      expect(r.data).toBeInstanceOf(Ctor);
      expect(Array.from(r.data)).toEqual(values);
      const g = write(`rt-${dtype}.gz`, zlib.gzipSync(idxBytes(dtype, [6], values)));
      const rg = readIdx(g);
      expect(rg.shape).toEqual([6]);
      expect(Array.from(rg.data)).toEqual(values);
    });
  }
  it('zero-size dimension and 4-D shape', () => {
    expect(readIdx(write('empty', idxBytes('int32', [3, 0], [])))).toMatchObject({ dtype: 'int32', shape: [3, 0] });
    const r = readIdx(write('4d', idxBytes('int16', [1, 2, 1, 2], [1, -2, 3, -4])));
    expect(r.shape).toEqual([1, 2, 1, 2]);
    expect(Array.from(r.data)).toEqual([1, -2, 3, -4]);
  });
  it('parses from an unaligned buffer view', () => {
    const b = idxBytes('float64', [2], [1.25, -2.5]);
    const shifted = new Uint8Array(b.length + 3);
    shifted.set(b, 3);
    expect(Array.from(parseIdx(shifted.subarray(3)).data)).toEqual([1.25, -2.5]);
  });
});

describe('readIdx rejects corrupt files with an error naming the file', () => {
  const good = idxBytes('int16', [2, 3], [1, 2, 3, 4, 5, 6]);
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /too short/],
    ['three-bytes', new Uint8Array([0, 0, 8]), /too short/],
    ['bad-magic', Buffer.from([1, 0, 8, 1, 0, 0, 0, 0]), /bad magic/],
    ['gzip-not-named-gz', zlib.gzipSync(good), /gzip/],
    ['unknown-dtype', Buffer.from([0, 0, 0x0a, 1, 0, 0, 0, 0]), /unknown dtype byte 0x0a/],
    ['zero-dims', Buffer.from([0, 0, 8, 0]), /zero dimensions/],
    ['truncated-header', Buffer.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0]), /truncated header/],
    ['overflow', Buffer.concat([Buffer.from([0, 0, 0x0e, 4]), Buffer.alloc(16, 0xff)]), /overflow/],
    ['truncated-data', good.subarray(0, good.length - 1), /truncated: header says 12 bytes of data.*file has 11/],
    ['trailing', Buffer.concat([good, Buffer.from([7])]), /trailing garbage.*1 extra/],
  ];
  for (const [name, bytes, re] of cases) {
    it(name, () => {
      const p = write(`bad-${name}`, bytes);
      expect(() => readIdx(p)).toThrow(re);
      expect(() => readIdx(p)).toThrow(`readIdx: ${p}: `);
    });
  }
  it('MNIST-sized header with a short file says how much is missing', () => {
    const p = write('train-images', Buffer.concat([idxBytes('uint8', [60000, 28, 28], []), Buffer.alloc(1000)]));
    expect(() => readIdx(p)).toThrow(`readIdx: ${p}: truncated: header says 47040000 bytes of data (uint8 [60000,28,28]), file has 1000`);
  });
  it('missing file, directory, corrupt gzip', () => {
    expect(() => readIdx(path.join(dir, 'nope'))).toThrow(/nope: cannot open/);
    expect(() => readIdx(dir)).toThrow(/not a regular file/);
    const p = write('corrupt.gz', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    expect(() => readIdx(p)).toThrow(/corrupt\.gz: cannot gunzip/);
  });
  it('every truncation and every single-bit flip of a small file: clean Error or valid parse', () => {
    const src = idxBytes('int32', [2, 2], [1, -2, 3, 4]);
    for (let n = 0; n < src.length; n++) {
      expect(() => parseIdx(src.subarray(0, n), 'x')).toThrow(/^readIdx: x: /);
    }
    for (let bit = 0; bit < src.length * 8; bit++) {
      const b = Buffer.from(src);
      b[bit >> 3] ^= 1 << (bit & 7);
      try {
        const r = parseIdx(b, 'x');
        expect(r.data.length).toBe(r.shape.reduce((a, c) => a * c, 1));
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(/^readIdx: x: /);
      }
    }
  });
});
