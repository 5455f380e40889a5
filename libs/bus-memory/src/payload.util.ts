import { RemoteError } from '@wharf/ports';

/**
 * Payloads are stored as JSON text, as they would travel over NATS: every receiver gets its own copy, and
 * values JSON cannot carry (a Date, a Map) reach handlers the same way on both buses.
 */
export function encodePayload(data: unknown, subject: string): string | undefined {
  try {
    return JSON.stringify(data);
  } catch (error) {
    throw new Error(`payload for '${subject}' is not JSON-serializable: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export function decodePayload<T>(text: string | undefined): T {
  return (text === undefined ? undefined : JSON.parse(text)) as T;
}

/** Turns whatever a request handler threw into the RemoteError its caller receives. */
export function toRemoteError(thrown: unknown): RemoteError {
  if (!(thrown instanceof Error)) return new RemoteError('Error', String(thrown));
  try {
    const details = (thrown as { details?: unknown }).details;
    return new RemoteError(
      thrown.name,
      thrown.message,
      decodePayload(encodePayload(details, 'error details')),
    );
  } catch {
    // Details JSON cannot carry (a cycle, a BigInt) must not hide the error itself, as over NATS.
    return new RemoteError(thrown.name, thrown.message);
  }
}
