/** The op tables are declared once (spec/ops.json); TS, native and the generated files agree. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { nativeBinding } from '../../lib/backend/registry.js';
import { opTableMismatch } from '../../lib/backend/native/load.js';
import { BINDING_FUNCTIONS } from '../../lib/backend/native/binding.js';
import { BINARYOP_NAMES, EPILOGUE_NAMES, REDUCEOP_NAMES, UNARYOP_NAMES, UnaryOp } from '../../lib/backend/ops.gen.js';

const root = path.join(__dirname, '..', '..');

describe('kernel spec', () => {
  it('the generated files are what spec/ops.json gives (npm run gen)', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'gen-spec.cjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('codes are positions in the spec', () => {
    UNARYOP_NAMES.forEach((n, i) => expect((UnaryOp as Record<string, number>)[n]).toBe(i));
  });

  it('the loaded addon was compiled from the same op tables and exports every binding function', () => {
    const b = nativeBinding();
    if (b === null) return; // js-only machine: nothing to compare
    const info = b.nativeInfo();
    expect(info.ops).toEqual({ unary: UNARYOP_NAMES, binary: BINARYOP_NAMES, reduce: REDUCEOP_NAMES, epilogue: EPILOGUE_NAMES });
    expect(opTableMismatch(info)).toBeNull();
    for (const fn of BINDING_FUNCTIONS) expect(typeof (b as unknown as Record<string, unknown>)[fn], fn).toBe('function');
  });

  it('an addon from another spec is refused with a message saying which table differs', () => {
    const base = { isa: 'scalar', bestIsa: 'scalar', bf16: false, threads: 1, l1dBytes: 0, l2Bytes: 0, l3Bytes: 0, version: '0', isaWarning: null } as const;
    const ops = { unary: [...UNARYOP_NAMES], binary: [...BINARYOP_NAMES], reduce: [...REDUCEOP_NAMES], epilogue: [...EPILOGUE_NAMES] };
    expect(opTableMismatch({ ...base })).toMatch(/reports no op tables/);
    const swapped = { ...ops, binary: ['sub', 'add', ...BINARYOP_NAMES.slice(2)] };
    expect(opTableMismatch({ ...base, ops: swapped })).toMatch(/its binary ops are \[sub, add/);
    expect(opTableMismatch({ ...base, ops: { ...ops, unary: ops.unary.slice(1) } })).toMatch(/unary/);
    expect(opTableMismatch({ ...base, ops })).toBeNull();
  });
});
