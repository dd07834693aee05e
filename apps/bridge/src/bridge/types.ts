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
}

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
}

export interface RunningBridge {
  /** Resolves when the Bridge has stopped (after stop(), or a fatal error). */
  done: Promise<void>;
  stop(): Promise<void>;
  status(): BridgeStatus;
}
