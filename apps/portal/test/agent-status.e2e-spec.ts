import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { appendEvents, TestPortal, TestSocket, waitFor } from '@agent-p2p/testing';

/** GET /api/agent/status: whether an owner key follows the events right now (the console's "Bridge connected" sign). */
describe('agent status', () => {
  let portal: TestPortal;
  let cookie: string;
  beforeAll(async () => {
    portal = await TestPortal.start();
    cookie = await portal.login();
  });
  afterAll(async () => {
    await portal?.destroy();
  });

  const asOwner = async () => {
    const response = await fetch(`${portal.url}/api/agent/status`, { headers: { cookie } });
    expect(response.status).toBe(200);
    return (await response.json()) as {
      connected: boolean;
      sockets: number;
      polls: number;
      since: string | null;
      lastAckAt: string | null;
    };
  };

  it('counts owner-key sockets and long-polls, not console sockets; says since when and the last ack', async () => {
    expect(await portal.client().getAgentStatus()).toEqual({ connected: false, sockets: 0, polls: 0, since: null, lastAckAt: null });
    expect((await fetch(`${portal.url}/api/agent/status`)).status).toBe(401);

    // A console socket is no agent.
    const consoleSocket = await TestSocket.open(portal, { cookie });
    expect(await asOwner()).toMatchObject({ connected: false, sockets: 0 });

    const before = Date.now();
    const bridge = await TestSocket.open(portal, { authorization: `Bearer ${portal.ownerKey}` });
    const connected = await waitFor('the socket to count', async () => {
      const status = await asOwner();
      return status.connected ? status : undefined;
    });
    expect(connected).toMatchObject({ sockets: 1, polls: 0, lastAckAt: null });
    expect(Date.parse(connected.since!)).toBeGreaterThanOrEqual(before - 1000);

    const [event] = await appendEvents(portal, 1);
    await bridge.resume();
    bridge.send({ type: 'ack', seq: event.seq });
    await bridge.next((frame) => frame.type === 'acked');
    expect((await asOwner()).lastAckAt).not.toBeNull();

    await bridge.close();
    await waitFor('the socket to be gone', async () => !(await asOwner()).connected);

    // A long-poll in flight counts while it waits.
    const client = portal.client();
    const latest = (await client.listEvents({ limit: 1000 })).lastSeq;
    const poll = client.listEvents({ after: latest, wait: 3 });
    await waitFor('the long-poll to count', async () => (await asOwner()).polls === 1);
    expect((await asOwner()).connected).toBe(true);
    await poll;
    expect(await asOwner()).toMatchObject({ connected: false, polls: 0 });
    await consoleSocket.close();
  });
});
