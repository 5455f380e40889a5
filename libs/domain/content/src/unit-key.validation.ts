import { parseUnitKey, type UnitKey } from '@wharf/contracts';
import { isDigest, isValidTag } from '@wharf/oci';
import { InvalidUnitKeyError } from './repository.errors.js';

/** Refuses keys that could not name a unit: an unknown type, a bad digest, an invalid tag name. */
export function assertValidUnitKey(key: UnitKey): void {
  let parsed;
  try {
    parsed = parseUnitKey(key);
  } catch {
    throw new InvalidUnitKeyError(key, 'expected blob:<digest>, manifest:<digest> or tag:<name>@<digest>');
  }
  if (!isDigest(parsed.digest)) throw new InvalidUnitKeyError(key, `${parsed.digest} is not a digest`);
  if (parsed.type === 'tag' && !isValidTag(parsed.name ?? '')) {
    throw new InvalidUnitKeyError(key, `${parsed.name} is not a valid tag name`);
  }
}
