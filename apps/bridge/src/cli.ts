#!/usr/bin/env node
import { COMMANDS, GROUPS } from './cli/commands';
import { runCli } from './cli/framework';

void runCli(process.argv.slice(2), COMMANDS, GROUPS, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: process.stdin,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
