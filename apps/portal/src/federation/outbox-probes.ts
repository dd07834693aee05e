import type { OutboxItem } from './entities/outbox-item.entity';
import type { PeerBackoff } from './outbox-delivery';
import type { OutboxLane } from './outbox-types';
import type { PeerClient } from './peer-client';

/** Probes of failing contacts running at once, and how long one may take. */
const MAX_PROBES = 4;
const PROBE_TIMEOUT_MS = 3000;

/**
 * A contact whose head item waits longer than probeSeconds has been failing for a while: rather
 * than wait out the back-off, it is asked something cheap every probeSeconds, and when it answers,
 * its queue is retried at once. Strangers are never probed (they must not make this Portal call them more).
 */
export class OutboxProbes {
  /** When each failing contact was last probed, and the probes running. */
  private readonly probedAt = new Map<string, number>();
  private probing = 0;

  constructor(
    private readonly probeSeconds: number,
    private readonly peers: PeerClient,
    private readonly backoff: PeerBackoff,
  ) {}

  /** Probes the head's peer if it is due; returns when the scan should look again (at most `idleMs`). */
  maybeProbe(head: OutboxItem, lane: OutboxLane, dueIn: number, idleMs: number): number {
    const period = this.probeSeconds * 1000;
    if (lane !== 'contacts' || dueIn <= period || !this.backoff.backingOff.has(head.peerUrl)) return idleMs;
    const last = this.probedAt.get(head.peerUrl) ?? head.updatedAt.getTime();
    const dueProbe = last + period - Date.now();
    if (dueProbe > 0) return dueProbe;
    if (this.probing >= MAX_PROBES) return 1000;
    this.probedAt.set(head.peerUrl, Date.now());
    this.probing += 1;
    void this.peers
      .send({ portalUrl: head.peerUrl, method: 'GET', path: '/.well-known/agent-p2p', timeoutMs: PROBE_TIMEOUT_MS })
      .then((response) => (response.status >= 200 && response.status < 300 ? this.backoff.retryNow(head.peerUrl) : undefined))
      .catch(() => undefined)
      .finally(() => {
        this.probing -= 1;
      });
    return period;
  }
}
