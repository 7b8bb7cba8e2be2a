// The benchmark suite: `npm run bench` = `nodegrad bench [--quick] [--only gemm,ops,train,cnn]`.
// Each section is its own script (run in a child process so each can fix its ISA / threads); this
// runner only sequences them and passes --quick through.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECTIONS = [
  { name: 'gemm', file: 'gemm.mjs', what: 'FMA peak and SGEMM GFLOP/s per ISA and thread count' },
  { name: 'ops', file: 'ops.mjs', what: 'µs per small/large element-wise op, autograd on/off' },
  { name: 'train', file: 'train.mjs', what: 'XOR µs/step, MNIST MLP training and inference throughput, Adam update' },
  { name: 'cnn', file: 'cnn.mjs', what: 'MNIST CNN training samples/s' },
];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set(args[onlyAt + 1].split(',')) : null;
if (only) {
  const unknown = [...only].filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknown.length) {
    console.error(`bench: unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
}

let failed = 0;
for (const s of SECTIONS) {
  if (only && !only.has(s.name)) continue;
  const file = path.join(here, s.file);
  console.log(`\n## ${s.name}: ${s.what}\n`);
  if (!fs.existsSync(file)) {
    console.log(`(not available in this build: ${path.relative(process.cwd(), file)} is missing)`);
    continue;
  }
  const r = spawnSync(process.execPath, [file, ...(quick ? ['--quick'] : [])], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`(section ${s.name} failed with status ${r.status})`);
  }
}
process.exit(failed ? 1 : 0);
