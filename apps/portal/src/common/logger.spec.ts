import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger, PinoNestLogger, scrubSecrets } from './logger';

const OWNER_KEY = `ap2p_o_${'k'.repeat(43)}`;
const CONTACT_KEY = `ap2p_c_${'c'.repeat(43)}`;

function capture(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

describe('scrubSecrets', () => {
  it('redacts secret-named fields at any depth, whatever their value', () => {
    expect(
      scrubSecrets({
        password: 'hunter2hunter2',
        currentPassword: 'a',
        newPassword: 'b',
        headers: { authorization: 'Bearer x', cookie: 'ap2p_session=abc', 'x-api-key': 'y', Cookie: 'z' },
        token: 't',
        sessionToken: 't2',
        secret: 's',
        apiKey: 'k',
        api_key: 'k2',
        key: 'k3',
        keys: ['k4'],
        ownerKey: 'k5',
        contactKey: 'k6',
        nested: [{ deeper: { password: 'p' } }],
      }),
    ).toEqual({
      password: '[redacted]',
      currentPassword: '[redacted]',
      newPassword: '[redacted]',
      headers: { authorization: '[redacted]', cookie: '[redacted]', 'x-api-key': '[redacted]', Cookie: '[redacted]' },
      token: '[redacted]',
      sessionToken: '[redacted]',
      secret: '[redacted]',
      apiKey: '[redacted]',
      api_key: '[redacted]',
      key: '[redacted]',
      keys: '[redacted]',
      ownerKey: '[redacted]',
      contactKey: '[redacted]',
      nested: [{ deeper: { password: '[redacted]' } }],
    });
  });

  it('redacts key-shaped strings anywhere, keeping their kind', () => {
    expect(scrubSecrets(`GET /api/me?k=${OWNER_KEY} from ${CONTACT_KEY}.`)).toBe('GET /api/me?k=ap2p_o_[redacted] from ap2p_c_[redacted].');
    expect(scrubSecrets({ url: `/x/${OWNER_KEY}`, list: [CONTACT_KEY] })).toEqual({
      url: '/x/ap2p_o_[redacted]',
      list: ['ap2p_c_[redacted]'],
    });
  });

  it('redacts session and device cookies, credential headers, secret query parameters and JSON fields in text', () => {
    const token = 'nhwRF_jX1GcwgBcH2Q_FW9s93yleJu_goHY7jzJt1Nc';
    const cases: Array<[string, string]> = [
      [
        `cookie was other=1; ap2p_session=${token}; ap2p_device=abc.def`,
        'cookie was other=1; ap2p_session=[redacted]; ap2p_device=[redacted]',
      ],
      [
        `GET / HTTP/1.1\r\nCookie: a=b; c=d\r\nSet-Cookie: x=y\r\nauthorization:Basic eHk=\r\nHost: h`,
        'GET / HTTP/1.1\r\nCookie: [redacted]\r\nSet-Cookie: [redacted]\r\nauthorization:[redacted]\r\nHost: h',
      ],
      [
        `/api/me?password=hunter2&token=${token}&session=s1&page=2`,
        '/api/me?password=[redacted]&token=[redacted]&session=[redacted]&page=2',
      ],
      [`/x?api_key=k1#frag and /y?newPassword=p2`, '/x?api_key=[redacted]#frag and /y?newPassword=[redacted]'],
      [`/api/me?key=${OWNER_KEY}`, '/api/me?key=ap2p_o_[redacted]'],
      [
        `Unexpected token in JSON: {"currentPassword": "p1", "newPassword":"p\\"2", "name": "kept"}`,
        'Unexpected token in JSON: {"currentPassword": "[redacted]", "newPassword":"[redacted]", "name": "kept"}',
      ],
      [`cut off: {"password": "unterminated`, 'cut off: {"password": "[redacted]'],
      [`{"contactKey":"abc","key":"def","limit":3}`, '{"contactKey":"[redacted]","key":"[redacted]","limit":3}'],
    ];
    for (const [text, expected] of cases) expect(scrubSecrets(text)).toBe(expected);
    expect(scrubSecrets({ 'set-cookie': ['a=b'], contact_key: 'k', 'owner-key': 'k', credentials: 'c', keyPrefix: 'ap2p_o_ab' })).toEqual({
      'set-cookie': '[redacted]',
      contact_key: '[redacted]',
      'owner-key': '[redacted]',
      credentials: '[redacted]',
      keyPrefix: 'ap2p_o_ab',
    });
  });

  it('scrubs a huge string in linear time', () => {
    const started = Date.now();
    for (const filler of ['"a'.repeat(200_000), '?'.repeat(400_000), `"${'x'.repeat(400_000)}`, `?${'a'.repeat(400_000)}`])
      scrubSecrets(filler);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('keeps harmless fields and values as they are', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(scrubSecrets({ at })).toEqual({ at });
    const value = {
      method: 'GET',
      url: '/api/keys',
      statusCode: 200,
      keyPrefix: 'ap2p_o_ab',
      monkey: 'banana',
      count: 3,
      ok: true,
      none: null,
    };
    expect(scrubSecrets(value)).toEqual(value);
  });

  it('logs class instances (requests, sockets, buffers) as their class name, never their insides', () => {
    class Socket {
      readonly peer = OWNER_KEY;
    }
    expect(scrubSecrets({ socket: new Socket(), data: Buffer.from(OWNER_KEY) })).toEqual({ socket: '[Socket]', data: '[Buffer]' });
  });

  it('scrubs errors: message and stack', () => {
    const error = new Error(`bad key ${OWNER_KEY}`);
    const scrubbed = scrubSecrets(error) as { type: string; message: string; stack: string };
    expect(scrubbed.type).toBe('Error');
    expect(scrubbed.message).toBe('bad key ap2p_o_[redacted]');
    expect(scrubbed.stack).not.toContain(OWNER_KEY);
  });

  it('cuts deep and cyclic structures off instead of passing them through unscrubbed', () => {
    let deep: Record<string, unknown> = { leaf: OWNER_KEY };
    for (let i = 0; i < 20; i++) deep = { child: deep };
    expect(JSON.stringify(scrubSecrets(deep))).not.toContain(OWNER_KEY);
    const cyclic: Record<string, unknown> = { note: OWNER_KEY };
    cyclic.self = cyclic;
    expect(JSON.stringify(scrubSecrets(cyclic))).not.toContain(OWNER_KEY);
  });
});

describe('createLogger', () => {
  it('writes one JSON object per line, with level names and no secrets', () => {
    const out = capture();
    const logger = createLogger('debug', out.stream);
    logger.info({ password: 'hunter2hunter2', headers: { authorization: `Bearer ${OWNER_KEY}` } }, `login with ${OWNER_KEY}`);
    logger.debug(`contact ${CONTACT_KEY}`);
    logger.error({ err: new Error(`failed for ${OWNER_KEY}`) }, 'boom');
    const text = out.lines().join('\n');
    expect(out.lines()).toHaveLength(3);
    for (const line of out.lines()) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry).toMatchObject({ level: expect.stringMatching(/^(info|debug|error)$/), service: 'portal', time: expect.any(String) });
    }
    for (const secret of [OWNER_KEY, CONTACT_KEY, 'hunter2hunter2']) expect(text).not.toContain(secret);
  });

  it('summarises fastify request and reply objects, redacting keys in the URL', () => {
    class FakeRequest {
      readonly raw = { headers: { authorization: `Bearer ${OWNER_KEY}` } };
      get method(): string {
        return 'GET';
      }
      get url(): string {
        return `/api/me?key=${OWNER_KEY}`;
      }
      get ip(): string {
        return '127.0.0.1';
      }
    }
    const out = capture();
    const logger = createLogger('info', out.stream);
    logger.info({ req: new FakeRequest() }, 'incoming request');
    logger.info({ res: { statusCode: 204 } }, 'request completed');
    const [incoming, completed] = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(incoming.req).toEqual({ method: 'GET', url: '/api/me?key=ap2p_o_[redacted]', remoteAddress: '127.0.0.1' });
    expect(completed.res).toEqual({ statusCode: 204 });
    expect(out.lines().join('\n')).not.toContain(OWNER_KEY);
  });

  it('respects the level', () => {
    const out = capture();
    const logger = createLogger('warn', out.stream);
    logger.info('hidden');
    logger.warn('shown');
    expect(out.lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
  });

  it('scrubs what Nest logs through PinoNestLogger too', () => {
    const out = capture();
    const nest = new PinoNestLogger(createLogger('trace', out.stream));
    nest.log(`started with ${OWNER_KEY}`, 'Test');
    nest.error(`failed with ${CONTACT_KEY}`, `Error: x\n    at ${OWNER_KEY}`, 'Test');
    nest.warn({ password: 'pw-pw-pw-pw-pw', msg: 'object message' }, 'Test');
    nest.verbose('verbose', 'Test');
    nest.error({ err: new Error('db down'), reqId: 'r1' }, 'Request failed', 'Filter');
    const text = out.lines().join('\n');
    expect(out.lines()).toHaveLength(5);
    const failure = JSON.parse(out.lines()[4]) as Record<string, unknown>;
    expect(failure).toMatchObject({ level: 'error', msg: 'Request failed', reqId: 'r1', context: 'Filter', err: { message: 'db down' } });
    for (const secret of [OWNER_KEY, CONTACT_KEY, 'pw-pw-pw-pw-pw']) expect(text).not.toContain(secret);
  });
});
