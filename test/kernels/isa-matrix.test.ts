import { describe, expect, it } from 'vitest';
import { nativeInfo } from '../../lib/backend/registry.js';

// Runs in every ISA project of vitest.config.ts: proves NODEGRAD_ISA reaches the addon.
describe('ISA selection', () => {
  it('honours NODEGRAD_ISA', () => {
    const info = nativeInfo();
    if (!info) return;
    expect(info.isa).toBe(process.env.NODEGRAD_ISA ?? info.bestIsa);
  });
});
