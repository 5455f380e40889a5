import type { Request } from 'express';

export const DEFAULT_PAGE_SIZE = 100;
/** Larger `limit` values are clamped to this, as Pulp does, rather than rejected. */
export const MAX_PAGE_SIZE = 1000;

export interface PageRequest {
  readonly offset: number;
  readonly limit: number;
}

export interface PulpList<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

function nonNegativeInteger(raw: unknown, field: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new PageParameterError(field);
  return value;
}

export class PageParameterError extends Error {
  constructor(readonly field: string) {
    super('A valid integer is required.');
  }
}

export function pageRequest(query: Record<string, unknown>): PageRequest {
  const limit = Math.min(nonNegativeInteger(query.limit, 'limit', DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
  return {
    offset: nonNegativeInteger(query.offset, 'offset', 0),
    limit: limit === 0 ? DEFAULT_PAGE_SIZE : limit,
  };
}

function fieldNames(raw: unknown): string[] {
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return values.flatMap((v) => String(v).split(',')).filter((v) => v !== '');
}

/**
 * Pulp's `fields` / `exclude_fields`: clients ask for a subset of each result's fields (pulp-glue sends them on
 * every list call). Unknown names are ignored, as Pulp does.
 */
export function selectFields<T>(request: Request, results: T[]): T[] {
  const include = fieldNames(request.query.fields);
  const exclude = new Set(fieldNames(request.query.exclude_fields));
  if (include.length === 0 && exclude.size === 0) return results;
  return results.map((result) => {
    const entries = Object.entries(result as Record<string, unknown>).filter(
      ([name]) => (include.length === 0 || include.includes(name)) && !exclude.has(name),
    );
    return Object.fromEntries(entries) as T;
  });
}

/** Pulp's list envelope; `next`/`previous` are absolute URLs that keep the request's other parameters. */
export function pulpList<T>(request: Request, page: PageRequest, count: number, results: T[]): PulpList<T> {
  const link = (offset: number): string => {
    const url = new URL(request.originalUrl, `${request.protocol}://${request.get('host') ?? 'localhost'}`);
    url.searchParams.set('limit', String(page.limit));
    url.searchParams.set('offset', String(offset));
    return url.toString();
  };
  return {
    count,
    next: page.offset + page.limit < count ? link(page.offset + page.limit) : null,
    previous: page.offset > 0 ? link(Math.max(0, page.offset - page.limit)) : null,
    results: selectFields(request, results),
  };
}
