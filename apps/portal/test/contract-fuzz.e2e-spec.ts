import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { parse } from 'yaml';
import { CSRF_HEADER_VALUE, SECURITY_SCHEMES } from '../src/auth/principal';
import { SECRET_BOX, type SecretBox } from '../src/common/secret-box';
import { Contact } from '../src/contacts/entities/contact.entity';
import {
  type CallSigner,
  connect,
  insertContact,
  insertedPeer,
  peerCallHeaders,
  sendFile,
  startPeer,
  type TestPortal,
} from '@agent-p2p/testing';
/**
 * Contract-driven fuzzing: every operation of the committed openapi.yaml gets bad input of every
 * kind (path, query, headers, body fields, whole bodies, content types), with every principal the
 * operation accepts. The Portal must answer each with a clean 4xx (or a success), never a 5xx, and
 * never leak internals. A new route is fuzzed as soon as it is in the contract.
 */

/** Bad inputs drawn per operation and principal (round-robin over the kinds of input). */
const CASES_PER_OPERATION = 48;
const SEED = 20261202;
/** A request not answered within this time counts as a failure (bad input must be refused at once). */
const ANSWER_WITHIN_MS = 10_000;
const DEPTH = 3000;
/** The fuzzed Portal's body limit, kept small so that over-limit bodies stay cheap to send. */
const MAX_BODY_BYTES = 262_144;

/**
 * What is served but not fuzzed here, and why. Every served route that is not an operation of the
 * contract must be listed, so nothing is skipped silently.
 */
const NOT_FUZZED: Array<{ route: RegExp; why: string }> = [
  { route: /^GET \/ws$/, why: 'WebSocket upgrade, not an HTTP operation of the contract (frames: events.e2e-spec.ts)' },
  { route: /^GET \/docs(\/.*)?$/, why: 'Swagger UI static assets, no input' },
  { route: /^GET \/openapi\.(json|yaml)$/, why: 'the contract itself, no input' },
  { route: /^GET \/console(\/.*)?$/, why: 'static console files (console-site.e2e-spec.ts)' },
  { route: /^GET \/$/, why: 'the static homepage (console-site.e2e-spec.ts)' },
  { route: /^GET \/favicon\.ico$/, why: 'the static icon, no input (console-view-browser.e2e-spec.ts)' },
];

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  nullable?: boolean;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  security?: Array<Record<string, string[]>>;
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

interface FuzzOperation {
  method: string;
  path: string;
  operation: Operation;
}

interface FuzzCase {
  kind: 'path' | 'query' | 'header' | 'field' | 'body' | 'content-type';
  label: string;
  path?: string;
  query?: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

type PrincipalName = 'owner key' | 'console session' | 'contact key' | 'none';

/** mulberry32: a small deterministic PRNG, so a failure can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

const UUID_NOT_THERE = '00000000-0000-4000-8000-000000000000';
const NESTED_ARRAY = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
const NESTED_OBJECT = `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;
/** Invalid UTF-8: a lone continuation byte, an overlong slash, a truncated sequence. */
const BAD_UTF8 = Buffer.from([0x80, 0xc0, 0xaf, 0xff, 0xfe, 0xe2, 0x82]);

const BAD_IDS = [
  'abc',
  '0',
  '-1',
  '1.5',
  '1e3',
  '0x10',
  '99999999999999999999',
  '2147483648',
  '9007199254740993',
  'NaN',
  'Infinity',
  'null',
  '%20',
  '%00',
  '%FF',
  '%C0%AF',
  '%EF%BC%91',
  '%2e%2e',
  '%2F',
  '1%2F2',
  '1/',
  '%u0031',
  'x'.repeat(3000),
  '00000000-0000-4000-8000-00000000000g',
  `${UUID_NOT_THERE}%00`,
];

const BAD_QUERY_VALUES = [
  '',
  'abc',
  '-1',
  '0',
  '1.5',
  '1e3',
  '99999999999999999999',
  'NaN',
  'true',
  'null',
  '%FF',
  '%00',
  '%zz',
  'x'.repeat(5000),
];

function resolve(spec: Spec, schema: Schema | undefined): Schema {
  if (!schema) return {};
  if (schema.$ref) return resolve(spec, spec.components.schemas[schema.$ref.replace('#/components/schemas/', '')]);
  return schema;
}

/**
 * Resources that exist on the fuzzed Portal, so that a bad input reaches the code behind the
 * lookups: path parameters by operationId (never for DELETE, and never for the approve/reject of a
 * contact request, whose success would change the fixture), and body fields by name.
 */
interface Fixture {
  pathValues: Record<string, Record<string, string>>;
  fields: Record<string, unknown>;
}
const fixture: Fixture = { pathValues: {}, fields: {} };

/** A plausible value for a schema: the fuzzer mutates one part of an otherwise well-formed input. */
function sample(spec: Spec, raw: Schema | undefined, name?: string): unknown {
  const schema = resolve(spec, raw);
  if (name !== undefined && name in fixture.fields) return fixture.fields[name];
  if (schema.example !== undefined) return schema.example;
  if (schema.enum?.length) return schema.enum[0];
  switch (schema.type) {
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 1, 1);
    case 'boolean':
      return true;
    case 'array':
      return [sample(spec, schema.items)];
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(schema.properties ?? {})) value[name] = sample(spec, property, name);
      return value;
    }
    default:
      if (schema.format === 'uuid') return UUID_NOT_THERE;
      if (schema.format === 'date-time') return '2026-01-01T00:00:00.000Z';
      if (schema.format === 'uri') return 'https://fuzz.example.test';
      if (schema.pattern === '^[0-9a-fA-F]{64}$') return 'a'.repeat(64);
      return 'x'.repeat(Math.max(schema.minLength ?? 1, 1));
  }
}

