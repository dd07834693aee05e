import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the agent-p2p command finds its Portal. */
export interface AgentP2pConfig {
  /** The Portal's URL, without a trailing slash. */
  hubUrl: string;
  /** An owner key (ap2p_o_…). */
  apiKey: string;
  /** $XDG_CONFIG_HOME/agent-p2p (default ~/.config/agent-p2p): config.json, Bridge state and status. */
  configDir: string;
}

/** Values given on the command line (they win over the environment and the saved login). */
export interface ConfigFlags {
  hub?: string;
  key?: string;
}

/** What `agent-p2p login` saves in <configDir>/config.json. */
export interface SavedConfig {
  hubUrl: string;
  apiKey: string;
}

/** The configuration is missing or unusable; the message says how to fix it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const HUB_URL_VARIABLE = 'AGENTP2P_HUB_URL';
export const API_KEY_VARIABLE = 'AGENTP2P_API_KEY';
export const CONFIG_FILE_NAME = 'config.json';

type Env = Record<string, string | undefined>;

/** The directory agent-p2p keeps its files in: $XDG_CONFIG_HOME/agent-p2p, else ~/.config/agent-p2p. */
export function configDirOf(env: Env = process.env): string {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  const base = xdg ? xdg : join(env.HOME?.trim() || homedir(), '.config');
  return join(base, 'agent-p2p');
}

export function configFileOf(configDir: string): string {
  return join(configDir, CONFIG_FILE_NAME);
}

/**
 * The Portal URL and key, each taken from the first place that has it: flags (--hub, --key), the
 * environment (AGENTP2P_HUB_URL, AGENTP2P_API_KEY), then the file saved by `agent-p2p login`.
 * Throws ConfigError (saying how to fix it) when either is missing or the URL is not http(s).
 */
export function resolveConfig(flags: ConfigFlags = {}, env: Env = process.env): AgentP2pConfig {
  const configDir = configDirOf(env);
  const fromFlagsOrEnv = {
    hubUrl: nonEmpty(flags.hub) ?? nonEmpty(env[HUB_URL_VARIABLE]),
    apiKey: nonEmpty(flags.key) ?? nonEmpty(env[API_KEY_VARIABLE]),
  };
  const saved = fromFlagsOrEnv.hubUrl && fromFlagsOrEnv.apiKey ? null : readSavedConfig(configDir);
  const hubUrl = fromFlagsOrEnv.hubUrl ?? saved?.hubUrl;
  const apiKey = fromFlagsOrEnv.apiKey ?? saved?.apiKey;
  if (!hubUrl || !apiKey) {
    const missing = [!hubUrl && 'Portal URL', !apiKey && 'API key'].filter(Boolean).join(' and ');
    throw new ConfigError(
      `no ${missing} configured: run "agent-p2p login --hub URL --key KEY", or set ${HUB_URL_VARIABLE} and ${API_KEY_VARIABLE}, or pass --hub and --key`,
    );
  }
  return { hubUrl: normalizeHubUrl(hubUrl), apiKey, configDir };
}

/** Checks a Portal URL (http or https, no credentials) and drops trailing slashes. */
export function normalizeHubUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConfigError(`the Portal URL is not a URL: ${JSON.stringify(value)} (expected e.g. https://portal.example.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`the Portal URL must start with http:// or https:// (got ${url.protocol})`);
  }
  if (url.username || url.password) throw new ConfigError('the Portal URL must not contain a user name or password');
  if (url.search || url.hash) throw new ConfigError('the Portal URL must not have a query or fragment');
  return url.toString().replace(/\/+$/, '');
}

/** The saved login, or null when there is none. Throws ConfigError when the file is unreadable. */
export function readSavedConfig(configDir: string): SavedConfig | null {
  const file = configFileOf(configDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`${file} is not valid JSON: run "agent-p2p login --hub URL --key KEY" again`);
  }
  const saved = parsed as Partial<SavedConfig> | null;
  if (!saved || typeof saved.hubUrl !== 'string' || typeof saved.apiKey !== 'string') {
    throw new ConfigError(`${file} lacks hubUrl or apiKey: run "agent-p2p login --hub URL --key KEY" again`);
  }
  return { hubUrl: saved.hubUrl, apiKey: saved.apiKey };
}

/** Saves the login: directory mode 0700, file mode 0600, written whole (temporary file + rename). */
export function saveConfig(configDir: string, config: SavedConfig): string {
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  chmodSync(configDir, 0o700);
  const file = configFileOf(configDir);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ hubUrl: config.hubUrl, apiKey: config.apiKey }, null, 2) + '\n', { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
  return file;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
