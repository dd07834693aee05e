import { createServer, type Server } from 'node:http';

/**
 * A stand-in for the OpenClaw hooks API that accepts every wake (200) and keeps its text (`text` of
 * /hooks/wake, `message` of /hooks/agent). With a token, calls without `Bearer <token>` are
 * answered too but not kept.
 */
export class WakeHooks {
  readonly texts: string[] = [];
  private server!: Server;

  constructor(private readonly token?: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: string; message?: string };
        if (!this.token || req.headers.authorization === `Bearer ${this.token}`) this.texts.push(String(body.text ?? body.message ?? ''));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
