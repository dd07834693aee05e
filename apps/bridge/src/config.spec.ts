import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configDirOf, readSavedConfig, resolveConfig, saveConfig } from './config';

describe('resolveConfig', () => {
  const dirs: string[] = [];
  const home = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ap2p-config-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('the config dir follows XDG_CONFIG_HOME, else HOME/.config', () => {
    expect(configDirOf({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/agent-p2p');
    expect(configDirOf({ HOME: '/h' })).toBe('/h/.config/agent-p2p');
    expect(configDirOf({ XDG_CONFIG_HOME: '  ', HOME: '/h' })).toBe('/h/.config/agent-p2p');
  });

  it('flags win over the environment, which wins over the saved file, field by field', () => {
    const dir = home();
    const env = { HOME: dir };
    saveConfig(configDirOf(env), { hubUrl: 'https://saved.example', apiKey: 'ap2p_o_saved' });
    expect(resolveConfig({}, env)).toEqual({
      hubUrl: 'https://saved.example',
      apiKey: 'ap2p_o_saved',
      configDir: join(dir, '.config', 'agent-p2p'),
    });
    expect(resolveConfig({}, { ...env, AGENTP2P_HUB_URL: 'https://env.example/' })).toMatchObject({
      hubUrl: 'https://env.example',
      apiKey: 'ap2p_o_saved',
    });
    expect(resolveConfig({ key: 'ap2p_o_flag' }, { ...env, AGENTP2P_API_KEY: 'ap2p_o_env' })).toMatchObject({
      hubUrl: 'https://saved.example',
      apiKey: 'ap2p_o_flag',
    });
    expect(resolveConfig({ hub: 'http://127.0.0.1:8080/portal/' }, env).hubUrl).toBe('http://127.0.0.1:8080/portal');
  });

  it('says how to fix a missing or broken configuration', () => {
    const dir = home();
    expect(() => resolveConfig({}, { HOME: dir })).toThrow(ConfigError);
    expect(() => resolveConfig({}, { HOME: dir })).toThrow(/agent-p2p login --hub URL --key KEY.*AGENTP2P_HUB_URL and AGENTP2P_API_KEY/);
    expect(() => resolveConfig({ hub: 'https://a.example' }, { HOME: dir })).toThrow(/no API key configured/);
    expect(() => resolveConfig({ hub: 'ftp://a.example', key: 'k' }, { HOME: dir })).toThrow(/http:\/\/ or https:\/\//);
    expect(() => resolveConfig({ hub: 'https://user:pw@a.example', key: 'k' }, { HOME: dir })).toThrow(/user name or password/);
    expect(() => resolveConfig({ hub: 'not a url', key: 'k' }, { HOME: dir })).toThrow(ConfigError);
    const configDir = configDirOf({ HOME: dir });
    saveConfig(configDir, { hubUrl: 'https://a.example', apiKey: 'k' });
    writeFileSync(join(configDir, 'config.json'), '{nope');
    expect(() => readSavedConfig(configDir)).toThrow(/not valid JSON/);
  });

  it('saves with directory mode 0700 and file mode 0600', () => {
    const dir = home();
    const configDir = configDirOf({ HOME: dir });
    const file = saveConfig(configDir, { hubUrl: 'https://a.example', apiKey: 'ap2p_o_x' });
    expect(statSync(configDir).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readSavedConfig(configDir)).toEqual({ hubUrl: 'https://a.example', apiKey: 'ap2p_o_x' });
  });
});
