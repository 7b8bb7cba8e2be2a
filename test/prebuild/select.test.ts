import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elfMismatch, prebuildCandidates, type PrebuildTarget } from '../../lib/backend/native/load.js';

// Which prebuilt file the loader tries, for every platform folder the package may carry
// (docs/prebuilds.md: linux-x64 and linux-arm64 are built here; the rest by CI's native runners).
const target = (t: Partial<PrebuildTarget>): PrebuildTarget => ({ platform: 'linux', arch: 'x64', libc: 'glibc', armv: '', abi: '115', uv: '1', ...t });

describe('prebuildCandidates (prebuildify layout and tags)', () => {
  let root = '';
  const put = (rel: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, 'prebuilds', rel)), { recursive: true });
    fs.writeFileSync(path.join(root, 'prebuilds', rel), 'x');
  };
  const names = (t: Partial<PrebuildTarget>): string[] => prebuildCandidates(root, target(t)).files.map((f) => path.relative(path.join(root, 'prebuilds'), f));
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nodegrad-select-'));
    for (const f of ['linux-x64/nodegrad.glibc.node', 'linux-x64/nodegrad.musl.node', 'linux-arm64/nodegrad.glibc.node', 'linux-arm64/nodegrad.armv7.glibc.node',
      'darwin-x64+arm64/nodegrad.node', 'darwin-arm64/nodegrad.napi.node', 'win32-x64/nodegrad.node', 'win32-x64/nodegrad.abi999.node',
      'linux-x64/README.txt', 'linux-x64/nodegrad.electron.glibc.node']) put(f);
    fs.writeFileSync(path.join(root, 'prebuilds', 'manifest.json'), '{}');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('picks the libc of the process on Linux', () => {
    expect(names({})).toEqual(['linux-x64/nodegrad.glibc.node']);
    expect(names({ libc: 'musl' })).toEqual(['linux-x64/nodegrad.musl.node']);
  });

  it('matches the ARM version tag on arm64', () => {
    expect(names({ arch: 'arm64', armv: '8' })).toEqual(['linux-arm64/nodegrad.glibc.node']);
  });

  it('prefers a single-arch folder over a multi-arch one (macOS)', () => {
    expect(names({ platform: 'darwin', arch: 'arm64', libc: null })).toEqual(['darwin-arm64/nodegrad.napi.node', 'darwin-x64+arm64/nodegrad.node']);
    expect(names({ platform: 'darwin', arch: 'x64', libc: null })).toEqual(['darwin-x64+arm64/nodegrad.node']);
  });

  it('skips a file built for another Node ABI, keeps the N-API one (Windows)', () => {
    expect(names({ platform: 'win32', libc: null })).toEqual(['win32-x64/nodegrad.node']);
    const notes = prebuildCandidates(root, target({ platform: 'win32', libc: null })).notes.join('\n');
    expect(notes).toMatch(/nodegrad\.abi999\.node: skipped \(built for Node ABI 999, this is 115\)/);
  });

  it('says why nothing fits: a missing platform folder names the ones the package has', () => {
    const r = prebuildCandidates(root, target({ platform: 'freebsd', libc: null }));
    expect(r.files).toEqual([]);
    expect(r.notes.join('\n')).toMatch(/freebsd-x64: no prebuild for freebsd-x64 \(the package has darwin-arm64, darwin-x64\+arm64, linux-arm64, linux-x64, win32-x64\)/);
    const none = prebuildCandidates(path.join(root, 'nowhere'), target({}));
    expect(none.notes.join('\n')).toMatch(/no prebuild for linux-x64 \(glibc\)/);
  });

  it('notes the files passed over for another libc or runtime', () => {
    const notes = prebuildCandidates(root, target({})).notes.join('\n');
    expect(notes).toMatch(/nodegrad\.musl\.node: skipped \(built for musl, this is glibc\)/);
    expect(notes).toMatch(/nodegrad\.electron\.glibc\.node: skipped \(built for electron\)/);
  });
});

describe.runIf(process.platform === 'linux')('elfMismatch (read before dlopen)', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodegrad-elf-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const elf = (machine: number): string => {
    const head = Buffer.alloc(64);
    head.writeUInt32BE(0x7f454c46, 0);
    head[4] = 2; // 64-bit
    head[5] = 1; // little-endian
    head.writeUInt16LE(machine, 18);
    const f = path.join(dir, `m${machine}.node`);
    fs.writeFileSync(f, head);
    return f;
  };

  it('names the machine a foreign binary was built for', () => {
    expect(elfMismatch(elf(183), 'x64')).toBe('built for arm64, this process is x64');
    expect(elfMismatch(elf(62), 'arm64')).toBe('built for x64, this process is arm64');
    expect(elfMismatch(elf(62), 'x64')).toBeNull();
    expect(elfMismatch(elf(9999), 'x64')).toBe('built for ELF machine 9999, this process is x64');
  });

  it('rejects a file shorter than its headers say (dlopen would die of SIGBUS)', () => {
    const f = elf(62);
    const b = fs.readFileSync(f);
    b.writeBigUInt64LE(4096n, 40); // section headers at 4096
    b.writeUInt16LE(64, 58);
    b.writeUInt16LE(10, 60);
    fs.writeFileSync(f, b);
    expect(elfMismatch(f, 'x64')).toBe('truncated: 64 bytes, its headers reach byte 4736');
  });

  it('rejects a file that is not ELF or is too short', () => {
    const junk = path.join(dir, 'junk.node');
    fs.writeFileSync(junk, 'MZ this is not a shared object');
    expect(elfMismatch(junk, 'x64')).toMatch(/not an ELF shared object/);
    fs.writeFileSync(junk, '\x7fELF');
    expect(elfMismatch(junk, 'x64')).toMatch(/not an ELF shared object/);
  });
});
