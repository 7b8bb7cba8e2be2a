import { describe, expect, it } from 'vitest';
import { distEntry, requireBuilt, runNode } from '../helpers/dist.js';

// The addon is context-aware: it loads in worker_threads, several at once, and survives their
// termination. Runs in a child process so a native crash fails the test instead of killing vitest.
describe('native addon in worker_threads', () => {
  it('4 workers at once, created and terminated 20 times, do not crash', () => {
    requireBuilt();
    const script = `
      const { Worker } = require('node:worker_threads');
      const entry = ${JSON.stringify(distEntry)};
      const body = \`
        const { parentPort } = require('node:worker_threads');
        const ng = require(\${JSON.stringify(entry)});
        const n = 64, a = new Float32Array(n * n).fill(1), c = new Float32Array(n * n);
        const b = ng.getBackend();
        require(\${JSON.stringify(entry.replace(/index\\.js$/, 'backend/registry.js'))}).current
          .gemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n, 0, null, 1, 0, 0, 0);
        parentPort.postMessage({ backend: b, c0: c[0] });
        setInterval(() => {}, 1000); // stay alive until terminated
      \`;
      (async () => {
        const seen = new Set();
        for (let round = 0; round < 20; round++) {
          const workers = Array.from({ length: 4 }, () => new Worker(body, { eval: true }));
          const msgs = await Promise.all(workers.map((w) => new Promise((res, rej) => {
            w.once('message', res); w.once('error', rej);
          })));
          for (const m of msgs) { if (m.c0 !== 64) throw new Error('bad result ' + m.c0); seen.add(m.backend); }
          await Promise.all(workers.map((w) => w.terminate()));
        }
        console.log(JSON.stringify([...seen]));
      })().catch((e) => { console.error(e); process.exit(1); });
    `;
    const r = runNode(['-e', script], { timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout.trim().split('\n').pop()!);
    // With the addon built, the workers ran on native.
    const main = runNode(['-e', `console.log(require(${JSON.stringify(distEntry)}).getBackend())`]);
    expect(seen).toEqual([main.stdout.trim()]);
  });
});
