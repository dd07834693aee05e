import type { OutboxItem, PeerResponse } from '../federation/outbox.service';

/** Each message's answer from a batch answer, in order; null when the answer is not one (sent singly then). */
export function splitBatchAnswer(response: PeerResponse, items: OutboxItem[]): PeerResponse[] | null {
  const results = (response.body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || results.length !== items.length) return null;
  return results.map((result: { id?: unknown; error?: { statusCode?: unknown; message?: unknown } }, index) => {
    if (!result || result.id !== items[index].refId)
      return { status: 502, body: { message: 'the batch answer does not match what was sent' } };
    if (result.error) {
      const status = Number(result.error.statusCode);
      return {
        status: Number.isInteger(status) && status >= 400 && status < 600 ? status : 502,
        body: { message: String(result.error.message ?? '') },
      };
    }
    return { status: 200, body: result };
  }) as PeerResponse[];
}
