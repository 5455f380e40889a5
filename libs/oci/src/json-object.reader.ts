import { parseDigest } from './digest.util.js';
import { InvalidDigestError, ManifestInvalidError } from './oci.errors.js';

type JsonObject = Readonly<Record<string, unknown>>;

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Quotes a value for a message, cut short: a hostile manifest must not blow up logs. */
function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Typed access to one JSON object of a manifest. Every accessor either returns a value of the promised type
 * or throws ManifestInvalidError naming the field's full path, so parsers never meet a surprise type and
 * every rejection tells the user which field to fix.
 */
export class JsonObjectReader {
  private constructor(
    private readonly value: JsonObject,
    /** Path of this object from the document root ('' for the root). */
    readonly path: string,
  ) {}

  static of(value: unknown, path: string): JsonObjectReader {
    if (!isJsonObject(value)) {
      throw new ManifestInvalidError(path, `expected an object, got ${describe(value)}`);
    }
    return new JsonObjectReader(value, path);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.value, key) && this.value[key] !== undefined;
  }

  pathOf(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  invalid(key: string, reason: string): ManifestInvalidError {
    return new ManifestInvalidError(this.pathOf(key), reason);
  }

  optionalString(key: string): string | undefined {
    if (!this.has(key)) return undefined;
    const value = this.value[key];
    if (typeof value !== 'string') throw this.invalid(key, `expected a string, got ${describe(value)}`);
    return value;
  }

  requiredString(key: string): string {
    const value = this.optionalString(key);
    if (value === undefined) throw this.invalid(key, 'missing');
    return value;
  }

  requiredNonEmptyString(key: string): string {
    const value = this.requiredString(key);
    if (value === '') throw this.invalid(key, 'empty');
    return value;
  }

  optionalNumber(key: string): number | undefined {
    if (!this.has(key)) return undefined;
    const value = this.value[key];
    if (typeof value !== 'number') throw this.invalid(key, `expected a number, got ${describe(value)}`);
    return value;
  }

  /** A byte count: a non-negative integer that JavaScript represents exactly. */
  requiredSize(key: string): number {
    const value = this.optionalNumber(key);
    if (value === undefined) throw this.invalid(key, 'missing');
    if (!Number.isSafeInteger(value) || value < 0) {
      throw this.invalid(key, `not a size (a non-negative integer): ${value}`);
    }
    return value;
  }

  requiredDigest(key: string): string {
    const value = this.requiredString(key);
    try {
      parseDigest(value);
    } catch (error) {
      if (!(error instanceof InvalidDigestError)) throw error;
      throw this.invalid(key, `not a digest: ${quote(value)} (${error.reason})`);
    }
    return value;
  }

  optionalObject(key: string): JsonObjectReader | undefined {
    if (!this.has(key)) return undefined;
    return JsonObjectReader.of(this.value[key], this.pathOf(key));
  }

  requiredObject(key: string): JsonObjectReader {
    const reader = this.optionalObject(key);
    if (!reader) throw this.invalid(key, 'missing');
    return reader;
  }

  optionalArray(key: string): readonly unknown[] | undefined {
    if (!this.has(key)) return undefined;
    const value = this.value[key];
    if (!Array.isArray(value)) throw this.invalid(key, `expected an array, got ${describe(value)}`);
    return value;
  }

  requiredArray(key: string): readonly unknown[] {
    const value = this.optionalArray(key);
    if (value === undefined) throw this.invalid(key, 'missing');
    return value;
  }

  /** The elements of an array of objects, each a reader whose path is `key[i]`. */
  requiredObjectArray(key: string): JsonObjectReader[] {
    return this.requiredArray(key).map((element, index) =>
      JsonObjectReader.of(element, `${this.pathOf(key)}[${index}]`),
    );
  }

  optionalStringArray(key: string): string[] | undefined {
    const value = this.optionalArray(key);
    if (value === undefined) return undefined;
    return value.map((element, index) => {
      if (typeof element !== 'string') {
        throw new ManifestInvalidError(
          `${this.pathOf(key)}[${index}]`,
          `expected a string, got ${describe(element)}`,
        );
      }
      return element;
    });
  }

  /** A string-to-string map such as `annotations`; an absent one reads as empty. */
  stringMap(key: string): Readonly<Record<string, string>> {
    const reader = this.optionalObject(key);
    if (!reader) return {};
    const entries = Object.entries(reader.value);
    for (const [name, value] of entries) {
      if (typeof value !== 'string') {
        throw new ManifestInvalidError(reader.pathOf(name), `expected a string, got ${describe(value)}`);
      }
    }
    // fromEntries defines own properties, so a key like "__proto__" stays a plain key.
    return Object.fromEntries(entries) as Record<string, string>;
  }
}
