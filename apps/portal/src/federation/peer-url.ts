// Portal URLs are normalised by common/portal-url.ts (the importer and the contacts feature use it too).
export { normalizePortalUrl } from '../common/portal-url';
