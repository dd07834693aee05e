/**
 * A real OpenClaw gateway on loopback and a stub OpenAI-compatible model for it, shared by the
 * tests that `npm run test:openclaw` runs (the Bridge's and the channel plugin's). Node 24 and
 * openclaw come from the cache scripts/test-openclaw.mjs fills (OPENCLAW_TEST_NODE / OPENCLAW_TEST_ENTRY).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './test-portal';

export const NODE = process.env.OPENCLAW_TEST_NODE ?? '';
export const OPENCLAW = process.env.OPENCLAW_TEST_ENTRY ?? '';

export interface ModelTool {
  function?: { name?: string; parameters?: { properties?: Record<string, unknown>; required?: string[] } };
}

export interface ModelRequest {
  at: number;
  body: { messages?: Array<{ role: string; content: unknown; tool_call_id?: string }>; tools?: ModelTool[]; stream?: boolean };
  text: string;
}

/** A tool call the stub answers with: the tool's name and its arguments. */
export interface StubToolCall {
  name: string;
  args: Record<string, unknown>;
}

/**
 * A responder: a pattern finding a prompt it answers (global, with an `event` group naming what it
 * answers so each gets one tool call however often it is shown again) and the call to make, given the
 * tools offered (null: no call).
 */
export interface StubResponder {
  pattern: RegExp;
  call: (match: RegExpMatchArray, tools: ModelTool[], request: ModelRequest) => StubToolCall | null;
}

/** A responder that runs a shell command through the exec (or bash) tool. */
export function execResponder(pattern: RegExp, command: (match: RegExpMatchArray) => string): StubResponder {
  return {
    pattern,
    call: (match, tools) => {
      const exec = tools.map((t) => t.function?.name ?? '').find((name) => name === 'exec' || name === 'bash');
      return exec ? { name: exec, args: { command: command(match) } } : null;
    },
  };
}

/** A minimal OpenAI-compatible model: logs every request, answers what a responder matches with one tool call. */
export class StubModel {
  readonly requests: ModelRequest[] = [];
  readonly toolCalls: StubToolCall[] = [];
  private server!: Server;
  port = 0;
  private readonly answered = new Set<string>();
  /** Requests whose text matches are held unanswered (as if the model were slow) while set. */
  hold: RegExp | null = null;
  readonly held: ModelRequest[] = [];

  constructor(readonly responders: StubResponder[]) {}

