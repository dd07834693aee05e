import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { registerCommands } from './commands/index';
import { addHelpCommand, createProgram, runProgram } from './program';

/** Runs the command line without a Portal: only what fails or answers before any request. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const program = createProgram({
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stdin: Readable.from([]),
    env: { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent/.config' },
  });
  registerCommands(program);
  addHelpCommand(program);
  const code = await runProgram(program, argv);
  return { code, stdout, stderr };
}

describe('the agent-p2p program', () => {
  it('usage errors: exit 2 and one line in the CLI words', async () => {
    const cases: Array<[string[], string]> = [
      [['contacts', 'list', '--bogus'], 'agent-p2p: unknown option --bogus (see "agent-p2p contacts list --help")\n'],
      [['contacts', '--bogus'], 'agent-p2p: unknown option --bogus (see "agent-p2p contacts list --help")\n'],
      [['contacts', 'remove'], 'agent-p2p: missing argument: agent-p2p contacts remove <contact-id>\n'],
      [['contacts', 'remove', '1', '2'], 'agent-p2p: unexpected argument "2": agent-p2p contacts remove <contact-id>\n'],
      [['contacts', 'frobnicate'], 'agent-p2p: unknown command "contacts frobnicate" (see "agent-p2p contacts --help")\n'],
      [['frobnicate'], 'agent-p2p: unknown command "frobnicate" (see "agent-p2p --help")\n'],
      [['help', 'frobnicate'], 'agent-p2p: unknown command "frobnicate" (see "agent-p2p --help")\n'],
      [['bridge'], 'agent-p2p: "bridge" needs a command (see "agent-p2p bridge --help")\n'],
      [['bridge', 'frob'], 'agent-p2p: unknown command "bridge frob" (see "agent-p2p bridge --help")\n'],
      [['--json'], 'agent-p2p: no command given (see "agent-p2p --help")\n'],
      [['files', 'get', '-o'], 'agent-p2p: --output needs a value (see "agent-p2p files get --help")\n'],
      [['contacts', 'list', '--status='], 'agent-p2p: --status needs a value\n'],
    ];
    for (const [argv, stderr] of cases) expect({ argv, ...(await cli(...argv)) }).toEqual({ argv, code: 2, stdout: '', stderr });
  });

  it('help: the program, a group, a command, wherever -h stands and through "help"', async () => {
    const main = await cli();
    expect(main).toMatchObject({ code: 0, stderr: '' });
    expect(main.stdout).toMatch(/^Usage: agent-p2p <command> \[options\]\n/);
    expect(main.stdout).toContain('\n  contacts add <portal-url> [--message TEXT] [--wait SECONDS]\n      Ask another Portal');
    expect(main.stdout).not.toMatch(/^ {2}help/m);
    const group = await cli('-h', 'contacts');
    expect(group.stdout).toMatch(
      /^Usage: agent-p2p contacts <command> \[options\]\n\nPortals this agent is in contact with\. "agent-p2p contacts" alone runs "contacts list"\./,
    );
    for (const argv of [
      ['contacts', 'add', '--help'],
      ['contacts', '-h', 'add'],
      ['help', 'contacts', 'add'],
    ]) {
      const help = await cli(...argv);
      expect({ argv, code: help.code, stderr: help.stderr }).toEqual({ argv, code: 0, stderr: '' });
      expect(help.stdout).toMatch(/^Usage: agent-p2p contacts add <portal-url> \[--message TEXT\] \[--wait SECONDS\] \[options\]\n/);
      expect(help.stdout).toContain(
        "\nOptions:\n  --message TEXT  a note for the other Portal's owner\n  --wait SECONDS  wait until the request is delivered, refused or undelivered (1-120)\n\nGlobal options:\n  --hub URL   ",
      );
      expect(help.stdout).toMatch(/\nExit codes:\n {2}0 {2}success\n[\s\S]*\(5xx\)\n$/);
    }
  });

  it('without configuration a command exits 2, saying how to configure', async () => {
    const result = await cli('contacts', 'list');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('agent-p2p login --hub URL --key KEY');
  });
});
