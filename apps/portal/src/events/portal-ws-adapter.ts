import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage } from 'node:http';

export type UpgradeVerdict = { ok: true } | { ok: false; status: number; message: string };

export interface PortalWsAdapterOptions {
  /** Largest frame a client may send (ws closes the socket with 1009 beyond). */
  maxPayload: number;
  /** Decides on an upgrade before it happens, so a refused client gets a real HTTP status. */
  verifyUpgrade: (request: IncomingMessage) => Promise<UpgradeVerdict>;
}

type VerifyCallback = (result: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;

/**
 * WsAdapter with authentication before the upgrade (a real 401/403/429 instead of an opened and
 * closed socket) and a frame size limit. The gateways parse their own frames, so Nest's
 * `{event, data}` dispatch is switched off.
 */
export class PortalWsAdapter extends WsAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly options: PortalWsAdapterOptions,
  ) {
    super(app, { messageParser: () => undefined });
  }

  override create(port: number, options: Record<string, unknown> & { path?: string } = {}): ReturnType<WsAdapter['create']> {
    return super.create(port, {
      ...options,
      maxPayload: this.options.maxPayload,
      verifyClient: (info: { req: IncomingMessage }, done: VerifyCallback) => {
        this.options.verifyUpgrade(info.req).then(
          (verdict) =>
            verdict.ok ? done(true) : done(false, verdict.status, verdict.message, { 'content-type': 'text/plain; charset=utf-8' }),
          () => done(false, 500, 'Internal server error'),
        );
      },
    });
  }
}