/** Values of the wrong kind for a field: JSON texts spliced into an otherwise valid body. */
function badFieldValues(schema: Schema): string[] {
  const values = [
    'null',
    '""',
    '12345',
    '-1',
    '1.5',
    '1e400',
    '-0',
    'true',
    '[]',
    '{}',
    '[1,"a",null]',
    '{"$gt":""}',
    JSON.stringify('x'.repeat(70_000)),
    '"\\u0000"',
    '"\\ud800"',
    '"\\u202e\\u200b"',
    '" "',
    '"1"',
    '"2024-W01-1"',
    '"2024-001"',
    '"2026-02-30T00:00:00Z"',
    '"20240101T000000Z"',
    '"+275760-09-13T00:00:00.000Z"',
    '"javascript:alert(1)"',
    '"http://127.0.0.1:1/"',
    NESTED_ARRAY,
    NESTED_OBJECT,
    '9007199254740993',
    '1e308',
    '2147483648',
    '-2147483649',
    '0',
  ];
  if (schema.type === 'string') values.push('"%s%n"', '"../../etc/passwd"');
  return values;
}

function concretePath(op: FuzzOperation, override?: { name: string; value: string }): string {
  const template = op.path;
  const real = op.method === 'DELETE' ? {} : (fixture.pathValues[op.operation.operationId] ?? {});
  return template.replace(/\{([^}]+)\}/g, (_all, name: string) => {
    if (override && override.name === name) return override.value;
    if (real[name] !== undefined) return real[name];
    if (name === 'index') return '0';
    // A well-formed id that names nothing: an integer or a UUID, as the contract types the parameter.
    const schema = op.operation.parameters?.find((p) => p.in === 'path' && p.name === name)?.schema;
    return schema?.type === 'integer' || schema?.type === 'number' ? '999999' : UUID_NOT_THERE;
  });
}

function jsonContentType(operation: Operation): 'json' | 'octets' | null {
  const content = operation.requestBody?.content ?? {};
  if (content['application/json']) return 'json';
  if (content['application/octet-stream']) return 'octets';
  return null;
}

