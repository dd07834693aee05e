import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ServicePortal } from '@agent-p2p/testing';
describe('ServicePortal (services on a real database, no HTTP)', () => {
  let portal: ServicePortal;
  beforeAll(async () => {
    portal = await ServicePortal.open();
  });
  afterAll(async () => {
    await portal?.destroy();
  });

  it('has run the migrations', async () => {
    const tables =
      portal.dataSource.options.type === 'postgres'
        ? await portal.dataSource.query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`)
        : await portal.dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table'`);
    const names = (tables as Array<{ name: string }>).map((row) => row.name);
    expect(names).toEqual(expect.arrayContaining(['contacts', 'messages', 'outbox_items', 'events']));
  });
});
