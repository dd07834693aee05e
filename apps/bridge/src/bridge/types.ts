/**
 * The contract between the `agent-p2p` CLI and the Bridge daemon: `agent-p2p bridge run` calls
 * runBridge(), `agent-p2p bridge status` reads the status file the running Bridge keeps up to date.
 */
export interface BridgeOptions {
  /** The Portal's URL and owner key (from flags, environment or the saved login). */
  hubUrl: string;
  apiKey: string;
  /** OpenClaw gateway (OPENCLAW_GATEWAY_URL, default http://127.0.0.1:18789) and hooks token (OPENCLAW_HOOKS_TOKEN). */
  gatewayUrl: string;
  hooksToken: string;
  /** wake: POST /hooks/wake (default); agent: POST /hooks/agent with a per-contact session key. */
  wake: 'wake' | 'agent';
  /** Where the Bridge keeps its state (last acked seq, status): ~/.config/agent-p2p by default. */
  stateDir: string;
  /** The command the wake texts tell the agent to run (default "agent-p2p"). */
  command: string;
  /** Structured log lines go here (stderr by default). */
  log?: (line: Record<string, unknown>) => void;
  /** With wake "agent": the OpenClaw agent to run (omitted: the gateway's default agent). */
  agentId?: string;
  /** Delays and timeouts (defaults in DEFAULT_BRIDGE_TIMING; tests shorten them). */
  timing?: Partial<BridgeTiming>;
}

export interface BridgeTiming {
  /** A gateway call that takes longer is cut and retried. */
  requestTimeoutMs: number;
  /** Backoff bounds for retryable answers (408/429/5xx, connection errors): doubling, with jitter. */
  retryMinDelayMs: number;
  retryMaxDelayMs: number;
  /** Delay between attempts while the gateway answers with a configuration error (400/401/404/413). */
  configErrorDelayMs: number;
  /** Upper bound for a gateway's Retry-After. */
  maxRetryAfterMs: number;
  /** Portal reconnect backoff bounds and heartbeat interval. */
  reconnectMinDelayMs: number;
  reconnectMaxDelayMs: number;
  heartbeatSeconds: number;
}

export const DEFAULT_BRIDGE_TIMING: BridgeTiming = {
  requestTimeoutMs: 30_000,
  retryMinDelayMs: 1_000,
  retryMaxDelayMs: 60_000,
  configErrorDelayMs: 60_000,
  maxRetryAfterMs: 600_000,
  reconnectMinDelayMs: 500,
  reconnectMaxDelayMs: 30_000,
  heartbeatSeconds: 30,
};

export type BridgeConnection = 'connecting' | 'connected' | 'disconnected' | 'stopped';

/** What `agent-p2p bridge status` shows; written by the running Bridge to <stateDir>/bridge-status.json. */
export interface BridgeStatus {
  pid: number;
  hubUrl: string;
  gatewayUrl: string;
  connection: BridgeConnection;
  since: string;
  lastEvent: { seq: number; id: string; type: string; at: string } | null;
  lastWake: { eventId: string; status: number | 'error'; at: string; message?: string } | null;
  lastAckedSeq: number | null;
  /** Recent problems, newest first (bounded). */
  errors: Array<{ at: string; message: string }>;
  updatedAt: string;
  /** How the gateway is woken. */
  wakeMode?: 'wake' | 'agent';
  /** The event waiting for the gateway (null when the Bridge is idle). */
  pending?: { seq: number; id: string; type: string; attempts: number; nextAttemptAt: string | null } | null;
  /** Set when the Bridge stopped on its own (e.g. the Portal refused the owner key): the reason. */
  fatal?: string | null;
}

export interface RunningBridge {
  /** Resolves when the Bridge has stopped (after stop(), or a fatal error). */
  done: Promise<void>;
  stop(): Promise<void>;
  status(): BridgeStatus;
}
