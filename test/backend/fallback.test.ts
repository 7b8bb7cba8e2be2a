import { describe, expect, it } from 'vitest';
import { distEntry, requireBuilt, runNode } from '../helpers/dist.js';

// The library as a user loads it, in a fresh process, with the addon made unloadable.
describe('js fallback when the addon cannot load', () => {
  it('runs on js and warns once on stderr, saying why', () => {
    requireBuilt();
    const script = `
      const ng = require(${JSON.stringify(distEntry)});
      const again = require(${JSON.stringify(distEntry)});
      const out = {
        backends: ng.backends(), active: ng.getBackend(), info: ng.nativeInfo(),
        sum: ng.tensor([1, 2, 3]).add(ng.tensor([10, 20, 30])).toArray(),
        same: ng === again,
      };
      let threw = '';
      try { ng.setBackend('native'); } catch (e) { threw = e.message; }
      out.threw = threw;
      console.log(JSON.stringify(out));
    `;
    const r = runNode(['-e', script], { env: { NODEGRAD_ADDON_PATH: '/nonexistent/nodegrad.node', NODEGRAD_BACKEND: undefined } });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.backends).toEqual(['js']);
    expect(out.active).toBe('js');
    expect(out.info).toBeNull();
    expect(out.sum).toEqual([11, 22, 33]);
    expect(out.threw).toMatch(/native.*not available.*available: js/);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('NodegradWarning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('/nonexistent/nodegrad.node: not found');
  });

  it('NODEGRAD_BACKEND=js chooses js without a warning', () => {
    requireBuilt();
    const r = runNode(['-e', `const ng = require(${JSON.stringify(distEntry)}); console.log(ng.getBackend(), ng.backends().join(','))`], {
      env: { NODEGRAD_BACKEND: 'js' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split(' ')[0]).toBe('js');
    expect(r.stderr).not.toContain('NodegradWarning');
  });

  it('setBackend rejects unknown names, naming the available ones', () => {
    requireBuilt();
    const r = runNode(['-e', `const ng = require(${JSON.stringify(distEntry)}); try { ng.setBackend('cuda') } catch (e) { console.log(e.constructor.name + ': ' + e.message) }`]);
    expect(r.stdout).toMatch(/^Error: setBackend: backend 'cuda' is not available; available: (native, )?js/);
  });
});
