export * from './browser';
export { PortalEventStream, PortalEventStreamRefusedError, type PortalEventStreamOptions } from './event-stream';
