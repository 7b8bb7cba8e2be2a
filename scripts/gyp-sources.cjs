// Helper for binding.gyp: lists the .cc files of a native/ folder (so adding a kernel file needs no
// gyp edit), or prints the package version for the NODEGRAD_VERSION define. scripts/prebuild.cjs
// requires it for the same lists.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** The .cc files of a folder relative to the package root, as root-relative paths, sorted. */
function sources(folder) {
  const dir = path.join(__dirname, '..', folder);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cc')).sort() : [];
  return files.map((f) => `${folder}/${f}`);
}

if (require.main === module) {
  const arg = process.argv[2];
  if (arg === '--version') process.stdout.write(require('../package.json').version);
  else process.stdout.write(sources(arg).join(' '));
}

module.exports = { sources };
