#!/usr/bin/env node
import { COMMANDS, GROUPS } from './cli/commands';
import { runCli } from './cli/framework';

// A reader that went away (`agent-p2p messages | head -1`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

void runCli(process.argv.slice(2), COMMANDS, GROUPS, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: process.stdin,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
