import { describe, expect, it } from '@jest/globals';
import { ConcurrencyGate } from './concurrency-gate';

describe('ConcurrencyGate', () => {
  it('admits up to its limit, refuses the next at once, and frees a place on release', () => {
    const gate = new ConcurrencyGate(2);
    const first = gate.tryEnter();
    const second = gate.tryEnter();
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    expect(gate.tryEnter()).toBeNull();
    first!();
    first!();
    expect(gate.inUse).toBe(1);
    const third = gate.tryEnter();
    expect(third).not.toBeNull();
    expect(gate.tryEnter()).toBeNull();
  });

  it('run() refuses without running the work when full, and releases after a failure', async () => {
    const gate = new ConcurrencyGate(1);
    let finish!: () => void;
    let ran = 0;
    const running = gate.run(
      () => new Promise<string>((resolve) => (finish = () => resolve('done'))),
      () => 'busy',
    );
    expect(
      await gate.run(
        async () => ((ran += 1), 'ran'),
        () => 'busy',
      ),
    ).toBe('busy');
    expect(ran).toBe(0);
    finish();
    expect(await running).toBe('done');
    await expect(
      gate.run(
        () => Promise.reject(new Error('boom')),
        () => 'busy',
      ),
    ).rejects.toThrow('boom');
    expect(gate.inUse).toBe(0);
  });
});
