/**
 * The agent-p2p command line on commander: the program with its global options, the shape every
 * command's action gets (a CommandContext), and the one place that turns failures into a line on
 * stderr and an exit code (0 ok, 1 refused, 2 usage, 3 unreachable).
 */
import { PortalApiError, type PortalClient } from '@agent-p2p/sdk';
import { Command, CommanderError, type HelpContext, Option } from 'commander';
import { type AgentP2pConfig, resolveConfig } from '../config';
import { CliError, clientFor, describeFailure, describePortalError, EXIT, UsageError } from '../portal';
import { safe } from '../text';
import { type Described, formatHelp, GLOBAL_OPTIONS_HEADING, HELP_WORD } from './help';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

/** What a command's action works with. */
export interface CommandContext {
  /** Option values by long name ("to-contact", "json"), the global ones included. */
  values: Record<string, string | boolean | undefined>;
  /** The arguments after the command words. */
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

/**
 * A commander Command that knows its words and synopsis, and reports usage errors in the CLI's own
 * words (as a UsageError: exit 2, one line) instead of printing commander's.
 */
export class CliCommand extends Command implements Described {
  synopsis = '';
  defaultCommand?: string;
  /** Set on the program only: where the output goes, and the exit code of the command that ran. */
  io?: Io;
  status: number = EXIT.ok;

  override createCommand(name?: string): CliCommand {
    return new CliCommand(name);
  }

  path(): string {
    return lineage(this)
      .slice(1)
      .map((command) => command.name())
      .join(' ');
  }

  /** "(see "agent-p2p contacts list --help")" */
  private seeHelp(): string {
    return `(see "agent-p2p ${this.parent ? this.path() + ' ' : ''}--help")`;
  }

  private usageLine(): string {
    return `agent-p2p ${this.path()}${this.synopsis ? ' ' + this.synopsis : ''}`;
  }

  // Commander's own error hooks (each is called with what went wrong, before it would print and
  // exit): the same failures, phrased as the CLI always did. src/cli/program.spec.ts holds their wording.

  unknownOption(flag: string): never {
    throw new UsageError(`unknown option ${flag} ${this.seeHelp()}`);
  }

  optionMissingArgument(option: Option): never {
    throw new UsageError(`${option.long ?? option.short} needs a value ${this.seeHelp()}`);
  }

  missingArgument(): never {
    throw new UsageError(`missing argument: ${this.usageLine()}`);
  }

  _excessArguments(received: string[]): never {
    throw new UsageError(`unexpected argument "${safe(received[this.registeredArguments.length])}": ${this.usageLine()}`);
  }

  unknownCommand(): never {
    const words = [this.path(), this.args[0]].filter(Boolean).join(' ');
    throw new UsageError(`unknown command "${safe(words)}" ${this.seeHelp()}`);
  }