  private callFor(text: string, tools: ModelTool[], request: ModelRequest): StubToolCall | null {
    for (const responder of this.responders) {
      for (const match of text.matchAll(responder.pattern)) {
        const key = `${this.responders.indexOf(responder)}:${match.groups?.event ?? match[0]}`;
        if (this.answered.has(key)) continue;
        const call = responder.call(match, tools, request);
        if (!call) continue;
        this.answered.add(key);
        return call;
      }
    }
    return null;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.method === 'GET' && req.url?.endsWith('/models')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ object: 'list', data: [{ id: 'mock-1', object: 'model', created: 0, owned_by: 'stub' }] }));
        }
        if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
          res.writeHead(404);
          return res.end();
        }
        let body: ModelRequest['body'] = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ModelRequest['body'];
        } catch {
          // logged as empty
        }
        const messages = body.messages ?? [];
        const text = messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join('\n');
        const request: ModelRequest = { at: Date.now(), body, text };
        this.requests.push(request);
        if (this.hold?.test(text)) {
          // Never answered: the connection ends when the gateway goes away.
          this.held.push(request);
          return;
        }
        this.answer(res, request);
      });
    });
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private answer(res: ServerResponse, request: ModelRequest): void {
    const messages = request.body.messages ?? [];
    const last = messages[messages.length - 1];
    // After a tool result the turn ends; otherwise any prompt not answered yet may be answered
    // (the newest text can sit in an earlier message than the last, e.g. before a reminder).
    const call = last && last.role !== 'tool' ? this.callFor(request.text, request.body.tools ?? [], request) : null;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
      `data: ${JSON.stringify({ id: 'chatcmpl-stub', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: 'mock-1', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    if (call) {
      this.toolCalls.push(call);
      res.write(
        chunk(
          {
            role: 'assistant',
            tool_calls: [
              {
                index: 0,
                id: `call_${this.toolCalls.length}`,
                type: 'function',
                function: { name: call.name, arguments: JSON.stringify(call.args) },
              },
            ],
          },
          null,
        ),
      );
      res.write(chunk({}, 'tool_calls'));
    } else {
      res.write(chunk({ role: 'assistant', content: 'OK.' }, null));
      res.write(chunk({}, 'stop'));
    }
    res.end('data: [DONE]\n\n');
  }
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A real OpenClaw gateway on loopback with isolated HOME/state/config/TMPDIR. */
export class Gateway {
  private child: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), 'ap2p-openclaw-'));
  readonly binDir = join(this.dir, 'bin');
  readonly configPath = join(this.dir, 'openclaw.json');
  readonly hooksToken = `hooks-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}${'x'.repeat(24)}`;
  port = 0;
  output = '';
  private env: Record<string, string> = {};

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get token(): string {
    return `gw-${this.hooksToken}`;
  }

  /**
   * Writes the isolated directories and openclaw.json (hooks, the stub model, full tools) without
   * starting anything; `extra` is merged into the top level of the config.
   */
  async prepare(modelPort: number, extra: Record<string, unknown> = {}): Promise<void> {
    if (!NODE || !OPENCLAW || !existsSync(NODE) || !existsSync(OPENCLAW)) {
      throw new Error('OpenClaw is not installed (OPENCLAW_TEST_NODE / OPENCLAW_TEST_ENTRY): run `npm run test:openclaw`');
    }
    this.port = await freePort();
    const home = join(this.dir, 'home');
    const state = join(this.dir, 'state');
    const tmp = join(this.dir, 'tmp');
    for (const d of [home, state, tmp, this.binDir]) mkdirSync(d, { recursive: true });
    const config = {
      gateway: { mode: 'local', port: this.port, bind: 'loopback', auth: { mode: 'token', token: this.token } },
      hooks: {
        enabled: true,
        token: this.hooksToken,
        path: '/hooks',
        allowedAgentIds: ['main'],
        allowRequestSessionKey: true,
        // The gateway refuses to start with prefixes that do not cover its default session key.
        defaultSessionKey: 'hook:agent-p2p:portal',
        allowedSessionKeyPrefixes: ['hook:agent-p2p:'],
      },
      logging: { file: join(this.dir, 'openclaw.log') },
      models: {
        mode: 'merge',
        providers: {
          mock: {
            baseUrl: `http://127.0.0.1:${modelPort}/v1`,
            apiKey: 'x',
            api: 'openai-completions',
            models: [
              {
                id: 'mock-1',
                name: 'Mock',
                reasoning: false,
                input: ['text'],
                cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
                contextWindow: 128000,
                maxTokens: 4096,
              },
            ],
          },
        },
      },
      agents: { defaults: { model: { primary: 'mock/mock-1' } } },
      tools: { profile: 'full', exec: { mode: 'full', pathPrepend: [this.binDir] } },
      ...extra,
    };
    writeFileSync(this.configPath, JSON.stringify(config, null, 2));
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !/^(NODE_OPTIONS|NODE_COMPILE_CACHE|JEST_|OPENCLAW_|AGENTP2P_|AGENT_P2P_)/.test(key)) env[key] = value;
    }
    Object.assign(env, {
      HOME: home,
      OPENCLAW_HOME: home,
      OPENCLAW_STATE_DIR: state,
      OPENCLAW_CONFIG_PATH: this.configPath,
      TMPDIR: tmp,
      PATH: `${this.binDir}:${join(NODE, '..')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    });
    this.env = env;
  }

  /** The config as the gateway (and its CLI) left it. */
  readConfig(): Record<string, unknown> {
    return JSON.parse(readFileSync(this.configPath, 'utf8')) as Record<string, unknown>;
  }

  /** Changes the config file (before start, or for the gateway's hot reload). */
  updateConfig(change: (config: Record<string, unknown>) => void): void {
    const config = this.readConfig();
    change(config);
    writeFileSync(this.configPath, JSON.stringify(config, null, 2));
  }

  /** Runs `openclaw <args>` with the gateway's environment (its CLI talks to this gateway). */
  async cli(args: string[], timeoutMs = 120_000, extraEnv: Record<string, string> = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(NODE, [OPENCLAW, ...args], {
        env: { ...this.env, ...extraEnv },
        cwd: this.env.HOME,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (data: Buffer) => (stdout += data.toString()));
      child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  }

  /** Prepares (when not yet) and starts the gateway; resolves when /readyz answers 200. */
  async start(modelPort?: number, extraEnv: Record<string, string> = {}): Promise<void> {
    if (!this.port) await this.prepare(modelPort ?? 0);
    const child = spawn(NODE, [OPENCLAW, 'gateway', 'run'], {
      env: { ...this.env, ...extraEnv },
      cwd: this.env.HOME,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (data: Buffer): void => {
      this.output = (this.output + data.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode}):\n${this.output.slice(-3000)}`);
      try {
        const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) });
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the gateway was not ready within 120 s:\n${this.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Ends the gateway process (SIGTERM, or SIGKILL at once for a crash), keeping its directory. */
  async halt(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
