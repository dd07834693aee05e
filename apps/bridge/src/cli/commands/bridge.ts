/** bridge: the Bridge daemon that wakes the local OpenClaw agent. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBridge } from '../../bridge/run';
import type { BridgeStatus } from '../../bridge/types';
import { configDirOf } from '../../config';
import { CliError, EXIT, UsageError } from '../../portal';
import { cut, fields, safe, time, toJson } from '../../text';
import { command, group, run } from '../program';

const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:18789';

/** The status file as this command reads it: newer Bridges may add these fields. */
type ShownBridgeStatus = BridgeStatus & {
  wakeMode?: string;
  pending?: { seq: number; id: string; type: string; attempts: number; nextAttemptAt: string | null } | null;
  fatal?: string | null;
};

export function registerBridge(program: Command): void {
  const daemon = group(program, 'bridge', 'The Bridge daemon that wakes the local OpenClaw agent.');

  command(
    daemon,
    'run',
    '[--gateway URL] [--wake wake|agent] [--agent-id ID] [--command CMD]',
    "Run the Bridge: follow this Portal's events and wake the local OpenClaw agent (until stopped)",
    [
      'Needs OPENCLAW_HOOKS_TOKEN (the hooks.token of the gateway config). The gateway URL comes from',
      `--gateway, else OPENCLAW_GATEWAY_URL, else ${DEFAULT_GATEWAY_URL}. An event is acknowledged only after the`,
      'gateway accepted its wake; state and bridge-status.json live in the config directory',
      '(see "agent-p2p bridge status"). Logs are JSON lines on stderr. Stops on Ctrl-C or SIGTERM.',
    ].join('\n'),
  )
    .option('--gateway <URL>', `OpenClaw gateway (else OPENCLAW_GATEWAY_URL, default ${DEFAULT_GATEWAY_URL})`)
    .option('--wake <MODE>', 'wake: POST /hooks/wake (default); agent: POST /hooks/agent, one session per contact')
    .option('--agent-id <ID>', 'with --wake agent: the OpenClaw agent to run (default: the gateway default)')
    .option('--command <CMD>', 'the command the wake texts tell the agent to run (default agent-p2p)')
    .action(
      run(async (context) => {
        const config = context.config();
        const hooksToken = context.env.OPENCLAW_HOOKS_TOKEN?.trim();
        if (!hooksToken)
          throw new UsageError('OPENCLAW_HOOKS_TOKEN is not set: give the hooks token from the gateway config (hooks.token)');
        const wake = context.values.wake ?? 'wake';
        if (wake !== 'wake' && wake !== 'agent') throw new UsageError(`--wake must be wake or agent (got "${safe(wake)}")`);
        const gateway =
          (typeof context.values.gateway === 'string' ? context.values.gateway : context.env.OPENCLAW_GATEWAY_URL?.trim()) ||
          DEFAULT_GATEWAY_URL;
        let gatewayUrl: string;
        try {
          const url = new URL(gateway);
          if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
          gatewayUrl = url.toString().replace(/\/+$/, '');
        } catch {
          throw new UsageError(`the gateway URL must be an http(s) URL (got "${safe(gateway)}")`);
        }
        const agentId = typeof context.values['agent-id'] === 'string' ? context.values['agent-id'] : undefined;
        const bridge = runBridge({
          hubUrl: config.hubUrl,
          apiKey: config.apiKey,
          gatewayUrl,
          hooksToken,
          wake,
          stateDir: config.configDir,
          command: typeof context.values.command === 'string' ? context.values.command : 'agent-p2p',
          ...(agentId ? { agentId } : {}),
        });
        const stop = () => void bridge.stop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await bridge.done;
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
        const fatal = bridge.status().fatal;
        if (fatal) throw new CliError(fatal, EXIT.refused);
      }),
    );

  command(
    daemon,
    'status',
    '',
    'What the Bridge last reported: connection, last event, last wake, errors',
    'Reads <config dir>/bridge-status.json, which a running Bridge keeps up to date.',
  ).action(
    run(async (context) => {
      const file = join(configDirOf(context.env), 'bridge-status.json');
      let status: ShownBridgeStatus;
      try {
        status = JSON.parse(readFileSync(file, 'utf8')) as ShownBridgeStatus;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT')
          throw new CliError(`no Bridge status at ${file}: the Bridge has not run for this configuration`, EXIT.refused);
        throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.refused);
      }
      if (context.json) return context.out(toJson(status));
      const lines: Array<[string, string]> = [
        ['Connection', `${safe(status.connection)} since ${time(status.since)} (pid ${safe(status.pid)})`],
        ['Portal', safe(status.hubUrl)],
        ['Gateway', safe(status.gatewayUrl)],
        [
          'Last event',
          status.lastEvent
            ? `#${safe(status.lastEvent.seq)} ${safe(status.lastEvent.type)} ${safe(status.lastEvent.id)} at ${time(status.lastEvent.at)}`
            : '-',
        ],
        [
          'Last wake',
          status.lastWake
            ? `${safe(status.lastWake.status)} for event ${safe(status.lastWake.eventId)} at ${time(status.lastWake.at)}${status.lastWake.message ? `: ${safe(status.lastWake.message)}` : ''}`
            : '-',
        ],
        ['Last acked', status.lastAckedSeq === null || status.lastAckedSeq === undefined ? '-' : `#${safe(status.lastAckedSeq)}`],
        ['Updated', time(status.updatedAt)],
      ];
      if (status.wakeMode) lines.splice(3, 0, ['Wake mode', safe(status.wakeMode)]);
      if (status.pending) {
        const p = status.pending;
        lines.push([
          'Pending',
          `#${safe(p.seq)} ${safe(p.type)} ${safe(p.id)}, ${safe(p.attempts)} attempts, next ${time(p.nextAttemptAt)}`,
        ]);
      }
      if (status.fatal) lines.push(['Stopped', safe(status.fatal)]);
      context.out(fields(lines));
      if (status.errors?.length) {
        context.out('Errors (newest first):');
        for (const error of status.errors.slice(0, 10)) context.out(`  ${time(error.at)}  ${safe(cut(error.message, 300))}`);
      }
    }),
  );
}
