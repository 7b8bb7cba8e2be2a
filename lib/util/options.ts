/**
 * Options objects are checked, never silently ignored: an unknown key throws a TypeError naming it,
 * the function, and the nearest known key ("did you mean weightDecay?"), which also catches PyTorch's
 * snake_case spellings (weight_decay → weightDecay).
 */

function camel(k: string): string {
  return k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function distance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d = Array.from({ length: m + 1 }, (_, i) => [i, ...new Array<number>(n).fill(0)]);
  for (let j = 1; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[m][n];
}

/** The known key closest to `key` (by case-insensitive edit distance after snake→camel), if close enough. */
export function nearestKey(key: string, known: readonly string[]): string | null {
  const c = camel(key).toLowerCase();
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const dd = distance(c, k.toLowerCase());
    if (dd < bestD) { bestD = dd; best = k; }
  }
  if (best !== null && bestD <= Math.max(2, Math.floor(best.length / 3))) return best;
  // an abbreviation (approx → approximate) or an over-long spelling of a known key
  const pre = c.length >= 3 ? known.find((k) => k.toLowerCase().startsWith(c) || c.startsWith(k.toLowerCase())) : undefined;
  return pre ?? null;
}

/**
 * Throws `TypeError('<who>: unknown option '<key>' (did you mean <near>?)')` for any key of `opts`
 * outside `known`; `opts` itself must be undefined or a plain object.
 */
export function checkOptions(opts: unknown, known: readonly string[], who: string): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${who}: options must be an object, got ${opts === null ? 'null' : Array.isArray(opts) ? 'an array' : typeof opts}`);
  }
  for (const k of Object.keys(opts)) {
    if (known.includes(k)) continue;
    const near = nearestKey(k, known);
    throw new TypeError(`${who}: unknown option '${k}'${near ? ` (did you mean ${near}?)` : ''}; known options: ${known.join(', ')}`);
  }
}
