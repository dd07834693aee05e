import { PortalApiError, type PortalClient } from '@agent-p2p/sdk';
import { parseArgs } from 'node:util';
import { type AgentP2pConfig, ConfigError, resolveConfig } from '../config';
import { safe } from './output';
import {
  CliError,
  clientFor,
  DEFAULT_TIMEOUT_SECONDS,
  describeFailure,
  describePortalError,
  EXIT,
  requestTimeoutMs,
  TIMEOUT_VARIABLE,
  UsageError,
} from '../portal';

export { CliError, clientFor, describeFailure, describePortalError, EXIT, requestTimeoutMs, TIMEOUT_VARIABLE, UsageError };

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  the Portal said no (4xx: unknown id, refused or revoked key, invalid input) or another failure
  2  usage error: unknown command or option, bad value, missing configuration
  3  cannot reach the Portal (connection refused, timeout) or the Portal failed (5xx)`;

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help for string options, e.g. "URL". */
  value?: string;
  help: string;
}

export interface CommandContext {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  json: boolean;
  env: NodeJS.ProcessEnv;
  /** Resolved configuration (flags, environment, saved login); throws ConfigError when missing. */
  config(): AgentP2pConfig;
  /** A Portal client for the resolved configuration. */
  client(): PortalClient;
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<string>;
}

export interface CommandSpec {
  /** Words that name the command, e.g. ["contacts", "add"]. */
  path: string[];
  /** Arguments after the command words, e.g. "<portal-url> [--message TEXT]". */
  args: string;
  summary: string;
  /** Extra help paragraphs (examples, what the output shows). */
  details?: string;
  options?: Record<string, OptionSpec>;
  positionals: { min: number; max: number };
  run(context: CommandContext): Promise<number | void>;
}

export interface CommandGroup {
  name: string;
  summary: string;
  /** The subcommand run when the group is given alone (e.g. "list"). */
  defaultCommand?: string;
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  hub: { type: 'string', value: 'URL', help: 'Portal URL (else AGENTP2P_HUB_URL, else the saved login)' },
  key: { type: 'string', value: 'KEY', help: 'owner API key (else AGENTP2P_API_KEY, else the saved login)' },
  json: { type: 'boolean', help: 'machine output: JSON on stdout (raw: text written by peers and visitors is untrusted, not framed)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

/** Runs the command line (without "node cli.js") and returns the exit code. */
export async function runCli(argv: string[], commands: CommandSpec[], groups: CommandGroup[], io: Io): Promise<number> {
  try {
    const words = commandWords(argv, groups);
    const wantsHelp = (args: string[]) => args.includes('--help') || args.includes('-h');
    if (words.list.length === 0) {
      if (argv.length === 0 || wantsHelp(argv)) {
        io.stdout(mainHelp(commands) + '\n');
        return EXIT.ok;
      }
      throw new UsageError('no command given (see "agent-p2p --help")');
    }
    const [first, second] = words.list;
    if (first === 'help') {
      io.stdout(helpFor(commands, groups, words.list.slice(1)) + '\n');
      return EXIT.ok;
    }
    const group = groups.find((g) => g.name === first);
    let spec: CommandSpec | undefined;
    let consumed = 1;
    if (group) {
      if (second !== undefined) {
        spec = commands.find((c) => c.path[0] === first && c.path[1] === second);
        if (!spec) throw new UsageError(`unknown command "${safe(first)} ${safe(second)}" (see "agent-p2p ${first} --help")`);
        consumed = 2;
      } else if (wantsHelp(argv)) {
        io.stdout(groupHelp(commands, group) + '\n');
        return EXIT.ok;
      } else {
        spec = commands.find((c) => c.path[0] === first && c.path[1] === group.defaultCommand);
        if (!spec) throw new UsageError(`"${first}" needs a command (see "agent-p2p ${first} --help")`);
      }
    } else {
      spec = commands.find((c) => c.path.length === 1 && c.path[0] === first);
      if (!spec) throw new UsageError(`unknown command "${safe(first)}" (see "agent-p2p --help")`);
    }
    const dropped = new Set(words.indexes.slice(0, consumed));
    const args = argv.filter((_, index) => !dropped.has(index));
    if (wantsHelp(args.slice(0, args.includes('--') ? args.indexOf('--') : args.length))) {
      io.stdout(commandHelp(spec) + '\n');
      return EXIT.ok;
    }
    return await runCommand(spec, args, io);
  } catch (error) {
    return report(error, io);
  }
}

function helpFor(commands: CommandSpec[], groups: CommandGroup[], words: string[]): string {
  if (words.length === 0) return mainHelp(commands);
  const group = groups.find((g) => g.name === words[0]);
  if (group && words.length === 1) return groupHelp(commands, group);
  const spec = commands.find((c) => c.path.join(' ') === words.slice(0, c.path.length).join(' ') && c.path.length === (group ? 2 : 1));
  if (spec) return commandHelp(spec);
  throw new UsageError(`unknown command "${safe(words.join(' '))}" (see "agent-p2p --help")`);
}

/**
 * The leading command words: positionals before the first option that is not a global one,
 * skipping the values of --hub and --key. A second word only after a group name or "help", a third
 * only in "help <group> <command>".
 */
function commandWords(argv: string[], groups: CommandGroup[]): { list: string[]; indexes: number[] } {
  const list: string[] = [];
  const indexes: number[] = [];
  for (let index = 0; index < argv.length && list.length < 3; index++) {
    const token = argv[index];
    if (token === '--') break;
    if (token === '--hub' || token === '--key') {
      index++;
      continue;
    }
    if (token.startsWith('-') && token !== '-') {
      if (['--json', '--help', '-h'].includes(token) || token.startsWith('--hub=') || token.startsWith('--key=')) continue;
      break;
    }
    const isGroup = (word: string) => groups.some((g) => g.name === word);
    if (list.length === 1 && list[0] !== 'help' && !isGroup(list[0])) break;
    if (list.length === 2 && !(list[0] === 'help' && isGroup(list[1]))) break;
    list.push(token);
    indexes.push(index);
  }
  return { list, indexes };
}

async function runCommand(spec: CommandSpec, args: string[], io: Io): Promise<number> {
  const options = { ...GLOBAL_OPTIONS, ...spec.options };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      options: Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}) }])),
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    throw new UsageError(`${parseErrorText(error)} (see "agent-p2p ${spec.path.join(' ')} --help")`);
  }
  const { values, positionals } = parsed;
  const name = spec.path.join(' ');
  if (positionals.length < spec.positionals.min) throw new UsageError(`missing argument: agent-p2p ${name} ${spec.args}`);
  if (positionals.length > spec.positionals.max) {
    throw new UsageError(`unexpected argument "${safe(positionals[spec.positionals.max])}": agent-p2p ${name} ${spec.args}`);
  }
  for (const [option, spec_] of Object.entries(options)) {
    if (spec_.type === 'string' && values[option] === '') throw new UsageError(`--${option} needs a value`);
  }
  let config = null as AgentP2pConfig | null;
  let client: PortalClient | null = null;
  const context: CommandContext = {
    values,
    positionals,
    json: values.json === true,
    env: io.env,
    config: () => (config ??= resolveConfig({ hub: values.hub as string | undefined, key: values.key as string | undefined }, io.env)),
    client: () => (client ??= clientFor(context.config(), io.env)),
    out: (text) => {
      io.stdout(text + '\n');
    },
    err: (text) => {
      io.stderr(text + '\n');
    },
    readStdin: () => readAll(io.stdin),
  };
  try {
    const code = await spec.run(context);
    return typeof code === 'number' ? code : EXIT.ok;
  } catch (error) {
    // Name the Portal in 5xx failures (network failures already do).
    const hubUrl = config?.hubUrl ?? (typeof values.hub === 'string' ? values.hub : io.env.AGENTP2P_HUB_URL);
    if (error instanceof PortalApiError && error.status >= 500 && hubUrl) {
      const described = describePortalError(error, hubUrl);
      throw new CliError(described.message, described.code);
    }
    throw error;
  }
}

function parseErrorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missing = /Option '([^']+)' argument missing/.exec(message);
  if (missing) return `${missing[1].split(',').pop()!.trim().replace(/ <value>$/, '')} needs a value`;
  const unexpected = /Unexpected argument '([^']+)'/.exec(message);
  if (unexpected) return `unexpected argument "${unexpected[1]}"`;
  return message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '');
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Turns any failure into one line on stderr and an exit code. Never prints a stack trace. */
export function report(error: unknown, io: Pick<Io, 'stderr' | 'env'>): number {
  const { message, code } = describeFailure(error);
  io.stderr(`agent-p2p: ${safe(message)}\n`);
  if (io.env.AGENTP2P_DEBUG && error instanceof Error && error.stack) io.stderr(error.stack + '\n');
  return code;
}

// ---- help ----------------------------------------------------------------------------------

function optionLines(options: Record<string, OptionSpec>): string[] {
  const entries = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return [flag, o.help] as const;
  });
  const width = Math.max(...entries.map(([flag]) => flag.length));
  return entries.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

export function commandHelp(spec: CommandSpec): string {
  const name = `agent-p2p ${spec.path.join(' ')}`;
  const parts = [`Usage: ${name}${spec.args ? ' ' + spec.args : ''} [options]`, '', spec.summary];
  if (spec.details) parts.push('', spec.details);
  if (spec.options && Object.keys(spec.options).length) parts.push('', 'Options:', ...optionLines(spec.options));
  parts.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS), '', EXIT_CODES_HELP);
  return parts.join('\n');
}

function commandList(commands: CommandSpec[]): string[] {
  const rows = commands.map((c) => [`${c.path.join(' ')}${c.args ? ' ' + c.args : ''}`, c.summary] as const);
  const width = Math.max(...rows.map(([usage]) => usage.length));
  // Long usages (the full list) read better with the summary on its own line.
  if (width > 48) return rows.flatMap(([usage, summary]) => [`  ${usage}`, `      ${summary}`]);
  return rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`);
}

