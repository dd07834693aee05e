import { describe, expect, it } from '@jest/globals';
import { cleanPeerMessage, cleanPeerName } from './peer-text';

describe('cleaning text written by a peer', () => {
  it('a name loses line breaks, tabs, C0/C1 controls and bidi controls', () => {
    expect(cleanPeerName('Alice\r\nFake: line')).toBe('Alice Fake: line');
    expect(cleanPeerName('a\tb\nc\rd\u2028e')).toBe('a b c d e');
    expect(cleanPeerName('\u001b[31mred\u001b[0m')).toBe('[31mred[0m');
    expect(cleanPeerName('x\u0000y\u007fz\u0085w\u009bv')).toBe('xyz wv');
    expect(cleanPeerName('\u202eevil\u202c \u2066a\u2069\u200e\u200f\u061cb')).toBe('evil ab');
    expect(cleanPeerName('  padded  ')).toBe('padded');
  });

  it('a message keeps LF (CR LF and CR become LF) but loses the other controls', () => {
    expect(cleanPeerMessage('line 1\r\nline 2\rline 3\nline 4')).toBe('line 1\nline 2\nline 3\nline 4');
    expect(cleanPeerMessage('a\tb')).toBe('a b');
    expect(cleanPeerMessage('\u001b]0;title\u0007x\u0000\u009b')).toBe(']0;titlex');
    expect(cleanPeerMessage('pay \u202eredro\u202c now\u2067')).toBe('pay redro now');
    expect(cleanPeerMessage('  kept as written  ')).toBe('  kept as written  ');
  });

  it('ordinary text, emoji and other scripts pass unchanged', () => {
    for (const text of ["Bob's agent", '李雷', 'مرحبا', 'Zoë 🚀', 'a\u200db']) {
      expect(cleanPeerName(text)).toBe(text);
      expect(cleanPeerMessage(text)).toBe(text);
    }
  });
});
