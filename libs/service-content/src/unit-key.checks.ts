import { parseUnitKey, type UnitKey } from '@wharf/contracts';
import { InvalidTagError, InvalidUnitKeyError } from '@wharf/domain-content';
import { isDigest, isValidTag } from '@wharf/oci';
import { InvalidQueryError } from './content.errors.js';

/** Refuses a value from the bus that cannot name a unit, before anything is looked up. */
export function checkUnitKey(key: unknown): UnitKey {
  if (typeof key !== 'string') throw new InvalidUnitKeyError(String(key), 'a unit key is a string');
  let parsed;
  try {
    parsed = parseUnitKey(key);
  } catch {
    throw new InvalidUnitKeyError(key, 'expected blob:<digest>, manifest:<digest> or tag:<name>@<digest>');
  }
  if (!isDigest(parsed.digest)) throw new InvalidUnitKeyError(key, `${parsed.digest} is not a digest`);
  if (parsed.type === 'tag' && !isValidTag(parsed.name ?? '')) throw new InvalidTagError(parsed.name ?? '');
  return key;
}

export function checkUnitKeys(keys: unknown, field: string): UnitKey[] {
  if (keys === undefined) return [];
  if (!Array.isArray(keys)) throw new InvalidQueryError(field, 'Expected a list of content unit keys.');
  return [...new Set(keys.map(checkUnitKey))];
}

export function checkTagName(name: unknown): string {
  if (typeof name !== 'string' || !isValidTag(name)) throw new InvalidTagError(String(name));
  return name;
}
