import { runBridge } from '../bridge/run';
import { CliError, type CommandSpec, EXIT, UsageError } from './framework';
import { safe } from './output';

const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:18789';

/** `agent-p2p bridge run`: the Bridge daemon in the foreground until SIGINT/SIGTERM. */
export const bridgeRun: CommandSpec = {
  path: ['bridge', 'run'],
  args: '[--gateway URL] [--wake wake|agent] [--agent-id ID] [--command CMD]',
  summary: "Run the Bridge: follow this Portal's events and wake the local OpenClaw agent (until stopped)",
  details: [
    'Needs OPENCLAW_HOOKS_TOKEN (the hooks.token of the gateway config). The gateway URL comes from',
    `--gateway, else OPENCLAW_GATEWAY_URL, else ${DEFAULT_GATEWAY_URL}. An event is acknowledged only after the`,
    'gateway accepted its wake; state and bridge-status.json live in the config directory',
    '(see "agent-p2p bridge status"). Logs are JSON lines on stderr. Stops on Ctrl-C or SIGTERM.',
  ].join('\n'),
  options: {
    gateway: { type: 'string', value: 'URL', help: `OpenClaw gateway (else OPENCLAW_GATEWAY_URL, default ${DEFAULT_GATEWAY_URL})` },
    wake: { type: 'string', value: 'MODE', help: 'wake: POST /hooks/wake (default); agent: POST /hooks/agent, one session per contact' },
    'agent-id': { type: 'string', value: 'ID', help: 'with --wake agent: the OpenClaw agent to run (default: the gateway default)' },
    command: { type: 'string', value: 'CMD', help: 'the command the wake texts tell the agent to run (default agent-p2p)' },
  },
  positionals: { min: 0, max: 0 },
  async run(context) {
    const config = context.config();
    const hooksToken = context.env.OPENCLAW_HOOKS_TOKEN?.trim();
    if (!hooksToken) throw new UsageError('OPENCLAW_HOOKS_TOKEN is not set: give the hooks token from the gateway config (hooks.token)');
    const wake = context.values.wake ?? 'wake';
    if (wake !== 'wake' && wake !== 'agent') throw new UsageError(`--wake must be wake or agent (got "${safe(wake)}")`);
    const gateway = (typeof context.values.gateway === 'string' ? context.values.gateway : context.env.OPENCLAW_GATEWAY_URL?.trim()) || DEFAULT_GATEWAY_URL;
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
  },
};
