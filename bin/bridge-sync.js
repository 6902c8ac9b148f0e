#!/usr/bin/env node
// The `bridge-sync` command of this workspace: runs the built CLI (`npm run build` makes it).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'apps', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('bridge-sync: not built yet; run `npm run build` first\n');
  process.exit(2);
}
require(entry);
