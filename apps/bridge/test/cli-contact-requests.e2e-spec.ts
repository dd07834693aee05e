import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCliBuilt, expectOk, freePort, runIn, startPeer, type TestPortal, waitFor } from '@agent-p2p/testing';

/** What `agent-p2p contacts` says became of a contact request: the true state, not "their owner has to approve". */
describe('agent-p2p contacts: contact-request delivery states', () => {
  let a: TestPortal;
  let b: TestPortal;
  let strict: TestPortal;
  let home: string;
  const cliA = (args: string[]) => runIn(home, args, { env: { AGENTP2P_HUB_URL: a.url, AGENTP2P_API_KEY: a.ownerKey } });

  beforeAll(async () => {
    ensureCliBuilt();
    home = mkdtempSync(join(tmpdir(), 'ap2p-cli-home-'));
    [a, b, strict] = await Promise.all([startPeer(), startPeer(), startPeer({ env: { PORTAL_ALLOW_INSECURE_PEERS: 'false' } })]);
  });
  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy(), strict?.destroy()]);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('an unreachable URL: add --wait and show say undelivered, with the attempts and the error', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const added = await cliA(['contacts', 'add', nobody, '--wait', '10']);
    expectOk(added);
    const id = Number(/^Contact (\d+) /.exec(added.stdout)?.[1]);
    expect(added.stdout).toMatch(
      new RegExp(
        `^Contact ${id} \\(<<<untrusted ${nobody} >>>\\) is pending: undelivered after \\d+ attempts?, still retrying: <<<untrusted .*127\\.0\\.0\\.1.* >>>\\.`,
      ),
    );
    expect(added.stdout).toContain('the Portal keeps trying');
    expect(added.stdout).not.toContain('their owner has to approve');

    await waitFor('3 attempts', async () => ((await a.client().getContact(id)).request?.attempts ?? 0) >= 3);
    const shown = await cliA(['contacts', 'show', String(id)]);
    expectOk(shown);
    expect(shown.stdout).toMatch(/is pending: undelivered after ([3-9]|\d\d+) attempts, still retrying: <<<untrusted /);
    const listed = await cliA(['contacts', 'list']);
    expectOk(listed);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+pending\\s+undelivered \\(\\d+ attempts\\)`, 'm'));
    expect(listed.stdout).toContain(`Contact ${id} is pending: undelivered after`);

    const events = await cliA(['events', '--after', '0']);
    expectOk(events);
    expect(events.stdout).toMatch(
      new RegExp(
        `contact.request_failed  contact ${id} <<<untrusted ${nobody} >>>: undelivered after 3 attempts, still retrying: <<<untrusted `,
      ),
    );
  });

  it('a policy refusal: refused by their Portal, with its reason', async () => {
    const added = await cliA(['contacts', 'add', strict.url, '--wait', '10']);
    expectOk(added);
    const id = Number(/^Contact (\d+) /.exec(added.stdout)?.[1]);
    expect(added.stdout).toMatch(/is refused by their Portal: <<<untrusted 400 fromPortal must be an https URL[^>]*>>>\./);
    expect(added.stdout).toContain('`agent-p2p contacts add <PORTAL>` sends a new request');
    const shown = await cliA(['contacts', 'show', String(id)]);
    expectOk(shown);
    expect(shown.stdout).toContain(`Contact ${id} (<<<untrusted ${strict.url} >>>) is refused by their Portal: <<<untrusted 400 `);
    expect(shown.stdout).not.toContain('rejected by their owner');
    const listed = await cliA(['contacts', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+rejected\\s+refused`, 'm'));
    const events = await cliA(['events', '--after', '0']);
    expect(events.stdout).toContain(
      `contact.request_failed  contact ${id} <<<untrusted ${strict.url} >>>: refused by their Portal: <<<untrusted 400 `,
    );
  });

  it('delivered, waiting for their owner; then rejected by their owner', async () => {
    const added = await cliA(['contacts', 'add', b.url, '--message', 'hi', '--wait', '10']);
    expectOk(added);
    const id = Number(/^Contact (\d+) /.exec(added.stdout)?.[1]);
    expect(added.stdout.trim()).toBe(`Contact ${id} (<<<untrusted ${b.url} >>>) is pending: delivered, waiting for their owner.`);

    const request = await waitFor('B to verify the request', async () =>
      (await b.client().listContactRequests('pending')).find((r) => r.portalUrl === a.url),
    );
    await b.client().rejectContactRequest(request.id);
    await waitFor('A to see the rejection', async () => (await a.client().getContact(id)).status === 'rejected');
    const shown = await cliA(['contacts', 'show', String(id)]);
    expectOk(shown);
    expect(shown.stdout).toContain(`Contact ${id} (<<<untrusted ${b.url} >>>) is rejected by their owner.`);
    const events = await cliA(['events', '--after', '0']);
    expect(events.stdout).toContain(
      `contact.request_delivered  contact ${id} <<<untrusted ${b.url} >>>: our request arrived, waiting for their owner`,
    );
    expect(events.stdout).toContain(`contact.rejected  contact ${id} <<<untrusted ${b.url} >>>: rejected by their owner`);

    // Without --wait the answer comes at once: still sending.
    const quick = await cliA(['contacts', 'add', `http://127.0.0.1:${await freePort()}`]);
    expectOk(quick);
    expect(quick.stdout).toMatch(/is pending: sending the request to their Portal\./);
  });
});
