// Helper for binding.gyp: lists the .cc files of a native/ folder (so adding a kernel file needs no
// gyp edit), or prints the package version for the NODEGRAD_VERSION define.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const arg = process.argv[2];
if (arg === '--version') {
  process.stdout.write(require('../package.json').version);
} else {
  const dir = path.join(__dirname, '..', arg);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cc')).sort() : [];
  process.stdout.write(files.map((f) => `${arg}/${f}`).join(' '));
}
