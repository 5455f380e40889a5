import { ImageConfigInvalidError } from './oci.errors.js';

/** What the catalog keeps from an image config blob (Docker's or OCI's, which agree on these fields). */
export interface ImageConfigFacts {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
  readonly osVersion?: string;
  readonly labels: Readonly<Record<string, string>>;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function stringEntries(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry) => typeof entry[1] === 'string'));
}

/**
 * Reads an image config. Real-world configs omit fields freely (and builders write `"Labels": null`), so a
 * missing or odd field reads as empty ('' for os/architecture, as Pulp records them); only bytes that are
 * not a JSON object are refused.
 */
export function parseImageConfig(bytes: Uint8Array): ImageConfigFacts {
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ImageConfigInvalidError(`not UTF-8 JSON (${error instanceof Error ? error.message : error})`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ImageConfigInvalidError('not a JSON object');
  }
  const fields = document as Readonly<Record<string, unknown>>;
  const runConfig = fields['config'];
  const variant = stringOrUndefined(fields['variant']);
  const osVersion = stringOrUndefined(fields['os.version']);
  return {
    os: stringOrUndefined(fields['os']) ?? '',
    architecture: stringOrUndefined(fields['architecture']) ?? '',
    ...(variant !== undefined && { variant }),
    ...(osVersion !== undefined && { osVersion }),
    labels:
      typeof runConfig === 'object' && runConfig !== null
        ? stringEntries((runConfig as Record<string, unknown>)['Labels'])
        : {},
  };
}
