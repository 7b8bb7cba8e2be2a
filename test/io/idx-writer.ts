/** A tiny IDX writer for tests (big-endian, any dtype). */
import { IDX_DTYPE_CODES, type IdxDtype } from '../../lib/data/idx.js';

const SIZES: Record<IdxDtype, number> = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 };

export function idxBytes(dtype: IdxDtype, shape: number[], values: ArrayLike<number>): Buffer {
  const size = SIZES[dtype];
  const head = Buffer.alloc(4 + 4 * shape.length);
  head[2] = IDX_DTYPE_CODES[dtype];
  head[3] = shape.length;
  shape.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  const body = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const o = i * size;
    switch (dtype) {
      case 'uint8': body.writeUInt8(v, o); break;
      case 'int8': body.writeInt8(v, o); break;
      case 'int16': body.writeInt16BE(v, o); break;
      case 'int32': body.writeInt32BE(v, o); break;
      case 'float32': body.writeFloatBE(v, o); break;
      case 'float64': body.writeDoubleBE(v, o); break;
    }
  }
  return Buffer.concat([head, body]);
}
