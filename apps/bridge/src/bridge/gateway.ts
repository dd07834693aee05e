/**
 * One call to the OpenClaw gateway's hooks API, classified for the retry loop:
 * - ok: any 2xx (the wake was accepted: the event may be acked);
 * - retry: 408/425/429/5xx, connection errors and timeouts (the gateway is busy or restarting);
 * - config: every other answer (400/401/403/404/405/413…): the Bridge is set up wrong; keep the event.
 */
export type GatewayOutcome =
  | { kind: 'ok'; status: number }
  | { kind: 'retry'; status: number | 'error'; message: string; retryAfterMs: number | null }
  | { kind: 'config'; status: number; message: string; retryAfterMs: number | null };

export interface GatewayRequest {
  gatewayUrl: string;
  hooksToken: string;
  /** "/hooks/wake" or "/hooks/agent". */
  path: string;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Aborts the call when the Bridge stops. */
  signal: AbortSignal;
}

const RETRYABLE = new Set([408, 425, 429]);

export async function callGateway(request: GatewayRequest): Promise<GatewayOutcome> {
  const url = request.gatewayUrl.replace(/\/+$/, '') + request.path;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  let response: Response;
  let answer: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${request.hooksToken}`,
        ...request.headers,
      },
      body: JSON.stringify(request.body),
      signal: AbortSignal.any([timeout, request.signal]),
      redirect: 'error',
    });
    answer = await response.text();
  } catch (error) {
    const message = timeout.aborted
      ? `the gateway did not answer within ${request.timeoutMs} ms`
      : `cannot reach the gateway at ${url}: ${describe(error)}`;
    return { kind: 'retry', status: 'error', message, retryAfterMs: null };
  }
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: 'ok', status };
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const message = `the gateway answered ${status} to POST ${request.path}${summary(answer)}`;
  if (RETRYABLE.has(status) || status >= 500) return { kind: 'retry', status, message, retryAfterMs };
  return { kind: 'config', status, message: `${message}${hint(status)}`, retryAfterMs };
}

/** Retry-After as delay-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function hint(status: number): string {
  switch (status) {
    case 401:
    case 403:
      return ' — check OPENCLAW_HOOKS_TOKEN against hooks.token in openclaw.json';
    case 404:
      return ' — are hooks enabled in openclaw.json (hooks.enabled, hooks.path "/hooks") and is OPENCLAW_GATEWAY_URL right?';
    case 400:
      return ' — the gateway refused the request (with --wake agent: check hooks.allowRequestSessionKey and allowedSessionKeyPrefixes ["hook:agent-p2p:"])';
    case 413:
      return ' — the wake text is larger than the gateway accepts';
    default:
      return '';
  }
}

function summary(body: string): string {
  const text = body.replace(/\s+/g, ' ').trim().slice(0, 200);
  return text ? `: ${text}` : '';
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const code = cause && typeof cause === 'object' && 'code' in cause ? String((cause as { code: unknown }).code) : '';
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
