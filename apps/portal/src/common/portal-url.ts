/**
 * Normalises a Portal URL given by a user or a peer: http(s), no credentials, query or fragment,
 * no trailing slash. Returns null when it is not acceptable.
 */
export function normalizePortalUrl(input: string, allowInsecure: boolean): string | null {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) return null;
  if (url.username || url.password || url.search || url.hash || !url.hostname) return null;
  return url.toString().replace(/\/+$/, '');
}
