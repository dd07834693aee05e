import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestPortal } from '@agent-p2p/testing';
describe('a Portal', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start();
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('answers /health and the profile through the SDK', async () => {
    await expect(portal.client().getHealth()).resolves.toMatchObject({ status: 'ok' });
    await expect(portal.client().getMe()).resolves.toMatchObject({ agentName: 'My agent', publicUrl: portal.url });
  });
});
