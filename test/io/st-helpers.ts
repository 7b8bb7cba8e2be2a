/** Builds safetensors bytes by hand (independent of the library's writer) for fixtures and corruptions. */
export interface RawEntry {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** The exact layout of the reference writer: entries in the given order, header padded with spaces. */
export function buildSafetensors(entries: RawEntry[], metadata?: Record<string, string>, pad = true): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] };
    off += e.bytes.length;
  }
  return rawFile(JSON.stringify(header), Buffer.concat(entries.map((e) => e.bytes)), pad);
}

/** 8-byte LE length + header text (space-padded to a multiple of 8 when pad) + data. */
export function rawFile(headerText: string, data: Uint8Array = new Uint8Array(0), pad = true): Buffer {
  let h = Buffer.from(headerText, 'utf8');
  if (pad && h.length % 8 !== 0) h = Buffer.concat([h, Buffer.alloc(8 - (h.length % 8), 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

export function f32le(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
}
