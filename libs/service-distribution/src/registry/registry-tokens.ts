import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What a bearer token lets its holder do: pull these repository names and push to those, until `expiresAt`
 * (epoch seconds). Tokens issued before push existed carry no `push`, which grants nothing.
 */
export interface RegistryGrant {
  readonly subject: string;
  readonly pull: readonly string[];
  readonly push?: readonly string[];
  readonly expiresAt: number;
}

/**
 * Bearer tokens of the registry's token endpoint: `base64url(grant JSON).base64url(HMAC-SHA256)`. Only this
 * registry reads them, so a shared-key MAC is enough (no JWT, no key distribution): every replica that has
 * the same key accepts every replica's tokens.
 */
export class RegistryTokens {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    this.#key = Buffer.from(key);
  }

  issue(grant: RegistryGrant): string {
    const payload = Buffer.from(JSON.stringify(grant)).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The grant a token carries, or undefined when it is forged, altered, malformed or expired at `now`. */
  verify(token: string, now: Date): RegistryGrant | undefined {
    const [payload, mac, ...rest] = token.split('.');
    if (!payload || !mac || rest.length > 0) return undefined;
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let grant: RegistryGrant;
    try {
      grant = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as RegistryGrant;
    } catch {
      return undefined;
    }
    if (typeof grant.expiresAt !== 'number' || grant.expiresAt * 1000 <= now.getTime()) return undefined;
    if (!Array.isArray(grant.pull) || (grant.push !== undefined && !Array.isArray(grant.push)))
      return undefined;
    return grant;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}
