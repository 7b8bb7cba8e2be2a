/**
 * Crash-safe file writes: the target path holds either the old content or the complete new content,
 * never a partial file (API.md "Saving": a crash mid-save leaves the previous file intact).
 *
 * Recipe (research/reliability.md §6): write a temp file *in the target's folder* (so the rename
 * stays on one filesystem) named `.<name>.<pid>.<random>.tmp`, opened with `wx`; write everything;
 * fsync; close; rename over the target; fsync the folder (best effort: some platforms cannot open
 * or fsync a directory). On any error the temp file is removed and the error rethrown. A SIGKILL
 * skips that cleanup, so each write first removes stale temp files of the same target whose writer
 * process no longer exists.
 *
 * A symlink at `target` is replaced by a regular file (rename semantics), not written through.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Errors of the directory fsync that only mean "not supported here". */
const DIR_SYNC_IGNORED = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'EBADF', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

function tempPrefix(base: string): string {
  return `.${base}.`;
}

/** Removes `.<base>.<pid>.<hex>.tmp` files left by writers that died (their pid is gone). */
function cleanStaleTemps(dir: string, base: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const prefix = tempPrefix(base);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)\.([0-9a-f]+)\.tmp$/.exec(name.slice(prefix.length));
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || !Number.isSafeInteger(pid) || pid <= 0) continue; // ours: maybe in flight (a worker)
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code !== 'ESRCH';
    }
    if (alive) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
    } catch {
      // raced with another cleaner, or not ours to remove: leave it
    }
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.byteLength) {
    off += fs.writeSync(fd, chunk, off, chunk.byteLength - off);
  }
}

function fsyncDir(dir: string): void {
  let dfd: number;
  try {
    dfd = fs.openSync(dir, 'r');
  } catch (e) {
    if (DIR_SYNC_IGNORED.has((e as NodeJS.ErrnoException).code ?? '')) return;
    throw e;
  }
  try {
    fs.fsyncSync(dfd);
  } catch (e) {
    if (!DIR_SYNC_IGNORED.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    fs.closeSync(dfd);
  }
}

/**
 * Atomically replaces `target` with the concatenation of `data` (one buffer, or an iterable of
 * buffers written in order, so large state dicts are never joined into one copy).
 */
export function writeFileAtomic(target: string, data: Uint8Array | Iterable<Uint8Array>): void {
  if (typeof target !== 'string' || target.length === 0) {
    throw new TypeError(`writeFileAtomic: path must be a non-empty string, got ${String(target)}`);
  }
  const abs = path.resolve(target);
  const dir = path.dirname(abs);
  const base = path.basename(abs);
  cleanStaleTemps(dir, base);

  let mode: number | undefined;
  try {
    const st = fs.statSync(abs);
    if (st.isDirectory()) throw new Error(`writeFileAtomic: ${target} is a directory`);
    mode = st.mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }

  const tmp = path.join(dir, `${tempPrefix(base)}${process.pid}.${crypto.randomBytes(8).toString('hex')}.tmp`);
  let fd = fs.openSync(tmp, 'wx', mode ?? 0o666);
  try {
    if (data instanceof Uint8Array) {
      writeAll(fd, data);
    } else {
      for (const chunk of data) {
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError(`writeFileAtomic: ${target}: every chunk must be a Uint8Array/Buffer, got ${typeof chunk}`);
        }
        writeAll(fd, chunk);
      }
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    if (mode !== undefined) {
      try {
        fs.chmodSync(tmp, mode); // keep the old file's permissions (openSync's mode goes through umask)
      } catch {
        // best effort
      }
    }
    fs.renameSync(tmp, abs);
  } catch (e) {
    if (fd >= 0) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // not created / already renamed
    }
    throw e;
  }
  fsyncDir(dir);
}
