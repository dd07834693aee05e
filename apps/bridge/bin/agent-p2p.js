#!/usr/bin/env node
'use strict';
// The agent-p2p command. It is compiled into ../dist by `npm run build`; this launcher exists from
// the moment the package is installed, so `npx agent-p2p` and global installs find the command.
const path = require('node:path');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
try {
  require.resolve(cli);
} catch {
  process.stderr.write('agent-p2p: the command is not built yet: run "npm run build" in the repository first\n');
  process.exit(2);
}
require(cli);
