import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  deserializeSafetensors, loadSafetensors, MAX_HEADER_SIZE, readSafetensorsHeader, readSafetensorsMetadata, saveSafetensors, serializeSafetensors,
} from '../../lib/io/safetensors.js';
import { f32ToBf16, f32ToF16 } from '../../lib/io/dtype.js';
import { Tensor, tensor } from '../../lib/tensor.js';
import { buildSafetensors, f32le, rawFile } from './st-helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodegrad-st-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function file(bytes: Uint8Array, name = `f${counter++}.safetensors`): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}
function seq(n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i - n / 2) * scale + 0.25);
}
function t(shape: number[], scale = 1): Tensor {
  return new Tensor(seq(shape.reduce((a, b) => a * b, 1), scale), shape);
}

const python = spawnSync('python3', ['-c', 'import safetensors.numpy, numpy'], { encoding: 'utf8' }).status === 0;
const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

describe('saveSafetensors / loadSafetensors round trip', () => {
  it('int32 and bool tensors are written as I32 / BOOL with their values (they were labelled F32 and read back as garbage)', () => {
    const p = path.join(dir, 'ints.safetensors');
    saveSafetensors(p, { ids: new Tensor(Int32Array.of(0, 7, -3, 65536), [2, 2]), mask: new Tensor(Uint8Array.of(1, 0, 1), [3]) });
    expect(readSafetensorsHeader(p).tensors.map((e) => [e.name, e.dtype])).toEqual([['ids', 'I32'], ['mask', 'BOOL']]);
    const back = loadSafetensors(p);
    expect(Array.from(back.ids.data)).toEqual([0, 7, -3, 65536]);
    expect(back.ids.shape).toEqual([2, 2]);
    expect(Array.from(back.mask.data)).toEqual([1, 0, 1]);
  });

  it('odd shapes: scalar [], [1], [7,17], zero-size [0,3], [2,0,5]; values bit-exact', () => {
    const sd = {
      scalar: new Tensor(Float32Array.of(-3.5), []),
      one: new Tensor(Float32Array.of(Number.MIN_VALUE), [1]),
      'layer.0.weight': t([7, 17], 1e-3),
      empty: new Tensor(new Float32Array(0), [0, 3]),
      empty2: new Tensor(new Float32Array(0), [2, 0, 5]),
      special: new Tensor(Float32Array.of(NaN, Infinity, -Infinity, -0, 3.4028234663852886e38, 1e-45), [6]),
    };
    const p = path.join(dir, 'rt.safetensors');
    saveSafetensors(p, sd);
    const back = loadSafetensors(p);
    expect(Object.keys(back).sort()).toEqual(Object.keys(sd).sort());
    for (const [k, v] of Object.entries(sd)) {
      expect(back[k]).toBeInstanceOf(Tensor);
      expect(back[k].shape).toEqual(v.shape);
      expect(Buffer.from(back[k].data.buffer, back[k].data.byteOffset, back[k].data.byteLength))
        .toEqual(Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength));
    }
    // layout: header length multiple of 8; sorted names; contiguous offsets
    const h = readSafetensorsHeader(p);
    expect(h.tensors.map((e) => e.name)).toEqual(['empty', 'empty2', 'layer.0.weight', 'one', 'scalar', 'special']);
    expect(fs.readFileSync(p).readBigUInt64LE(0) % 8n).toBe(0n);
    expect(h.metadata).toEqual({});
    expect(readSafetensorsMetadata(p)).toEqual({});
  });
  it('accepts a Map, metadata round trip, "__proto__" and unicode names, empty dict', () => {
    const m = new Map<string, Tensor>([['é', tensor([1, 2])], ['__proto__', tensor([3])], ['z', tensor([[4]])]]);
    const p = path.join(dir, 'map.safetensors');
    saveSafetensors(p, m, { format: 'pt', 'nodegrad.config': JSON.stringify({ layers: [784, 10] }), '': 'x' });
    const back = loadSafetensors(p);
    expect(Object.keys(back)).toEqual(['__proto__', 'z', 'é']); // header order = sorted UTF-8
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Array.from(back.__proto__.data)).toEqual([3]);
    expect(back.z.shape).toEqual([1, 1]);
    expect(readSafetensorsMetadata(p)).toEqual({ format: 'pt', 'nodegrad.config': '{"layers":[784,10]}', '': 'x' });
    saveSafetensors(p, {});
    expect(loadSafetensors(p)).toEqual({});
    expect(fs.readFileSync(p)).toEqual(rawFile('{}'));
  });
  it('a subarray-backed tensor writes only its own bytes', () => {
    const big = seq(10);
    const p = path.join(dir, 'sub.safetensors');
    saveSafetensors(p, { a: new Tensor(big.subarray(3, 6), [3]) });
    expect(Array.from(loadSafetensors(p).a.data)).toEqual(Array.from(big.subarray(3, 6)));
  });
  it('bad arguments throw TypeError / Error before touching the file', () => {
    const p = path.join(dir, 'args.safetensors');
    saveSafetensors(p, { a: tensor([1]) });
    const before = fs.readFileSync(p);
    expect(() => saveSafetensors(p, { a: tensor([1]) }, { n: 3 as unknown as string })).toThrow(TypeError);
    expect(() => saveSafetensors(p, { a: tensor([1]) }, { n: 3 as unknown as string })).toThrow(/metadata\["n"\] must be a string, got number/);
    expect(() => saveSafetensors(p, { a: [1, 2] as unknown as Tensor })).toThrow(/stateDict\["a"\] is not a Tensor/);
    expect(() => saveSafetensors(p, { __metadata__: tensor([1]) })).toThrow(/reserved/);
    expect(() => saveSafetensors(p, null as unknown as Record<string, Tensor>)).toThrow(TypeError);
    expect(() => saveSafetensors(p, new Map([['', tensor([1])]]))).toThrow(/non-empty strings/);
    expect(fs.readFileSync(p)).toEqual(before);
  });
});