/** Every bad input for one operation, grouped by kind. */
function casesFor(spec: Spec, op: FuzzOperation): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const parameters = op.operation.parameters ?? [];
  const bodyKind = jsonContentType(op.operation);
  const baseHeaders: Record<string, string> = {};
  let baseBody: Buffer | undefined;
  let bodySchema: Schema = {};
  if (bodyKind === 'json') {
    bodySchema = resolve(spec, op.operation.requestBody!.content['application/json'].schema);
    baseHeaders['content-type'] = 'application/json';
    baseBody = Buffer.from(JSON.stringify(sample(spec, bodySchema)));
  } else if (bodyKind === 'octets') {
    baseHeaders['content-type'] = 'application/octet-stream';
    baseBody = Buffer.from('abc');
  }
  for (const parameter of parameters) {
    if (parameter.in === 'header' && parameter.name.toLowerCase() === 'x-chunk-sha256') baseHeaders['x-chunk-sha256'] = 'a'.repeat(64);
  }
  /** One case: the well-formed request with one part changed (headers are merged into the base ones). */
  const add = (kind: FuzzCase['kind'], label: string, change: Omit<FuzzCase, 'kind' | 'label'> = {}): void => {
    cases.push({
      kind,
      label,
      path: change.path,
      query: change.query,
      headers: { ...baseHeaders, ...change.headers },
      body: 'body' in change ? change.body : baseBody,
    });
  };

  for (const parameter of parameters.filter((p) => p.in === 'path')) {
    for (const value of BAD_IDS)
      add('path', `path ${parameter.name}=${value.slice(0, 40)}`, { path: concretePath(op, { name: parameter.name, value }) });
  }

  for (const name of parameters.filter((p) => p.in === 'query').map((p) => p.name)) {
    for (const value of BAD_QUERY_VALUES) add('query', `query ${name}=${value.slice(0, 40)}`, { query: `${name}=${value}` });
    add('query', `query ${name} twice`, { query: `${name}=1&${name}=2` });
    add('query', `query ${name}[]`, { query: `${name}[]=1&${name}[a]=2` });
    add('query', `query ${name} without =`, { query: name });
  }
  add('query', 'an unknown query parameter', { query: 'zzz=1&__proto__[x]=1' });
  add('query', 'a broken query string', { query: '%&=&&%zz=%' });
  add('query', `a query key nested ${DEPTH} deep`, { query: `a${'[a]'.repeat(DEPTH)}=1` });
  add('query', 'a thousand query parameters', { query: Array.from({ length: 1000 }, (_v, i) => `p${i}=${i}`).join('&') });

  const headerValues: Record<string, string[]> = {
    'x-chunk-sha256': ['', 'abc', 'g'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), 'A'.repeat(64), 'a'.repeat(5000)],
    range: [
      'bytes=',
      'bytes=abc',
      'bytes=5-1',
      'bytes=-0',
      'bytes=0-1,2-3',
      'items=0-1',
      'bytes=99999999999999999999-',
      'bytes=-99999999999999999999',
      'bytes=1.5-2',
    ],
  };
  for (const parameter of parameters.filter((p) => p.in === 'header')) {
    const name = parameter.name.toLowerCase();
    for (const value of headerValues[name] ?? ['', 'x'.repeat(5000)])
      add('header', `header ${parameter.name}: ${value.slice(0, 40)}`, { headers: { [name]: value } });
  }
  // Headers every route reads.
  add('header', 'a huge X-Request-Id', { headers: { 'x-request-id': 'r'.repeat(6000) } });
  add('header', 'an odd Accept', { headers: { accept: 'application/xml;q=0.1, */*;q=abc' } });
  add('header', 'Content-Length 0 with a content type', { headers: { 'content-type': 'application/json' }, body: undefined });
  // Credentials that are not well-formed, next to the principal's own (which wins where it sets the same header).
  add('header', 'a malformed session cookie', { headers: { cookie: 'ap2p_session=%E0%A4%A; =; ap2p_session' } });
  add('header', 'a huge session cookie', { headers: { cookie: `ap2p_session=${'s'.repeat(6000)}` } });
  add('header', 'a huge X-Api-Key', { headers: { 'x-api-key': `ap2p_o_${'k'.repeat(6000)}` } });
  add('header', 'a non-ASCII X-Api-Key', { headers: { 'x-api-key': 'ap2p_o_\u00e9\u00e9' } });
  add('header', 'X-Requested-With twice', { headers: { 'x-requested-with': 'agent-p2p, agent-p2p' } });
  add('header', 'Content-Encoding gzip on a plain body', { headers: { 'content-encoding': 'gzip' }, body: baseBody ?? Buffer.from('{}') });

  if (bodyKind === 'json') {
    const sampleBody = sample(spec, bodySchema) as Record<string, unknown>;
    /** The sample body as JSON text, with one field's value replaced by raw JSON text (or left out). */
    const withField = (name: string, rawValue: string | null): Buffer => {
      const members = Object.entries(sampleBody)
        .filter(([key]) => key !== name)
        .map(([key, v]) => `${JSON.stringify(key)}:${JSON.stringify(v)}`);
      if (rawValue !== null) members.push(`${JSON.stringify(name)}:${rawValue}`);
      return Buffer.from(`{${members.join(',')}}`);
    };
    for (const [name, property] of Object.entries(bodySchema.properties ?? {})) {
      for (const value of badFieldValues(resolve(spec, property)))
        add('field', `field ${name}=${value.slice(0, 40)}`, { body: withField(name, value) });
      if (bodySchema.required?.includes(name)) add('field', `field ${name} missing`, { body: withField(name, null) });
      add('field', `field ${name} with invalid UTF-8`, {
        body: Buffer.concat([Buffer.from(`{${JSON.stringify(name)}:"`), BAD_UTF8, Buffer.from('"}')]),
      });
    }
    add('field', 'an extra field', { body: Buffer.from(JSON.stringify({ ...sampleBody, zzzExtra: 1 })) });
    add('field', 'a __proto__ field', { body: Buffer.from('{"__proto__":{"x":1},"constructor":{"prototype":{"y":1}}}') });
    const duplicates = Object.keys(sampleBody).map((key) => `${JSON.stringify(key)}:null`);
    add('field', 'duplicate keys', {
      body: Buffer.from(`{${[JSON.stringify(sampleBody).slice(1, -1), ...duplicates].filter(Boolean).join(',')}}`),
    });
  }

  const wholeBodies: Array<[string, string | Buffer]> = [
    ['malformed JSON', '{"a":'],
    ['trailing garbage', '{}x'],
    ['a lone brace', '}'],
    ['single quotes', "{'a':1}"],
    ['NaN literal', '{"a":NaN}'],
    ['empty', ''],
    ['whitespace', '   '],
    ['null', 'null'],
    ['an array', '[]'],
    ['a string', '"s"'],
    ['a number', '123'],
    ['true', 'true'],
    [`arrays nested ${DEPTH} deep`, NESTED_ARRAY],
    [`objects nested ${DEPTH} deep`, NESTED_OBJECT],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"a":"'), BAD_UTF8, Buffer.from('"}')])],
    ['raw invalid UTF-8', BAD_UTF8],
    ['a byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')])],
    ['a NUL byte', Buffer.from([0x7b, 0x00, 0x7d])],
    ['a huge number', '{"a":1e99999}'],
    ['an over-limit body', `{"a":"${'x'.repeat(MAX_BODY_BYTES)}"}`],
  ];
  for (const [label, body] of wholeBodies)
    add('body', `body: ${label}`, { headers: { 'content-type': 'application/json' }, body: Buffer.from(body) });

  const contentTypes = [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/jsonx',
    'application/octet-stream',
    'application/json, text/plain',
    '*/*',
    ';;;',
    'application/json; a="unterminated',
  ];
  for (const contentType of contentTypes)
    add('content-type', `Content-Type: ${contentType}`, { headers: { 'content-type': contentType }, body: baseBody ?? Buffer.from('{}') });
  const withoutContentType = Object.fromEntries(Object.entries(baseHeaders).filter(([key]) => key !== 'content-type'));
  cases.push({
    kind: 'content-type',
    label: 'a body without Content-Type',
    headers: withoutContentType,
    body: baseBody ?? Buffer.from('{}'),
  });
  return cases;
}

