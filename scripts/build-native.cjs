// Builds the native addon with node-gyp during `npm install`, offline: node-gyp is pointed at the
// Node headers already on this machine (--nodedir from process.execPath's prefix). A machine with no
// headers or no C++ compiler still installs; nodegrad then runs on the `js` backend.
// --strict (npm run build:native) turns a failed build into a non-zero exit.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { nodeDir } = require('./node-dir.cjs');

const strict = process.argv.includes('--strict');
const root = path.join(__dirname, '..');

function giveUp(why) {
  const msg = `nodegrad: the native addon was not built (${why}); nodegrad will run on the js backend.`;
  if (strict) {
    console.error(msg);
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

if (process.env.NODEGRAD_SKIP_NATIVE === '1') giveUp('NODEGRAD_SKIP_NATIVE=1');

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
