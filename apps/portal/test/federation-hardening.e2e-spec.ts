import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { DataSource } from 'typeorm';
import { generateContactKey } from '../src/common/secrets';
import { ContactRequest } from '../src/contacts/entities/contact-request.entity';
import { OutboxItem } from '../src/federation/entities/outbox-item.entity';
import { PROTOCOL_VERSION } from '../src/common/version';
import {
  addActiveContact,
  type CallSigner,
  connect,
  signedFetch,
  startPeer,
  statusOf,
  TestPortal,
  testIdentity,
  waitFor,
} from '@agent-p2p/testing';
/**
 * A TCP server that accepts connections and never answers; it records each request line it reads.
 * Only its well-known document is answered (under any path prefix), with an identity, so that a
 * contact request signed with that identity is accepted and the Portal goes on to call it.
 */
class BlackHole {
  readonly requestLines: string[] = [];
  readonly identity = testIdentity();
  /** Calls held open (well-known GETs are answered at once and not counted). */
  open = 0;
  maxOpen = 0;
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: TcpServer) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => this.sockets.delete(socket));
      socket.once('data', (data) => {
        const line = data.toString('latin1').split('\r\n')[0];
        const wellKnown = /^GET (\S*)\/\.well-known\/agent-p2p HTTP/.exec(line);
        if (wellKnown) {
          const document = JSON.stringify({
            protocol: 'agent-p2p',
            protocolVersion: PROTOCOL_VERSION,
            portalUrl: `${this.url}${wellKnown[1]}`,
            agentName: 'Black hole',
            ownerName: '',
            avatarText: '',
            bio: '',
            identity: { ...this.identity.identity, rotations: [] },
          });
          socket.end(
            `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(document)}\r\nconnection: close\r\n\r\n${document}`,
          );
          return;
        }
        this.requestLines.push(line);
        this.open += 1;
        this.maxOpen = Math.max(this.maxOpen, this.open);
        socket.once('close', () => (this.open -= 1));
      });
    });
  }

  static async start(): Promise<BlackHole> {
    const server = createTcpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new BlackHole(server);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  hits(pathPart: string): number {
    return this.requestLines.filter((line) => line.includes(pathPart)).length;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * What a stranger sends: a contact request naming a Portal of its choice as the sender, signed with
 * the key that Portal publishes (the stranger runs it: the black hole).
 */
async function forgeContactRequest(target: TestPortal, fromPortal: string, signer: CallSigner): Promise<number> {
  const response = await signedFetch(signer, `${target.url}/api/federation/contact-requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      requestId: crypto.randomUUID(),
      fromPortal,
      agentName: 'Stranger',
      ownerName: '',
      message: 'hi',
      key: generateContactKey(),
    }),
  });
  return response.status;
}

describe('calls caused by strangers', () => {
  let hole: BlackHole;

  beforeAll(async () => {
    hole = await BlackHole.start();
  });
  afterAll(async () => {
    await hole.stop();
  });

  it('contact requests naming a Portal that never answers do not delay a message to a contact', async () => {
    // Few slots and a long timeout: before the strangers had a lane of their own, 12 such requests
    // kept every slot busy for 20 s at a time.
    const env = { PORTAL_OUTBOX_CONCURRENCY: '2', PORTAL_PEER_TIMEOUT_MS: '20000', PORTAL_PUBLIC_REQUESTS_PER_MINUTE: '1000' };
    const [a, b] = await Promise.all([startPeer(), startPeer({ env })]);
    try {
      const { bContactId } = await connect(a, b);
      const forged = await Promise.all(
        Array.from({ length: 12 }, (_, i) => forgeContactRequest(b, `${hole.url}/flood-${i}`, hole.identity)),
      );
      expect(forged).toEqual(Array(12).fill(202));
      await waitFor('B to call the black hole', async () => hole.hits('/flood-') > 0);

      const started = Date.now();
      const message = await b.client().sendMessage(bContactId, 'are you there?');
      await waitFor('the message delivered', async () => (await b.client().getMessage(message.id)).status === 'delivered', 5_000);
      expect(Date.now() - started).toBeLessThan(5_000);
      // One origin gets one stranger call at a time, whatever the number of paths it uses.
      expect(hole.maxOpen).toBe(1);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
    }
  });

  it('a contact request that cannot be verified fails after the attempt limit, with short timeouts', async () => {
    const env = {
      PORTAL_OUTBOX_STRANGER_TIMEOUT_MS: '300',
      PORTAL_OUTBOX_STRANGER_MAX_ATTEMPTS: '3',
      PORTAL_PEER_TIMEOUT_MS: '20000',
    };
    const b = await startPeer({ env });
    try {
      expect(await forgeContactRequest(b, `${hole.url}/limited`, hole.identity)).toBe(202);
      const requests = b.app.get(DataSource).getRepository(ContactRequest);
      const started = Date.now();
      await waitFor(
        'the request to become invalid',
        async () => (await requests.findOneBy({ fromPortal: `${hole.url}/limited` }))?.status === 'invalid',
        10_000,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(hole.hits('/limited/')).toBe(3);
      const item = await b.app
        .get(DataSource)
        .getRepository(OutboxItem)
        .findOneByOrFail({ peerUrl: `${hole.url}/limited` });
      expect(item).toMatchObject({ kind: 'contact.verify', status: 'failed', attempts: 3 });
      expect(item.lastError).toMatch(/^gave up after 3 attempts: no answer from .* within 300 ms/);
      expect(await b.client().listContactRequests()).toEqual([]);
    } finally {
      await b.destroy();
    }
  });
});

describe('an answer over the size cap', () => {
  let fake: HttpServer;
  let url: string;
  let hits = 0;

  beforeAll(async () => {
    fake = createHttpServer((req, res) => {
      hits += 1;
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      // Chunked, no content-length: the cap holds while reading.
      for (let i = 0; i < 24; i += 1) res.write(Buffer.alloc(65536, 'a'));
      res.end();
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    fake.closeAllConnections();
    await new Promise((resolve) => fake.close(resolve));
  });

  it('fails the item at once with the reason, and is not retried', async () => {
    const a = await startPeer();
    try {
      const contactId = await addActiveContact(a, url);
      const message = await a.client().sendMessage(contactId, 'hello');
      const failed = await waitFor(
        'the message to fail',
        async () => {
          const m = await a.client().getMessage(message.id);
          return m.status === 'failed' ? m : undefined;
        },
        10_000,
      );
      expect(failed.attempts).toBe(1);
      expect(failed.lastError).toMatch(/answered more than 1048576 bytes/);
      // With retries 50 ms apart, a retry would have come by now.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(hits).toBe(1);
      expect((await a.client().getMessage(message.id)).status).toBe('failed');
    } finally {
      await a.destroy();
    }
  });
});

describe('POST /api/contacts with a private host', () => {
  let p: TestPortal;

  beforeAll(async () => {
    // http allowed (loopback tests), private addresses not.
    p = await TestPortal.start({ env: { PORTAL_ALLOW_INSECURE_PEERS: 'true' } });
  });
  afterAll(async () => {
    await p?.destroy();
  });

  it('is refused at once with the reason, and nothing is stored', async () => {
    for (const portalUrl of [
      'http://10.0.0.1',
      'https://127.0.0.1:8443',
      'http://[::ffff:7f00:1]:9',
      'https://[::127.0.0.1]',
      'https://203.0.113.5',
      'http://localhost:9',
    ]) {
      const response = await fetch(`${p.url}/api/contacts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${p.ownerKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ portalUrl }),
      });
      const body = (await response.json()) as Record<string, unknown>;
      expect([portalUrl, response.status]).toEqual([portalUrl, 400]);
      expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(body.message).toMatch(
        /^portalUrl cannot be a peer: .*(is a private, local or reserved address|resolves only to private, local or reserved addresses)/,
      );
    }
    expect(await p.client().listContacts()).toEqual([]);
    expect(await p.app.get(DataSource).getRepository(OutboxItem).count()).toBe(0);
  });

  it('accepts a host that is not refused', async () => {
    // A name that does not resolve now may later; the call-time check still guards it.
    expect(await statusOf(p.client().createContact('https://portal.invalid'))).toBe(200);
    expect((await p.client().listContacts()).map((c) => c.portalUrl)).toEqual(['https://portal.invalid']);
  });
});
