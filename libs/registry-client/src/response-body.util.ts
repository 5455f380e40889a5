import type { HttpResponse } from './http.transport.js';

export interface BoundedBody {
  readonly bytes: Buffer;
  /** The body was longer than the limit; reading stopped there and the connection was dropped. */
  readonly overLimit: boolean;
}

/** Reads a response body, but never holds more than `limit` bytes of it. */
export async function readBodyUpTo(response: HttpResponse, limit: number): Promise<BoundedBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    // Leaving the loop destroys the body, so the rest is never downloaded.
    if (size > limit) return { bytes: Buffer.concat(chunks), overLimit: true };
    chunks.push(chunk);
  }
  return { bytes: Buffer.concat(chunks), overLimit: false };
}

export interface RegistryErrorBody {
  readonly code?: string;
  readonly message?: string;
}

/** The first entry of the distribution spec's error body `{"errors":[{"code","message","detail"}]}`. */
export function parseRegistryErrorBody(bytes: Buffer): RegistryErrorBody {
  try {
    const document: unknown = JSON.parse(bytes.toString('utf8'));
    const errors = (document as { errors?: unknown }).errors;
    const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
    if (typeof first !== 'object' || first === null) return {};
    const { code, message } = first as { code?: unknown; message?: unknown };
    return {
      code: typeof code === 'string' ? code : undefined,
      message: typeof message === 'string' ? message : undefined,
    };
  } catch {
    return {};
  }
}