  /** Commander asks for help as an error when a group is given without a command. */
  override help(context?: HelpContext): never;
  override help(cb: (str: string) => string): never;
  override help(context?: HelpContext | ((str: string) => string)): never {
    if (typeof context === 'object' && context.error)
      throw new UsageError(this.parent ? `"${this.path()}" needs a command ${this.seeHelp()}` : `no command given ${this.seeHelp()}`);
    return super.help(context as HelpContext);
  }
}

/** A group of commands ("agent-p2p contacts …"); with a default, the group alone runs that command. */
export function group(program: Command, name: string, summary: string, defaultCommand?: string): CliCommand {
  const created = program.command(name).summary(summary) as CliCommand;
  if (defaultCommand) {
    created.defaultCommand = defaultCommand;
    // "contacts frobnicate" would run the default command with "frobnicate" as an argument.
    created.hook('preSubcommand', (parent, sub) => {
      const word = parent.args[0];
      if (word !== undefined && !word.startsWith('-') && word !== sub.name()) (parent as CliCommand).unknownCommand();
    });
  }
  return created;
}

/** A command: its words under `parent`, the arguments as help shows them, a one-line summary and more help text. */
export function command(parent: Command, name: string, synopsis: string, summary: string, details?: string): CliCommand {
  const created = parent.command(name, { isDefault: (parent as CliCommand).defaultCommand === name }) as CliCommand;
  created.synopsis = synopsis;
  created.summary(summary);
  if (details) created.description(details);
  return created;
}

/** The action of a command: runs `handler` with its context and records its exit code. */
export function run(handler: (context: CommandContext) => Promise<number | void>): (this: CliCommand) => Promise<void> {
  return async function (this: CliCommand) {
    const chain = lineage(this) as CliCommand[];
    const program = chain[0];
    const io = program.io!;
    const values: CommandContext['values'] = {};
    for (const command of chain) {
      for (const option of command.options) {
        const value = command.getOptionValue(option.attributeName()) as string | boolean | undefined;
        if (option.required && value === '') throw new UsageError(`--${option.name()} needs a value`);
        values[option.name()] = value;
      }
    }
    let config = null as AgentP2pConfig | null;
    let client: PortalClient | null = null;
    const context: CommandContext = {
      values,
      positionals: [...this.args],
      json: values.json === true,
      env: io.env,
      config: () => (config ??= resolveConfig({ hub: values.hub as string | undefined, key: values.key as string | undefined }, io.env)),
      client: () => (client ??= clientFor(context.config(), io.env)),
      out: (text) => io.stdout(text + '\n'),
      err: (text) => io.stderr(text + '\n'),
      readStdin: () => readAll(io.stdin),
    };
    try {
      const code = await handler(context);
      program.status = typeof code === 'number' ? code : EXIT.ok;
    } catch (error) {
      // Name the Portal in 5xx failures (network failures already do).
      const hubUrl = config?.hubUrl ?? (typeof values.hub === 'string' ? values.hub : io.env.AGENTP2P_HUB_URL);
      if (error instanceof PortalApiError && error.status >= 500 && hubUrl) {
        const described = describePortalError(error, hubUrl);
        throw new CliError(described.message, described.code);
      }
      throw error;
    }
  };
}

/** The program: global options, help layout and output set up before any command is added (commands inherit them). */
export function createProgram(io: Io): CliCommand {
  const program = new CliCommand('agent-p2p');
  program.io = io;
  program
    .description("The command line of an Agent P2P Portal: contacts, messages, events and keys of the agent's own Portal.")
    .addOption(new Option('--hub <URL>', 'Portal URL (else AGENTP2P_HUB_URL, else the saved login)').helpGroup(GLOBAL_OPTIONS_HEADING))
    .addOption(new Option('--key <KEY>', 'owner API key (else AGENTP2P_API_KEY, else the saved login)').helpGroup(GLOBAL_OPTIONS_HEADING))
    .addOption(
      new Option('--json', 'machine output: JSON on stdout (raw: text written by peers and visitors is untrusted, not framed)').helpGroup(
        GLOBAL_OPTIONS_HEADING,
      ),
    )
    .addHelpOption(new Option('-h, --help', 'show this help').helpGroup(GLOBAL_OPTIONS_HEADING))
    .helpCommand(false)
    .configureHelp({ formatHelp })
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => undefined })
    .exitOverride();
  return program;
}

/** "agent-p2p help contacts add": the help of that command, as "contacts add --help" shows it. */
export function addHelpCommand(program: CliCommand): void {
  program
    .command(HELP_WORD)
    .argument('[command...]')
    .action((words: string[]) => {
      let target: Command = program;
      for (const word of words) {
        if (!target.commands.length) break;
        const next = target.commands.find((sub) => sub.name() === word && sub.name() !== HELP_WORD);
        if (!next) throw new UsageError(`unknown command "${safe(words.join(' '))}" (see "agent-p2p --help")`);
        target = next;
      }
      target.outputHelp();
    });
}

const isHelpFlag = (arg: string) => arg === '--help' || arg === '-h';

/**
 * Help is asked for wherever --help or -h stands before "--" ("-h contacts" and "contacts -h list"
 * included): it is moved to the end of the options, where commander looks for it in the command
 * the words name.
 */
function helpFlagLast(argv: string[]): string[] {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  const head = argv.slice(0, end);
  if (!head.some(isHelpFlag)) return argv;
  return [...head.filter((arg) => !isHelpFlag(arg)), '--help', ...argv.slice(end)];
}

/** Runs the command line (without "node cli.js") on `program` and returns the exit code. */
export async function runProgram(program: CliCommand, argv: string[]): Promise<number> {
  const io = program.io!;
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.ok;
    }
    await program.parseAsync(helpFlagLast(argv), { from: 'user' });
    return program.status;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help shown (exit 0), or a usage error commander phrased itself.
      if (error.exitCode === 0) return EXIT.ok;
      return report(new UsageError(error.message.replace(/^error: /, '')), io);
    }
    return report(error, io);
  }
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

/** A command and its parents, the program first. */
function lineage(command: Command): Command[] {
  const chain: Command[] = [];
  for (let current: Command | null = command; current; current = current.parent) chain.unshift(current);
  return chain;
}