describe('compatibility with the reference format', () => {
  const ref = Buffer.concat([
    Buffer.from([56, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ', 'utf8'), // 54 + 2 spaces = 56
    Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]), // 1.0f, 2.0f little-endian
  ]);
  it('loads the exact bytes the Python package writes for {"a": F32 [1,2]}, and writes them byte for byte', () => {
    const p = file(ref);
    const sd = loadSafetensors(p);
    expect(sd.a.shape).toEqual([2]);
    expect(Array.from(sd.a.data)).toEqual([1, 2]);
    const q = path.join(dir, 'ours-a.safetensors');
    saveSafetensors(q, { a: tensor([1, 2]) });
    expect(fs.readFileSync(q)).toEqual(ref);
    expect(Buffer.concat(serializeSafetensors({ a: tensor([1, 2]) }))).toEqual(ref);
  });
  it('unpadded headers, extra JSON whitespace and unknown entry fields are accepted', () => {
    const a = rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32le([5]), false);
    expect(Array.from(loadSafetensors(file(a)).a.data)).toEqual([5]);
    const b = rawFile('{ "a" : { "shape" : [ 1 ] , "dtype" : "F32" , "data_offsets" : [ 0 , 4 ] , "extra": 1 } }\n', f32le([6]));
    expect(Array.from(loadSafetensors(file(b)).a.data)).toEqual([6]);
  });
  it('reads F16, BF16, F64, I64, I32, I16, I8, U8, U16, U32, BOOL as float32', () => {
    const v = [1, -2, 0.5, 65504];
    const f16 = Buffer.from(f32ToF16(Float32Array.from(v)).buffer);
    const bf16 = Buffer.from(f32ToBf16(Float32Array.from([1, -2, 0.5, 3e38])).buffer);
    const f64 = Buffer.from(Float64Array.from([0.1, -1e300, 5e-324]).buffer);
    const i64 = Buffer.from(BigInt64Array.from([-5n, 2n ** 40n]).buffer);
    const p = file(buildSafetensors([
      { name: 'h', dtype: 'F16', shape: [2, 2], bytes: f16 },
      { name: 'b', dtype: 'BF16', shape: [4], bytes: bf16 },
      { name: 'd', dtype: 'F64', shape: [3], bytes: f64 },
      { name: 'q', dtype: 'I64', shape: [2], bytes: i64 },
      { name: 'i', dtype: 'I32', shape: [1], bytes: Buffer.from(Int32Array.of(-7).buffer) },
      { name: 's', dtype: 'I16', shape: [1], bytes: Buffer.from(Int16Array.of(-300).buffer) },
      { name: 'c', dtype: 'I8', shape: [2], bytes: Buffer.from([0xff, 0x7f]) },
      { name: 'u', dtype: 'U8', shape: [2], bytes: Buffer.from([0xff, 3]) },
      { name: 'w', dtype: 'U16', shape: [1], bytes: Buffer.from(Uint16Array.of(65535).buffer) },
      { name: 'x', dtype: 'U32', shape: [1], bytes: Buffer.from(Uint32Array.of(4e9).buffer) },
      { name: 'o', dtype: 'BOOL', shape: [3], bytes: Buffer.from([0, 1, 2]) },
    ], { format: 'np' }));
    const sd = loadSafetensors(p);
    expect(Object.keys(sd)).toEqual(['h', 'b', 'd', 'q', 'i', 's', 'c', 'u', 'w', 'x', 'o']);
    expect(sd.h.shape).toEqual([2, 2]);
    expect(Array.from(sd.h.data)).toEqual(v);
    expect(Array.from(sd.b.data)).toEqual([1, -2, 0.5, (226 / 128) * 2 ** 127]);
    expect(Array.from(sd.d.data)).toEqual([Math.fround(0.1), -Infinity, 0]);
    expect(Array.from(sd.q.data)).toEqual([-5, 2 ** 40]);
    expect(Array.from(sd.i.data)).toEqual([-7]);
    expect(Array.from(sd.s.data)).toEqual([-300]);
    expect(Array.from(sd.c.data)).toEqual([-1, 127]);
    expect(Array.from(sd.u.data)).toEqual([255, 3]);
    expect(Array.from(sd.w.data)).toEqual([65535]);
    expect(Array.from(sd.x.data)).toEqual([4e9]);
    expect(Array.from(sd.o.data)).toEqual([0, 1, 1]);
    expect(deserializeSafetensors(fs.readFileSync(p)).metadata).toEqual({ format: 'np' });
  });

  it.skipIf(!python)('cross-check with the Python safetensors package (needs python3 with safetensors + numpy; skipped otherwise)', () => {
    const ours = path.join(dir, 'ours.safetensors');
    saveSafetensors(ours, { 'w.weight': t([3, 5]), b: new Tensor(Float32Array.of(7), []), e: new Tensor(new Float32Array(0), [0, 3]) }, { format: 'pt' });
    const theirs = path.join(dir, 'theirs.safetensors');
    const script = `
import sys, json, numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open
d = load_file(sys.argv[1])
with safe_open(sys.argv[1], 'np') as f: md = f.metadata()
print(json.dumps({k: {'shape': list(v.shape), 'dtype': str(v.dtype), 'values': v.ravel().tolist()} for k, v in d.items()} | {'__md__': md}))
save_file({'a': np.array([1, 2], np.float32), 'h': np.array([[0.5, -1, 65504]], np.float16), 'd': np.array([0.25], np.float64), 'i': np.arange(4, dtype=np.int64).reshape(2, 2)}, sys.argv[2], metadata={'k': 'v'})
save_file({'a': np.array([1, 2], np.float32)}, sys.argv[3])
`;
    const single = path.join(dir, 'theirs-a.safetensors');
    const r = spawnSync('python3', ['-c', script, ours, theirs, single], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout);
    expect(got['w.weight']).toEqual({ shape: [3, 5], dtype: 'float32', values: Array.from(seq(15)) });
    expect(got.b).toEqual({ shape: [], dtype: 'float32', values: [7] });
    expect(got.e).toEqual({ shape: [0, 3], dtype: 'float32', values: [] });
    expect(got.__md__).toEqual({ format: 'pt' });
    const sd = loadSafetensors(theirs);
    expect(Array.from(sd.a.data)).toEqual([1, 2]);
    expect(sd.h.shape).toEqual([1, 3]);
    expect(Array.from(sd.h.data)).toEqual([0.5, -1, 65504]);
    expect(Array.from(sd.d.data)).toEqual([0.25]);
    expect(Array.from(sd.i.data)).toEqual([0, 1, 2, 3]);
    expect(readSafetensorsMetadata(theirs)).toEqual({ k: 'v' });
    const mine = path.join(dir, 'mine-a.safetensors');
    saveSafetensors(mine, { a: tensor([1, 2]) });
    expect(fs.readFileSync(mine)).toEqual(fs.readFileSync(single));
  });

  it.skipIf(!numpy)('a pure-numpy reader (no safetensors package) reads our file (needs python3 + numpy; skipped otherwise)', () => {
    const p = path.join(dir, 'np.safetensors');
    saveSafetensors(p, { x: t([2, 3]), y: new Tensor(Float32Array.of(1.5), [1]) });
    const script = `
import sys, json, struct, numpy as np
b = open(sys.argv[1], 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); data = b[8 + n:]
out = {k: np.frombuffer(data[v['data_offsets'][0]:v['data_offsets'][1]], '<f4').reshape(v['shape']).tolist() for k, v in h.items() if k != '__metadata__'}
print(json.dumps(out))`;
    const r = spawnSync('python3', ['-c', script, p], { encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toEqual({ x: [Array.from(seq(6).subarray(0, 3)), Array.from(seq(6).subarray(3))], y: [1.5] });
  });
});

describe('corrupt files: every one throws an Error naming the file', () => {
  const good = buildSafetensors([
    { name: 'a', dtype: 'F32', shape: [2, 3], bytes: f32le([1, 2, 3, 4, 5, 6]) },
    { name: 'b', dtype: 'F16', shape: [2], bytes: Buffer.from(Uint16Array.of(0x3c00, 0x4000).buffer) },
    { name: 'c', dtype: 'F32', shape: [], bytes: f32le([9]) },
  ], { k: 'v' });

  function expectBad(bytes: Uint8Array, re: RegExp): void {
    const p = file(bytes);
    let err: unknown;
    try {
      loadSafetensors(p);
    } catch (e) {
      err = e;
    }
    expect(err, `no error for ${re}`).toBeInstanceOf(Error);
    expect((err as Error).message.startsWith(`loadSafetensors: ${p}: `)).toBe(true);
    expect((err as Error).message).toMatch(re);
  }
  const F = (h: string, data: Uint8Array = new Uint8Array(0), pad = true) => rawFile(h, data, pad);
  const E = (o: object) => JSON.stringify(o);

  it('the good fixture loads', () => {
    const sd = loadSafetensors(file(good));
    expect(Array.from(sd.b.data)).toEqual([1, 2]);
  });
  it('truncated at every byte position', () => {
    for (let n = 0; n < good.length; n++) {
      expectBad(good.subarray(0, n), n < 8 ? /file too small/ : /header length \d+ runs past the end|covers|past the end of the data|the last offset/);
    }
  });
  it('every bit flip in the header length', () => {
    for (let bit = 0; bit < 64; bit++) {
      const b = Buffer.from(good);
      b[bit >> 3] ^= 1 << (bit & 7);
      expectBad(b, /header length|not valid|JSON|start with|extra bytes|past the end|overlap|hole/);
    }
  });
  it('random bit flips anywhere: a clean Error or a valid load, never anything else', () => {
    let s = 7;
    for (let i = 0; i < 400; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const b = Buffer.from(good);
      const pos = s % b.length;
      b[pos] ^= 1 << ((s >>> 16) & 7);
      try {
        const sd = deserializeSafetensors(b, 'fuzz');
        for (const v of Object.values(sd.tensors)) expect(v).toBeInstanceOf(Tensor);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(/^loadSafetensors: fuzz: /);
      }
    }
  });
  it('header length limits', () => {
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(BigInt(MAX_HEADER_SIZE) + 8n);
    expectBad(huge, /exceeds the 100000000-byte limit/);
    const max = Buffer.alloc(16, 0xff);
    expectBad(max, /exceeds/);
    const past = Buffer.alloc(16);
    past.writeBigUInt64LE(9n);
    expectBad(past, /header length 9 runs past the end of the file \(16 bytes/);
    expectBad(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), /header length 0 is too small/);
  });
  it('header content', () => {
    expectBad(Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 32, 32, 32, 32])]), /not valid UTF-8/);
    expectBad(F('{"a":'), /not valid JSON/);
    expectBad(F('[1,2]'), /does not start with '\{'/);
    expectBad(F(' {}'), /does not start with '\{'/);
    expectBad(F('{"a":3}'), /tensor "a": entry is not an object/);
    expectBad(F('{"__metadata__":{"k":1}}'), /"__metadata__"\["k"\] is not a string/);
    expectBad(F('{"__metadata__":[]}'), /"__metadata__" is not an object/);
    expectBad(F(E({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }), Buffer.alloc(1)), /unknown dtype "F8_E4M3"/);
    expectBad(F(E({ a: { dtype: 'toString', shape: [1], data_offsets: [0, 1] } }), Buffer.alloc(1)), /unknown dtype "toString"/);
    expectBad(F(E({ a: { shape: [1], data_offsets: [0, 4] } }), Buffer.alloc(4)), /unknown dtype undefined/);
    expectBad(F(E({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }), Buffer.alloc(4)), /shape \[-1\] is not an array of non-negative integers/);
    expectBad(F(E({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }), Buffer.alloc(4)), /shape/);
    expectBad(F(E({ a: { dtype: 'F32', shape: 4, data_offsets: [0, 4] } }), Buffer.alloc(4)), /shape 4 is not an array/);
    expectBad(F(E({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }), Buffer.alloc(4)), /data_offsets \[0\] is not \[begin, end\]/);
    expectBad(F(E({ a: { dtype: 'F32', shape: [1], data_offsets: ['0', '4'] } }), Buffer.alloc(4)), /data_offsets/);
    expectBad(F(E({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }), Buffer.alloc(4)), /begin > end/);
  });
  it('offsets and sizes', () => {
    expectBad(F(E({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }), Buffer.alloc(4)), /shape \[2\] of F32 needs 8 bytes but data_offsets \[0,4\] span 4/);
    expectBad(F(E({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 8] } }), Buffer.alloc(4)), /past the end of the data \(4 bytes/);
    expectBad(F(E({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }), Buffer.alloc(4)), /overflows/);
    expectBad(F(E({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }), Buffer.alloc(8)), /overlap/);
    expectBad(F(E({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }), Buffer.alloc(4)), /overlap/);
    expectBad(F(E({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, z: { dtype: 'F32', shape: [0], data_offsets: [4, 4] } }), Buffer.alloc(8)), /overlap/);
    expectBad(F(E({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }), Buffer.alloc(12)), /hole in the data: bytes \[4,8\)/);
    expectBad(F(E({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }), Buffer.alloc(8)), /hole in the data: bytes \[0,4\)/);
    expectBad(F(E({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }), Buffer.alloc(6)), /the last offset must be the end of the file \(2 extra bytes\)/);
    expectBad(F('{}', Buffer.alloc(1)), /the last offset must be the end/);
    expectBad(Buffer.concat([good, Buffer.from([0])]), /1 extra bytes/);
  });
  it('missing file, directory; readSafetensorsMetadata validates too', () => {
    expect(() => loadSafetensors(path.join(dir, 'missing'))).toThrow(/loadSafetensors: .*missing: cannot open/);
    expect(() => loadSafetensors(dir)).toThrow(/not a regular file|cannot open/);
    const p = file(F(E({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }), Buffer.alloc(6)));
    expect(() => readSafetensorsMetadata(p)).toThrow(`readSafetensorsMetadata: ${p}: data buffer has 6 bytes`);
  });
});