export function groupHelp(commands: CommandSpec[], group: CommandGroup): string {
  const members = commands.filter((c) => c.path[0] === group.name);
  return [
    `Usage: agent-p2p ${group.name} <command> [options]`,
    '',
    group.summary + (group.defaultCommand ? ` "agent-p2p ${group.name}" alone runs "${group.name} ${group.defaultCommand}".` : ''),
    '',
    'Commands:',
    ...commandList(members),
    '',
    `Run "agent-p2p ${group.name} <command> --help" for a command's options.`,
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    EXIT_CODES_HELP,
  ].join('\n');
}

export function mainHelp(commands: CommandSpec[]): string {
  return [
    'Usage: agent-p2p <command> [options]',
    '',
    "The command line of an Agent P2P Portal: contacts, messages, events and keys of the agent's own Portal.",
    '',
    'Commands:',
    ...commandList(commands),
    '',
    'Run "agent-p2p <command> --help" for a command\'s options.',
    '',
    'Configuration, first found wins: --hub/--key, the environment (AGENTP2P_HUB_URL, AGENTP2P_API_KEY),',
    'then the login saved by "agent-p2p login" in $XDG_CONFIG_HOME/agent-p2p/config.json',
    '(default ~/.config/agent-p2p/config.json, mode 0600). A Portal call that takes longer than',
    `${TIMEOUT_VARIABLE} seconds (default ${DEFAULT_TIMEOUT_SECONDS}) fails with exit code 3.`,
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    EXIT_CODES_HELP,
  ].join('\n');
}

export { ConfigError };
