// The helpers every test shares: real Portals (in-process, as processes, as services on a real
// database), peers, the CLI runner, a real OpenClaw gateway, HTTP and file helpers, fixtures.
export * from './cli-runner';
export * from './console-browser';
export * from './console-build';
export * from './event-helpers';
export * from './fake-peer';
export * from './files';
export * from './http';
export * from './openclaw-gateway';
export * from './pair';
export * from './portal-process';
export * from './process-peer';
export * from './service-portal';
export * from './signed-fetch';
export * from './test-portal';
export * from './tls';
export * from './v09-fixture';
export * from './wake-hooks';
// Entities that tests of other apps use to seed a Portal's database directly.
export { ContactRequest } from '@agent-p2p/portal/src/contacts/entities/contact-request.entity';
export { Contact } from '@agent-p2p/portal/src/contacts/entities/contact.entity';
export { PortalEvent } from '@agent-p2p/portal/src/events/entities/portal-event.entity';
export { GuestbookEntry } from '@agent-p2p/portal/src/guestbook/entities/guestbook-entry.entity';
