/**
 * The layout of every --help: usage, what the command does, its options, the global options and
 * the exit codes. Commander knows the commands and options; this only lays them out, each section
 * with its own column width and nothing wrapped (the texts are broken into lines by hand).
 */
import type { Command, Help, Option } from 'commander';
import { DEFAULT_TIMEOUT_SECONDS, TIMEOUT_VARIABLE } from '../portal';

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  the Portal said no (4xx: unknown id, refused or revoked key, invalid input) or another failure
  2  usage error: unknown command or option, bad value, missing configuration
  3  cannot reach the Portal (connection refused, timeout) or the Portal failed (5xx)`;

/** The heading of the options every command takes (--hub, --key, --json, --help). */
export const GLOBAL_OPTIONS_HEADING = 'Global options:';

/** "agent-p2p help <command>": the same as "<command> --help", not listed among the commands. */
export const HELP_WORD = 'help';

/** What a command shows of itself in help: the words after "agent-p2p" and its arguments. */
export interface Described {
  /** The command's words, e.g. "contacts add". */
  path(): string;
  /** The arguments as shown in usage lines and usage errors, e.g. "<portal-url> [--message TEXT]". */
  synopsis: string;
  /** The subcommand a group runs when given alone. */
  defaultCommand?: string;
}

type HelpCommand = Command & Described;

/** "--status <STATUS>" as "--status STATUS": the value placeholder without commander's brackets. */
function optionTerm(option: Option): string {
  return option.flags.replace(/<([^>]+)>/g, '$1');
}

function optionLines(options: readonly Option[]): string[] {
  const rows = options.map((option) => [optionTerm(option), option.description] as const);
  const width = Math.max(...rows.map(([term]) => term.length));
  return rows.map(([term, text]) => `  ${term.padEnd(width)}  ${text}`);
}

/** The leaf commands under a command, in the order they were added (without "help"). */
export function leaves(command: Command): HelpCommand[] {
  return command.commands
    .filter((sub) => sub.name() !== HELP_WORD)
    .flatMap((sub) => (sub.commands.length ? leaves(sub) : [sub as HelpCommand]));
}

function commandList(commands: HelpCommand[]): string[] {
  const rows = commands.map((c) => [`${c.path()}${c.synopsis ? ' ' + c.synopsis : ''}`, c.summary()] as const);
  const width = Math.max(...rows.map(([usage]) => usage.length));
  // Long usages (the full list) read better with the summary on its own line.
  if (width > 48) return rows.flatMap(([usage, summary]) => [`  ${usage}`, `      ${summary}`]);
  return rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`);
}

function root(command: Command): Command {
  let top = command;
  while (top.parent) top = top.parent;
  return top;
}

/** --hub, --key, --json (declared on the program) and this command's -h, --help. */
function globalOptions(command: Command, helper: Help): Option[] {
  const help = helper
    .visibleOptions(command)
    .filter((option) => option.helpGroupHeading === GLOBAL_OPTIONS_HEADING && !command.options.includes(option));
  return [...root(command).options.filter((option) => option.helpGroupHeading === GLOBAL_OPTIONS_HEADING), ...help];
}

function commandHelp(command: HelpCommand, helper: Help): string[] {
  const own = command.options.filter((option) => option.helpGroupHeading !== GLOBAL_OPTIONS_HEADING);
  const parts = [`Usage: agent-p2p ${command.path()}${command.synopsis ? ' ' + command.synopsis : ''} [options]`, '', command.summary()];
  if (command.description()) parts.push('', command.description());
  if (own.length) parts.push('', 'Options:', ...optionLines(own));
  return [...parts, '', GLOBAL_OPTIONS_HEADING, ...optionLines(globalOptions(command, helper))];
}

function groupHelp(group: HelpCommand, helper: Help): string[] {
  const alone = group.defaultCommand ? ` "agent-p2p ${group.path()}" alone runs "${group.path()} ${group.defaultCommand}".` : '';
  return [
    `Usage: agent-p2p ${group.path()} <command> [options]`,
    '',
    group.summary() + alone,
    '',
    'Commands:',
    ...commandList(leaves(group)),
    '',
    `Run "agent-p2p ${group.path()} <command> --help" for a command's options.`,
    '',
    GLOBAL_OPTIONS_HEADING,
    ...optionLines(globalOptions(group, helper)),
  ];
}

function programHelp(program: Command, helper: Help): string[] {
  return [
    'Usage: agent-p2p <command> [options]',
    '',
    program.description(),
    '',
    'Commands:',
    ...commandList(leaves(program)),
    '',
    'Run "agent-p2p <command> --help" for a command\'s options.',
    '',
    'Configuration, first found wins: --hub/--key, the environment (AGENTP2P_HUB_URL, AGENTP2P_API_KEY),',
    'then the login saved by "agent-p2p login" in $XDG_CONFIG_HOME/agent-p2p/config.json',
    '(default ~/.config/agent-p2p/config.json, mode 0600). A Portal call that takes longer than',
    `${TIMEOUT_VARIABLE} seconds (default ${DEFAULT_TIMEOUT_SECONDS}) fails with exit code 3.`,
    '',
    GLOBAL_OPTIONS_HEADING,
    ...optionLines(globalOptions(program, helper)),
  ];
}

/** Commander's formatHelp, replaced: the help of the program, of a group or of a command. */
export function formatHelp(command: Command, helper: Help): string {
  const lines = !command.parent
    ? programHelp(command, helper)
    : command.commands.length
      ? groupHelp(command as HelpCommand, helper)
      : commandHelp(command as HelpCommand, helper);
  return [...lines, '', EXIT_CODES_HELP, ''].join('\n');
}
