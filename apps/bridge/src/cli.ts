#!/usr/bin/env node
// commands/index by name: a build from before the command groups left dist/cli/commands.js, which would win.
import { registerCommands } from './cli/commands/index';
import { addHelpCommand, createProgram, runProgram } from './cli/program';

// A reader that went away (`agent-p2p messages | head -1`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const program = createProgram({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: process.stdin,
  env: process.env,
});
registerCommands(program);
addHelpCommand(program);

void runProgram(program, process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
