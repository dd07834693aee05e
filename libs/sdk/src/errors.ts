/** The error body every Portal error carries. */
export interface PortalErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * A failed Portal call. `status` is the HTTP status, or 0 when the Portal could not be reached
 * (connection refused, DNS, timeout).
 */
export class PortalApiError extends Error {
  override readonly name = 'PortalApiError';

  constructor(
    readonly status: number,
    message: string,
    readonly error: string,
    readonly details?: Record<string, unknown>,
    readonly requestId?: string,
  ) {
    super(message);
  }

  /** True when the Portal was not reached at all. */
  get isNetworkError(): boolean {
    return this.status === 0;
  }

  static fromResponse(response: Response, body: unknown): PortalApiError {
    const parsed = isErrorBody(body) ? body : undefined;
    return new PortalApiError(
      response.status,
      parsed?.message ?? `${response.status} ${response.statusText || 'error'}`,
      parsed?.error ?? response.statusText,
      parsed?.details,
      response.headers.get('x-request-id') ?? undefined,
    );
  }

  static fromNetwork(baseUrl: string, cause: unknown): PortalApiError {
    const reason = describeNetworkError(cause);
    return new PortalApiError(0, `Cannot reach the Portal at ${baseUrl}: ${reason}`, 'Network Error');
  }
}

function isErrorBody(body: unknown): body is PortalErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as PortalErrorBody).message === 'string';
}

function describeNetworkError(cause: unknown): string {
  const error = cause as { message?: string; cause?: { code?: string; message?: string } } | undefined;
  return error?.cause?.code ?? error?.cause?.message ?? error?.message ?? String(cause);
}
