import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, requireBuilt, runNode } from '../helpers/dist.js';

// A sibling project that depends on this folder (npm links a folder dependency into node_modules),
// importing nodegrad as users do: require, import * as, default import, the bin, and the types.
describe('the package as users install it', () => {
  let dir = '';
  beforeAll(() => {
    requireBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodegrad-user-'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(repoRoot, path.join(dir, 'node_modules', 'nodegrad'), 'dir');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'user', private: true, dependencies: { nodegrad: `file:${repoRoot}` } }));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('works from CommonJS', () => {
    const r = runNode(['-e', "const ng = require('nodegrad'); console.log(typeof ng.tensor, typeof ng.setBackend, ng.backends().includes(ng.getBackend()))"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('function function true');
  });

  it('works from ESM, named and default imports share one instance', () => {
    const src = "import * as ng from 'nodegrad'; import def from 'nodegrad'; import { createRequire } from 'node:module';" +
      "const cjs = createRequire(import.meta.url)('nodegrad');" +
      "console.log(typeof ng.tensor, def.tensor === ng.tensor, cjs.tensor === ng.tensor, ng.tensor([1, 2]).add(1).toArray().join(','))";
    const r = runNode(['--input-type=module', '-e', src], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('function true true 2,3');
  });

  it('loads the text data packages (corpus, gpt-tokenizer r50k_base) from CommonJS and ESM', () => {
    const body = "const t = ng.data.gpt2Tokenizer(); console.log(Array.from(t.encode('Hello world')).join(','), ng.data.corpus('moby-dick').length, typeof ng.io.readLlmcCheckpoint)";
    const cjs = runNode(['-e', `const ng = require('nodegrad'); ${body}`], { cwd: dir });
    expect(cjs.status, cjs.stderr).toBe(0);
    expect(cjs.stdout.trim()).toBe('15496,995 1190317 function');
    const esm = runNode(['--input-type=module', '-e', `import * as ng from 'nodegrad'; ${body}`], { cwd: dir });
    expect(esm.status, esm.stderr).toBe(0);
    expect(esm.stdout.trim()).toBe('15496,995 1190317 function');
  });

  it('exposes the nodegrad bin', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const bin = path.join(repoRoot, pkg.bin.nodegrad);
    expect(fs.existsSync(bin)).toBe(true);
    const r = runNode([bin, 'info'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/backend/);
  });

  it('ships types for both import styles', () => {
    fs.writeFileSync(path.join(dir, 'a.mts'), "import * as ng from 'nodegrad';\nconst t: ng.Tensor = ng.tensor([1, 2]);\nexport const n: number = t.size;\n");
    fs.writeFileSync(path.join(dir, 'b.cts'), "import ng = require('nodegrad');\nconst t: ng.Tensor = ng.zeros([2]);\nexport const n: number = t.size;\n");
    const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = runNode([tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node',
      '--typeRoots', path.join(repoRoot, 'node_modules', '@types'), 'a.mts', 'b.cts'], { cwd: dir });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
