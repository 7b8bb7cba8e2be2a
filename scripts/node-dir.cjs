// The Node installation whose headers (include/node/node_api.h) native builds compile against,
// found offline: process.execPath's prefix, then npm_config_nodedir. Shared by build-native.cjs
// (node-gyp --nodedir) and prebuild.cjs (-I <dir>/include/node).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function nodeDir() {
  const candidates = [path.dirname(path.dirname(process.execPath)), process.env.npm_config_nodedir];
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir;
  }
  return null;
}

module.exports = { nodeDir };
