// Builds the optional Open MPI addon build/Release/nodegrad_mpi.node (ng.distributed) with mpicxx,
// offline, against the Node headers on this machine. Without mpicxx on PATH it does nothing (npm install
// still succeeds; ng.distributed.init() then says the addon is missing). `npm run build:mpi` passes
// --strict: any failure is a non-zero exit. The main addon never links MPI.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const strict = process.argv.includes('--strict');
const root = path.join(__dirname, '..');
const src = path.join(root, 'native', 'mpi', 'mpi_binding.cc');
const out = path.join(root, 'build', 'Release', 'nodegrad_mpi.node');

function giveUp(why) {
  const msg = `nodegrad: the MPI addon (nodegrad_mpi.node) was not built (${why}); ng.distributed is unavailable.`;
  if (strict) {
    console.error(msg);
    process.exit(1);
  }
  if (process.env.npm_config_loglevel !== 'silent') console.warn(msg);
  process.exit(0);
}

if (process.env.NODEGRAD_SKIP_MPI === '1') giveUp('NODEGRAD_SKIP_MPI=1');
const mpicxx = process.env.MPICXX || 'mpicxx';
const probe = spawnSync(mpicxx, ['--showme:version'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  if (!strict) process.exit(0); // no MPI here: silently skip, this addon is optional
  giveUp(`'${mpicxx}' not found on PATH; install Open MPI, e.g. apt-get install openmpi-bin libopenmpi-dev`);
}

function nodeInclude() {
  const candidates = [path.dirname(path.dirname(process.execPath)), process.env.npm_config_nodedir];
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return path.join(dir, 'include', 'node');
  }
  return null;
}
const inc = nodeInclude();
if (!inc) giveUp(`no Node headers next to ${process.execPath} (include/node/node_api.h)`);
let addonApi;
try {
  addonApi = require('node-addon-api').include_dir;
} catch {
  giveUp('node-addon-api is not installed');
}

fs.mkdirSync(path.dirname(out), { recursive: true });
const tmp = `${out}.tmp-${process.pid}`;
const args = [
  '-std=c++17', '-O2', '-fPIC', '-shared', '-fvisibility=hidden', '-Wall', '-Wextra',
  '-DOMPI_SKIP_MPICXX=1', '-DMPICH_SKIP_MPICXX=1', '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS',
  `-I${inc}`, `-I${path.resolve(root, addonApi)}`, src, '-o', tmp, '-pthread',
];
if (process.platform === 'darwin') args.push('-undefined', 'dynamic_lookup');
const run = spawnSync(mpicxx, args, { stdio: 'inherit' });
if (run.error || run.status !== 0) {
  fs.rmSync(tmp, { force: true });
  giveUp(`${mpicxx} failed with status ${run.status}`);
}
fs.renameSync(tmp, out);
if (strict || !process.env.CI) console.log(`nodegrad: built ${path.relative(root, out)} (${probe.stdout.trim()})`);