/** A fixed number of cases: round-robin over the kinds of input, each kind shuffled by the seed. */
function pick(cases: FuzzCase[], random: () => number): FuzzCase[] {
  const byKind = new Map<string, FuzzCase[]>();
  for (const c of cases) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c]);
  const queues = [...byKind.values()].map((group) => shuffle(group, random));
  const picked: FuzzCase[] = [];
  while (picked.length < CASES_PER_OPERATION && queues.some((q) => q.length > 0)) {
    for (const queue of queues) {
      const next = queue.shift();
      if (next && picked.length < CASES_PER_OPERATION) picked.push(next);
    }
  }
  return picked;
}

function principalsOf(operation: Operation): PrincipalName[] {
  const schemes = new Set((operation.security ?? []).flatMap((s) => Object.keys(s)));
  const principals: PrincipalName[] = [];
  if (schemes.has(SECURITY_SCHEMES.ownerKey) || schemes.has(SECURITY_SCHEMES.ownerKeyHeader)) principals.push('owner key');
  if (schemes.has(SECURITY_SCHEMES.session)) principals.push('console session');
  if (schemes.has(SECURITY_SCHEMES.contactKey)) principals.push('contact key', 'none');
  if (schemes.size === 0) principals.push('none');
  return principals;
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** A raw HTTP request: exact bytes, any method with a body, headers fetch would refuse. */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        timeout: ANSWER_WITHIN_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolvePromise({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () =>
      request.destroy(Object.assign(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`), { code: 'FUZZ_TIMEOUT' })),
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Internals that must never reach a client. */
const LEAKS: Array<[string, RegExp]> = [
  ['a stack frame', /\bat [\w.<>]+ \(|\w+\.(ts|js|mjs):\d+/],
  ['a file path', /node_modules|\/src\/|\/dist\/|\/tmp\/|\/work\/|\/home\//],
  ['SQL', /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|SQLITE_\w+|QueryFailedError|syntax error at|violates .* constraint)\b/i],
  ['an exception class name', /\b[A-Z][A-Za-z]*(Error|Exception)\b/],
];

/** What is wrong with an answer, or null when it is acceptable. */
function problemWith(answer: Answer): string | null {
  if (answer.status >= 500) return `status ${answer.status}`;
  if (answer.status < 400) return null;
  if (!/^application\/json/.test(answer.contentType)) return `content-type ${answer.contentType}`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    return 'a body that is not JSON';
  }
  const keys = Object.keys(body).sort();
  const shapeOk =
    body.statusCode === answer.status &&
    typeof body.error === 'string' &&
    typeof body.message === 'string' &&
    body.message.length > 0 &&
    (body.details === undefined || (typeof body.details === 'object' && body.details !== null)) &&
    keys.every((k) => ['details', 'error', 'message', 'statusCode'].includes(k));
  if (!shapeOk) return 'not the standard error shape';
  for (const [what, pattern] of LEAKS) if (pattern.test(answer.text)) return `${what} in the body`;
  return null;
}

describe('contract fuzzing: every operation of openapi.yaml, bad input of every kind', () => {
  const spec = parse(readFileSync(join(process.cwd(), 'openapi.yaml'), 'utf8')) as Spec;
  const operations: FuzzOperation[] = Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
  // Operations that end the principal they are sent with run last, so the others keep theirs.
  const ENDS_PRINCIPAL = new Set(['deleteSession', 'receiveContactRemoval']);
  operations.sort((a, b) => Number(ENDS_PRINCIPAL.has(a.operation.operationId)) - Number(ENDS_PRINCIPAL.has(b.operation.operationId)));

  let a: TestPortal;
  let b: TestPortal;
  let cookie: string;
  let contactKey: string;
  /** Who signs the calls made with contactKey: B, then the Portal behind insertContact()'s contacts. */
  let contactSigner: CallSigner;

  beforeAll(async () => {
    const env = {
      PORTAL_PUBLIC_REQUESTS_PER_MINUTE: '10000',
      PORTAL_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      PORTAL_LOGIN_MAX_ATTEMPTS: '10000',
      PORTAL_PEER_CONNECT_TIMEOUT_MS: '300',
      PORTAL_PEER_TIMEOUT_MS: '500',
      // The offered file below comes in 1 KiB chunks.
      PORTAL_FILE_MIN_CHUNK_BYTES: '1024',
    };
    [a, b] = await Promise.all([startPeer({ env }), startPeer({ env })]);
    const { aContactId } = await connect(a, b);
    // The key the two Portals share, as A holds it: B's real credential on A's federation routes.
    const row = await a.app.get(DataSource).getRepository(Contact).findOneByOrFail({ portalUrl: b.url });
    contactKey = a.app.get<SecretBox>(SECRET_BOX).open(row.keySealed!);
    contactSigner = b;
    cookie = await a.login();

    const client = a.client();
    const pending = await client.createFileUpload({ name: 'pending.bin', size: 3000, sha256: 'b'.repeat(64) });
    const complete = await sendFile(client, undefined, Buffer.from('hello fuzz'));
    const message = await client.sendMessage(aContactId, 'hello');
    const entry = await client.createGuestbookEntry({ name: 'Visitor', message: 'hi' });
    // A file B's key offers to A: a real incoming file behind the federation chunk routes.
    const offered = randomUUID();
    const offerBody = Buffer.from(
      JSON.stringify({
        id: offered,
        name: 'in.bin',
        size: 3000,
        sha256: 'c'.repeat(64),
        mime: 'application/octet-stream',
        chunkSize: 1024,
      }),
    );
    const offer = await send(
      a.config.port,
      'POST',
      '/api/federation/files',
      await peerCallHeaders(
        b,
        `${a.url}/api/federation/files`,
        'POST',
        { 'content-type': 'application/json', authorization: `Bearer ${contactKey}` },
        offerBody,
      ),
      offerBody,
    );
    expect(offer.status).toBeLessThan(300);
    fixture.pathValues = {
      getContact: { id: String(aContactId) },
      getFile: { id: complete },
      downloadFile: { id: complete },
      uploadFileChunk: { id: pending.id },
      getMessage: { id: message.id },
      updateGuestbookEntry: { id: String(entry.id) },
      receiveFederationFileChunk: { id: offered },
      completeFederationFile: { id: offered },
    };
    fixture.fields = { contactId: aContactId };
  }, 60_000);
  afterAll(async () => {
    agent.destroy();
    await Promise.all([a?.destroy(), b?.destroy()]);
  });

  it('reads every operation from the committed contract', () => {
    expect(operations.length).toBeGreaterThan(40);
    for (const op of operations) expect(op.operation.operationId).toEqual(expect.any(String));
  });

  it('every served route is an operation of the contract or listed as not fuzzed, with a reason', () => {
    const contract = new Set(operations.map((op) => `${op.method} ${op.path.replace(/\{([^}]+)\}/g, ':$1')}`));
    const unlisted = a
      .portal!.routes.map((r) => `${r.method} ${r.url.replace(/\*$/, '')}`)
      .filter((route) => !contract.has(route) && !NOT_FUZZED.some((n) => n.route.test(route) || n.route.test(route.replace(/\/$/, ''))));
    expect(unlisted).toEqual([]);
  });

  it('never answers bad input with a 5xx, a non-standard error or leaked internals', async () => {
    const random = prng(SEED);
    const failures: string[] = [];
    let sent = 0;
    const headersFor = (principal: PrincipalName): Record<string, string> => {
      switch (principal) {
        case 'owner key':
          return { authorization: `Bearer ${a.ownerKey}` };
        case 'console session':
          return { cookie, 'x-requested-with': CSRF_HEADER_VALUE };
        case 'contact key':
          return { authorization: `Bearer ${contactKey}` };
        case 'none':
          return {};
      }
    };
    for (const op of operations) {
      const cases = pick(casesFor(spec, op), random);
      expect(cases.length).toBe(Math.min(CASES_PER_OPERATION, casesFor(spec, op).length));
      for (const principal of principalsOf(op.operation)) {
        for (const fuzz of cases) {
          const path = `${fuzz.path ?? concretePath(op)}${fuzz.query !== undefined ? `?${fuzz.query}` : ''}`;
          let headers: Record<string, string> = { ...fuzz.headers, ...headersFor(principal) };
          // The contact's calls are signed like its Portal's, so that the bad input itself is what is judged.
          // (Header values no signature can cover, such as non-ASCII ones, go unsigned: the Portal judges them as they are.)
          if (principal === 'contact key') {
            headers = await peerCallHeaders(contactSigner, `${a.url}${path}`, op.method, headers, fuzz.body).catch(() => headers);
          }
          let problem: string | null;
          let answer: Answer | undefined;
          try {
            answer = await send(a.config.port, op.method, path, headers, fuzz.body);
            problem = problemWith(answer);
          } catch (error) {
            problem = (error as Error).message;
          }
          sent += 1;
          if (problem) {
            failures.push(`${op.method} ${op.path} [${principal}] ${fuzz.label}: ${problem} ${answer ? answer.text.slice(0, 160) : ''}`);
          }
          // The operations that end a credential: take a fresh one for the next case.
          if (answer && answer.status < 300 && op.operation.operationId === 'deleteSession') cookie = await a.login();
          if (answer && answer.status < 300 && op.operation.operationId === 'receiveContactRemoval') {
            contactKey = await insertContact(a);
            contactSigner = insertedPeer;
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(operations.length * 20);
  }, 120_000);
});
