/** What an `Authorization` header holds, read the way Django REST framework's BasicAuthentication reads it. */
export type BasicAuthorization =
  | { readonly kind: 'absent' }
  | { readonly kind: 'malformed'; readonly problem: string }
  | { readonly kind: 'credentials'; readonly username: string; readonly password: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function parseBasicAuthorization(header: string | undefined): BasicAuthorization {
  const parts = (header ?? '').trim().split(/\s+/);
  // Another scheme (Bearer...) is not an attempt at Basic: answer as if no credentials came.
  if (parts[0]?.toLowerCase() !== 'basic') return { kind: 'absent' };
  if (parts.length === 1)
    return { kind: 'malformed', problem: 'Invalid basic header. No credentials provided.' };
  if (parts.length > 2) {
    return {
      kind: 'malformed',
      problem: 'Invalid basic header. Credentials string should not contain spaces.',
    };
  }
  const decoded = BASE64.test(parts[1]!) ? Buffer.from(parts[1]!, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    return { kind: 'malformed', problem: 'Invalid basic header. Credentials not correctly base64 encoded.' };
  }
  return { kind: 'credentials', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
