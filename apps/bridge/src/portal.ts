/**
 * What the CLI and the MCP server share about talking to the Portal: the client with its timeout,
 * and the one-line reasons (with exit codes) given for every failure.
 */
import { createPortalClient, PortalApiError, type PortalClient } from '@agent-p2p/sdk';
import { ConfigError } from './config';
import { safe } from './text';

/** Exit codes: documented in every --help. */
export const EXIT = {
  ok: 0,
  /** The Portal said no (4xx: unknown id, refused key, invalid input), or another failure. */
  refused: 1,
  /** The command line is wrong or the configuration is missing. */
  usage: 2,
  /** The Portal cannot be reached, timed out, or failed (5xx). */
  unreachable: 3,
} as const;

/** A mistake on the command line (or in a tool's arguments): exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure already phrased for the user, with its exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const DEFAULT_TIMEOUT_SECONDS = 30;
export const TIMEOUT_VARIABLE = 'AGENTP2P_TIMEOUT';

/** Seconds a Portal call may take (AGENTP2P_TIMEOUT, default 30). */
export function requestTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env[TIMEOUT_VARIABLE]?.trim();
  if (!raw) return DEFAULT_TIMEOUT_SECONDS * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`${TIMEOUT_VARIABLE} must be a number of seconds above 0 (got "${safe(raw)}")`);
  return Math.round(seconds * 1000);
}

export function clientFor(config: { hubUrl: string; apiKey: string }, env: NodeJS.ProcessEnv): PortalClient {
  const timeoutMs = requestTimeoutMs(env);
  return createPortalClient({
    baseUrl: config.hubUrl,
    apiKey: config.apiKey,
    fetch: async (input, init) => {
      try {
        return await globalThis.fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        // No cause attached on purpose: the SDK names a network failure by its cause's code, and the
        // timeout is the whole story here.
        // eslint-disable-next-line preserve-caught-error
        if ((error as Error).name === 'TimeoutError') throw new Error(`no answer within ${timeoutMs / 1000} s`);
        throw error;
      }
    },
  });
}

/** Any failure as one line (no stack) and the exit code it means. */
export function describeFailure(error: unknown, baseUrl?: string): { message: string; code: number } {
  if (error instanceof UsageError || error instanceof ConfigError) return { message: error.message, code: EXIT.usage };
  if (error instanceof CliError) return { message: error.message, code: error.exitCode };
  if (error instanceof PortalApiError) return describePortalError(error, baseUrl);
  if (error instanceof Error) return { message: error.message || error.name, code: EXIT.refused };
  return { message: String(error), code: EXIT.refused };
}

export function describePortalError(error: PortalApiError, baseUrl?: string): { message: string; code: number } {
  if (error.status === 0) {
    const text = error.message.replace(/^Cannot reach/, 'cannot reach');
    return { message: text, code: EXIT.unreachable };
  }
  const where = baseUrl ? ` at ${baseUrl}` : '';
  if (error.status >= 500) return { message: `the Portal${where} failed (${error.status}): ${error.message}`, code: EXIT.unreachable };
  if (error.status === 401) return { message: `the Portal refused the key (401): ${error.message}`, code: EXIT.refused };
  if (error.status === 403) return { message: `the Portal refused (403): ${error.message}`, code: EXIT.refused };
  return { message: error.message, code: EXIT.refused };
}
