import { describe, expect, it } from '@jest/globals';
import { isContactSessionKey, normalizeContactTarget, resolveAccount } from './config';
import { captionId, fileSendId, inboundIdOf, pairingIdOf, replyId, requestIdOfEntry, textSendId } from './ids';

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

  it('sends answering a Portal message get ids fixed by it; other sends none', () => {
    const inbound = '0B5C6A1E-1F2D-4E3C-9A8B-7C6D5E4F3A2B';
    expect(inboundIdOf(inbound)).toBe(inbound.toLowerCase());
    expect(['', 'contact:3', '1700000000.123', null, undefined, 42].map(inboundIdOf)).toEqual([null, null, null, null, null, null]);
    const file = { sha256: 'ab'.repeat(32), name: 'report.pdf' };
    const id = fileSendId(inbound, 3, file);
    expect(id).toMatch(UUID);
    expect(fileSendId(inbound, 3, { ...file, sha256: file.sha256.toUpperCase() })).toBe(id);
    expect(
      new Set([
        fileSendId(inbound, 4, file),
        fileSendId(inbound, 3, { ...file, name: 'other.pdf' }),
        fileSendId(inbound, 3, { ...file, sha256: 'cd'.repeat(32) }),
        fileSendId('another', 3, file),
      ]).has(id),
    ).toBe(false);
    expect(captionId(id)).toMatch(UUID);
    expect(captionId(id)).not.toBe(id);
    expect(textSendId(inbound, 3, 'pong')).toBe(textSendId(inbound, 3, 'pong'));
    expect(textSendId(inbound, 3, 'pong')).not.toBe(textSendId(inbound, 3, 'pong!'));
    expect(textSendId(inbound, 3, 'pong')).not.toBe(textSendId(inbound, 4, 'pong'));
  });

  it('pairing ids are request-<n>; a contact id is never read as one', () => {
    expect(pairingIdOf(7)).toBe('request-7');
    expect(requestIdOfEntry('request-7')).toBe(7);
    expect(requestIdOfEntry('agent-p2p:request-7')).toBe(7);
    expect(['7', 'contact:7', 'agent-p2p:7', 'request-0', 'request-x'].map(requestIdOfEntry)).toEqual([null, null, null, null, null]);
  });
});
