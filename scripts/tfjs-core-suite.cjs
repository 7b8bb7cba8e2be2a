#!/usr/bin/env node
// Runs tfjs-core 4.22.0's own spec suite (@tensorflow/tfjs-core/dist/tests) against the 'nodegrad'
// tfjs backend with the cpu backend as the baseline, in one process: every spec is registered once
// per backend (jasmine_util's describeWithFlags), so a spec that passes on cpu and fails on nodegrad
// is a nodegrad bug unless test/tfjs/suite/exclusions.json names it with a reason.
//
//   node scripts/tfjs-core-suite.cjs            # the whole suite (npm run test:tfjs:all; also run by npm test)
//   options: --json FILE (write the per-spec results), --filter SUBSTR (only specs containing it),
//   --verbose (show what the specs print)
// Exit status 0 when there is no regression, 1 otherwise. Prints one summary line at the end.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'build', 'tfjs-suite');
const bundle = path.join(outDir, 'suite.cjs');

const EXCLUSIONS = require(path.join(root, 'test', 'tfjs', 'suite', 'exclusions.json'));

function build() {
  fs.mkdirSync(outDir, { recursive: true });
  const esbuild = require('esbuild');
  esbuild.buildSync({
    entryPoints: [path.join(root, 'test', 'tfjs', 'suite', 'entry.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: ['module', 'main'],
    outfile: bundle,
    external: ['jasmine-core', 'jasmine'],
    logLevel: 'error',
    // tfjs-core's package.json marks only its library files as having side effects; the spec files'
    // describe() calls are side effects too
    ignoreAnnotations: true,
    // tfjs-core's specs import node built-ins and optional peers lazily
    sourcemap: false,
  });
}

function runChild(args) {
  const include = args.filter ? [args.filter] : null;
  const resultsFile = path.join(outDir, `results-${process.pid}.json`);
  const env = { ...process.env, NG_TFJS_ENVS: 'cpu,nodegrad' };
  if (include) env.NG_TFJS_INCLUDE = JSON.stringify(include);
  else delete env.NG_TFJS_INCLUDE;
  // the specs print profiles and warnings: shown only with --verbose or when the run produced no results
  const r = spawnSync(process.execPath, [__filename, '--child', resultsFile], {
    env, stdio: ['ignore', args.verbose ? 'inherit' : 'pipe', args.verbose ? 'inherit' : 'pipe'], maxBuffer: 1 << 30,
  });
  if (!fs.existsSync(resultsFile)) {
    if (!args.verbose) process.stderr.write(String(r.stdout ?? '').slice(-4000) + String(r.stderr ?? '').slice(-4000));
    console.error(`tfjs-core suite: the jasmine run ended (status ${r.status}, signal ${r.signal}) without results`);
    process.exit(1);
  }
  const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  fs.rmSync(resultsFile, { force: true });
  return results;
}

// Child: run the bundle under jasmine 4 and write {fullName: {status, message}} to resultsFile.
async function child(resultsFile) {
  const Jasmine = require('jasmine');
  const runner = new Jasmine({ projectBaseDir: root });
  runner.exitOnCompletion = false;
  runner.loadConfig({ spec_dir: '', spec_files: [], random: false, stopSpecOnExpectationFailure: false });
  const results = {};
  runner.clearReporters();
  runner.addReporter({
    specDone(r) {
      const msg = r.failedExpectations.map((e) => e.message).join(' | ').slice(0, 400);
      results[r.fullName] = { status: r.status, message: msg };
    },
  });
  process.on('unhandledRejection', (e) => {
    throw e;
  });
  await runner.execute([bundle]);
  fs.writeFileSync(resultsFile, JSON.stringify(results));
}

// "conv2d cpu {} x=[...]" and "conv2d nodegrad {} x=[...]" are the same spec on two backends.
function split(fullName) {
  const m = / (cpu|nodegrad) \{/.exec(fullName);
  if (!m) return { env: null, key: fullName };
  return { env: m[1], key: fullName.slice(0, m.index) + ' ENV {' + fullName.slice(m.index + m[0].length) };
}

function compare(results) {
  const byKey = new Map();
  let shared = { passed: 0, failed: 0 };
  const sharedFailures = [];
  for (const [name, r] of Object.entries(results)) {
    const { env, key } = split(name);
    if (env === null) {
      if (r.status === 'passed') shared.passed++;
      else if (r.status === 'failed') {
        shared.failed++;
        sharedFailures.push({ name, message: r.message });
      }
      continue;
    }
    if (!byKey.has(key)) byKey.set(key, {});
    byKey.get(key)[env] = r;
  }
  const counts = { cpuPassed: 0, cpuFailed: 0, ngPassed: 0, ngFailed: 0, both: 0 };
  const regressions = [];
  const excluded = [];
  const usedExclusions = new Set();
  for (const [key, v] of byKey) {
    if (!v.cpu || !v.nodegrad) continue;
    if (v.cpu.status === 'passed') counts.cpuPassed++;
    if (v.cpu.status === 'failed') counts.cpuFailed++;
    if (v.nodegrad.status === 'passed') counts.ngPassed++;
    if (v.nodegrad.status === 'failed') counts.ngFailed++;
    if (v.cpu.status === 'passed' && v.nodegrad.status === 'passed') counts.both++;
    if (v.cpu.status === 'passed' && v.nodegrad.status !== 'passed') {
      const ex = EXCLUSIONS.find((e) => key.includes(e.spec));
      if (ex) {
        usedExclusions.add(ex.spec);
        excluded.push({ key, reason: ex.reason });
      } else regressions.push({ key, message: v.nodegrad.message });
    }
  }
  return { counts, regressions, excluded, shared, sharedFailures, unused: EXCLUSIONS.filter((e) => !usedExclusions.has(e.spec)) };
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1]);
  const args = { json: null, filter: null, verbose: argv.includes('--verbose') };
  const j = argv.indexOf('--json');
  if (j >= 0) args.json = argv[j + 1];
  const f = argv.indexOf('--filter');
  if (f >= 0) args.filter = argv[f + 1];
  const t0 = Date.now();
  build();
  const results = runChild(args);
  const c = compare(results);
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ results, ...c }, null, 1));
  for (const r of c.regressions) console.log(`REGRESSION: ${r.key}\n    ${r.message}`);
  for (const r of c.sharedFailures) console.log(`FAILED (backend-independent spec): ${r.name}\n    ${r.message}`);
  for (const e of c.excluded) console.log(`excluded: ${e.key} — ${e.reason}`);
  if (!args.filter) for (const u of c.unused) console.log(`note: exclusion '${u.spec}' matched no failing spec`);
  const k = c.counts;
  console.log(
    `tfjs-core ${args.filter ? `filter '${args.filter}'` : 'full suite'}: ` +
      `${k.cpuPassed} specs pass on cpu, ${k.both} of them pass on nodegrad, ${c.excluded.length} excluded, ` +
      `${c.regressions.length} regressions; nodegrad ${k.ngPassed} passed / ${k.ngFailed} failed ` +
      `(cpu ${k.cpuFailed} failed); backend-independent specs ${c.shared.passed} passed / ${c.shared.failed} failed; ` +
      `${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  process.exit(c.regressions.length === 0 && c.sharedFailures.length === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
