import { describe, expect, it } from '@jest/globals';
import { isContactSessionKey, normalizeContactTarget, resolveAccount } from './config';
import { pairingIdOf, replyId, requestIdOfEntry } from './ids';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('channels.agent-p2p account', () => {
  const cfg = (section: Record<string, unknown>) => ({ channels: { 'agent-p2p': section } });

  it('takes the key from apiKey, or from the variable apiKeyEnv names', () => {
    expect(resolveAccount(cfg({ portalUrl: 'https://p.example/', apiKey: 'ap2p_o_abc' }))).toMatchObject({
      configured: true,
      portalUrl: 'https://p.example',
      apiKey: 'ap2p_o_abc',
      replyMode: 'message-tool',
      contactTools: 'restricted',
    });
    expect(resolveAccount(cfg({ portalUrl: 'https://p.example', apiKeyEnv: 'K' }), null, { K: 'ap2p_o_env' })).toMatchObject({
      configured: true,
      apiKey: 'ap2p_o_env',
    });
  });

  it('says what is missing or wrong instead of starting', () => {
    expect(resolveAccount(cfg({ apiKey: 'ap2p_o_x' })).problem).toBe('channels.agent-p2p.portalUrl is not set');
    expect(resolveAccount(cfg({ portalUrl: 'ftp://p.example', apiKey: 'ap2p_o_x' })).problem).toMatch(/must be an http\(s\) URL/);
    expect(resolveAccount(cfg({ portalUrl: 'https://p.example' })).problem).toMatch(/needs apiKey or apiKeyEnv/);
    expect(resolveAccount(cfg({ portalUrl: 'https://p.example', apiKeyEnv: 'K' }), null, {}).problem).toBe(
      'the environment variable K (channels.agent-p2p.apiKeyEnv) is not set',
    );
    expect(resolveAccount(cfg({ portalUrl: 'https://p.example', apiKey: 'ap2p_c_contactkey' })).problem).toMatch(/must start with ap2p_o_/);
    expect(resolveAccount({}).configured).toBe(false);
  });
});

describe('targets, sessions and ids', () => {
  it('a target is contact:<id>, agent-p2p:<id> or a bare id; nothing else', () => {
    expect(['contact:3', 'agent-p2p:3', ' 3 ', 'agent-p2p:contact:3', 'CONTACT:3'].map(normalizeContactTarget)).toEqual([
      '3',
      '3',
      '3',
      '3',
      '3',
    ]);
    expect(['', 'someone', 'contact:0', 'contact:-1', 'contact:1.5', '12345678901', 'request-3'].map(normalizeContactTarget)).toEqual(
      Array(7).fill(undefined),
    );
  });

  it("recognises a contact's session key and no other", () => {
    expect(isContactSessionKey('agent:main:agent-p2p:default:direct:3')).toBe(true);
    expect(isContactSessionKey('agent:main:main')).toBe(false);
    expect(isContactSessionKey('agent:main:telegram:default:direct:3')).toBe(false);
    expect(isContactSessionKey(undefined)).toBe(false);
  });

  it('reply ids are UUIDs fixed by the inbound message and the position', () => {
    const first = replyId('0b5c…message', 1);
    expect(first).toMatch(UUID);
    expect(replyId('0b5c…message', 1)).toBe(first);
    expect(replyId('0b5c…message', 2)).not.toBe(first);
    expect(replyId('another', 1)).not.toBe(first);
  });

  it('pairing ids are request-<n>; a contact id is never read as one', () => {
    expect(pairingIdOf(7)).toBe('request-7');
    expect(requestIdOfEntry('request-7')).toBe(7);
    expect(requestIdOfEntry('agent-p2p:request-7')).toBe(7);
    expect(['7', 'contact:7', 'agent-p2p:7', 'request-0', 'request-x'].map(requestIdOfEntry)).toEqual([null, null, null, null, null]);
  });
});
