// nodegrad/tfjs as applications load it: the subpath export from ESM and CommonJS, never loaded by
// the main entry, and a second copy of tfjs-core refused with a clear error.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, requireBuilt, runNode } from '../helpers/dist.js';

describe('nodegrad/tfjs package entry', () => {
  requireBuilt();
  it('the main entry does not load it (nor tfjs)', () => {
    const r = runNode(['-e', "require('nodegrad'); console.log(Object.keys(require.cache).filter((f) => f.includes('@tensorflow') || f.includes(require('path').join('dist', 'cjs', 'tfjs'))).length)"]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('0');
  });
  it('imports from ESM and requires from CommonJS; tf.ready() picks nodegrad', () => {
    const esm = runNode(['--input-type=module', '-e',
      "import * as tf from '@tensorflow/tfjs'; import * as ngtf from 'nodegrad/tfjs'; import def from 'nodegrad/tfjs'; await tf.ready(); console.log(tf.getBackend(), typeof ngtf.adam, def.adam === ngtf.adam, ngtf.nativeKernelNames().length > 40)"]);
    expect(esm.stdout.trim()).toBe('nodegrad function true true');
    const cjs = runNode(['-e',
      "const tf = require('@tensorflow/tfjs'); const ngtf = require('nodegrad/tfjs'); tf.ready().then(() => console.log(tf.getBackend(), ngtf.BACKEND_NAME, ngtf.PRIORITY))"]);
    expect(cjs.stdout.trim()).toBe('nodegrad nodegrad 3');
  });
  it('refuses a second copy of tfjs-core', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-tfjs-dup-'));
    try {
      const copy = path.join(dir, 'node_modules', '@tensorflow', 'tfjs-core');
      fs.cpSync(path.join(repoRoot, 'node_modules', '@tensorflow', 'tfjs-core', 'dist', 'tf-core.node.js'), path.join(copy, 'dist', 'tf-core.node.js'), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, 'node_modules', '@tensorflow', 'tfjs-core', 'package.json'), path.join(copy, 'package.json'));
      const r = runNode(['-e', `require(${JSON.stringify(copy)}); require('nodegrad/tfjs')`], {
        env: { NODE_PATH: path.join(repoRoot, 'node_modules') },
      });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/nodegrad\/tfjs: a second copy of @tensorflow\/tfjs-core is loaded/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
