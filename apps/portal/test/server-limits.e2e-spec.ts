import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { TestPortal } from '@agent-p2p/testing';
interface Outcome {
  /** What the server sent before closing. */
  received: string;
  /** Milliseconds from connecting until the server closed the connection. */
  closedAfterMs: number;
}

/** Opens a raw connection, lets `drive` write to it, and resolves when the server closes it (or after limitMs). */
function rawConnection(portal: TestPortal, drive: (socket: Socket) => void, limitMs: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = '';
    const socket = connect(portal.config.port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${limitMs} ms; received: ${JSON.stringify(received)}`));
    }, limitMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closedAfterMs: Date.now() - started });
    });
    socket.on('connect', () => drive(socket));
  });
}

describe('slow clients are cut off', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start({
      env: { PORTAL_HEADERS_TIMEOUT_SECONDS: '1', PORTAL_REQUEST_TIMEOUT_SECONDS: '2', PORTAL_KEEP_ALIVE_TIMEOUT_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('headers that never finish: 408 and closed after PORTAL_HEADERS_TIMEOUT_SECONDS', async () => {
    const outcome = await rawConnection(
      portal,
      (socket) => {
        socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
        // One more header line now and then, never the blank line that ends them.
        const drip = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 200);
        socket.on('close', () => clearInterval(drip));
      },
      8000,
    );
    expect(outcome.received).toMatch(/^HTTP\/1\.1 408/);
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(outcome.closedAfterMs).toBeLessThan(4000);
  });

  it('a connection that never sends a byte is closed after PORTAL_HEADERS_TIMEOUT_SECONDS', async () => {
    const outcome = await rawConnection(portal, () => undefined, 8000);
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(outcome.closedAfterMs).toBeLessThan(4000);
  });

  it('a body trickled byte by byte: 408 and closed after PORTAL_REQUEST_TIMEOUT_SECONDS', async () => {
    const outcome = await rawConnection(
      portal,
      (socket) => {
        socket.write(
          `POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"password":"`,
        );
        const drip = setInterval(() => socket.writable && socket.write('x'), 200);
        socket.on('close', () => clearInterval(drip));
      },
      8000,
    );
    expect(outcome.received).toMatch(/^HTTP\/1\.1 408/);
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(1900);
    expect(outcome.closedAfterMs).toBeLessThan(5000);
  });

  it('an idle keep-alive connection is closed after PORTAL_KEEP_ALIVE_TIMEOUT_SECONDS', async () => {
    const outcome = await rawConnection(portal, (socket) => socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`), 8000);
    expect(outcome.received).toMatch(/^HTTP\/1\.1 200/);
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(outcome.closedAfterMs).toBeLessThan(4000);
  });

  it('a slow body that arrives within the timeout is answered normally', async () => {
    const body = JSON.stringify({ password: 'not the password' });
    const outcome = await rawConnection(
      portal,
      (socket) => {
        socket.write(
          `POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
        );
        let sent = 0;
        const drip = setInterval(() => {
          socket.write(body.slice(sent, sent + 8));
          sent += 8;
          if (sent >= body.length) clearInterval(drip);
        }, 100);
      },
      8000,
    );
    expect(outcome.received).toMatch(/^HTTP\/1\.1 401/);
  });
});

describe('connection cap', () => {
  const CAP = 3;
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_MAX_CONNECTIONS: String(CAP) } });
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it(`beyond PORTAL_MAX_CONNECTIONS (${CAP}) a new connection is closed at once; a freed place is usable again`, async () => {
    const open: Socket[] = [];
    for (let i = 0; i < CAP; i++) {
      const socket = connect(portal.config.port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      open.push(socket);
    }
    try {
      const refused = await rawConnection(portal, (socket) => socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`), 3000);
      expect(refused.received).toBe('');
      await new Promise<void>((resolve) => {
        open
          .pop()!
          .once('close', () => resolve())
          .destroy();
      });
      // The server notices the freed place once the close has reached it.
      let answered = '';
      for (let attempt = 0; attempt < 20 && !answered; attempt++) {
        const outcome = await rawConnection(
          portal,
          (socket) => socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
          3000,
        );
        answered = outcome.received;
        if (!answered) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(answered).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      for (const socket of open) socket.destroy();
    }
  });
});
