// The native addon at `npm install`. First the prebuilt binary shipped in the package
// (prebuilds/<platform>-<arch>/, see scripts/prebuild.cjs): it is loaded in a child process, the way
// the library will load it, and when it works nothing is compiled. Otherwise (no prebuild for this
// platform, one that does not load, or --build-from-source / npm_config_build_from_source) node-gyp
// builds it, offline: node-gyp is pointed at the Node headers already on this machine (--nodedir
// from process.execPath's prefix). A machine with no headers or no C++ compiler still installs;
// nodegrad then runs on a prebuild if one loads, else on the `js` backend.
// NODEGRAD_SKIP_NATIVE=1 skips both. --strict (npm run build:native) always compiles, and turns a
// failed build into a non-zero exit.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { nodeDir } = require('./node-dir.cjs');

const strict = process.argv.includes('--strict');
const root = path.join(__dirname, '..');
const flagSet = (v) => v !== undefined && v !== '' && v !== 'false' && v !== '0';
const fromSource = strict || process.argv.includes('--build-from-source') || flagSet(process.env.npm_config_build_from_source);

let prebuilt = null; // the prebuild that loads here, when one does: { path, isa }

function giveUp(why) {
  const after = prebuilt ? `nodegrad will use the prebuilt ${path.relative(root, prebuilt.path)}` : 'nodegrad will run on the js backend';
  const msg = `nodegrad: the native addon was not built (${why}); ${after}.`;
  if (strict) {
    console.error(msg);
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

if (process.env.NODEGRAD_SKIP_NATIVE === '1') giveUp('NODEGRAD_SKIP_NATIVE=1');

/**
 * Loads the prebuild step of the library's own loader (dist/, shipped in the package) in a child
 * process, so a binary that crashes on load fails this check instead of the install.
 * Returns { ok: true, path, isa } or { ok: false, why }.
 */
function probePrebuild() {
  const loader = path.join(root, 'dist', 'cjs', 'backend', 'native', 'load.js');
  if (!fs.existsSync(loader)) return { ok: false, why: 'dist/ is not built yet (a source checkout)' };
  const script = `const r = require(${JSON.stringify(loader)}).loadPrebuild(${JSON.stringify(root)});
    process.stdout.write(JSON.stringify(r.binding ? { ok: true, path: r.path, isa: r.binding.nativeInfo().isa } : { ok: false, why: r.errors.join('; ') }));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODEGRAD_BACKEND: 'js' } });
  if (r.status !== 0 || r.error) {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : (r.stderr.trim().split('\n').pop() || `exit ${r.status}`);
    return { ok: false, why: `loading it crashed (${why})` };
  }
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { ok: false, why: `unexpected output ${JSON.stringify(r.stdout.slice(0, 200))}` };
  }
}

const probe0 = strict ? { ok: false, why: '--strict' } : probePrebuild();
if (probe0.ok) prebuilt = probe0;
if (!fromSource) {
  if (probe0.ok) {
    console.log(`nodegrad: using the prebuilt native addon ${path.relative(root, probe0.path)} (${probe0.isa}); nothing to compile.`);
    process.exit(0);
  }
  console.log(`nodegrad: no prebuilt native addon loads here (${probe0.why}); building from source.`);
} else if (!strict) {
  console.log('nodegrad: building the native addon from source (--build-from-source).');
}

const dir = nodeDir();
if (!dir) giveUp(`no Node headers next to ${process.execPath} (include/node/node_api.h)`);

const cxx = process.env.CXX || 'c++';
const probe = spawnSync(cxx, ['--version'], { stdio: 'ignore' });
if (probe.error || probe.status !== 0) giveUp(`no C++ compiler ('${cxx}' not found)`);

let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  giveUp('node-gyp is not installed');
}

// configure + build (not rebuild): sources are globbed per folder at configure time, and an
// incremental build keeps unchanged objects.
for (const step of [['configure'], ['build', '--jobs=max']]) {
  const args = [gyp, ...step, `--nodedir=${dir}`];
  if (process.env.CI) args.push('--loglevel=warn');
  const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (run.error || run.status !== 0) giveUp(`node-gyp ${step[0]} failed with status ${run.status}`);
}
