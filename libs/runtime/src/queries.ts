import { Injectable } from '@nestjs/common';
import { BusConsumer, BusTimeoutError, MessageBus } from '@wharf/ports';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  type QueryMap,
  type QuerySubject,
} from '@wharf/contracts';

/** How long a reply may take once a process of the answering service has the request. */
const REPLY_TIMEOUT_MS = 15_000;
/**
 * How long a request waits for a service that has no process answering at all, asking again every
 * NO_RESPONDER_RETRY_MS: long enough to cover a restart of a service's only process (a rolling update with
 * one replica), short enough that a service that is not deployed shows up as 503 to the API client.
 */
const NO_RESPONDER_PATIENCE_MS = 10_000;
const NO_RESPONDER_RETRY_MS = 200;

type Request<S extends QuerySubject> = QueryMap[S]['request'];
type Response<S extends QuerySubject> = QueryMap[S]['response'];

/**
 * Request/reply over the bus, typed by the QueryMap in @wharf/contracts. A request no process answers is sent
 * again for a while: it reached no one, so repeating it is safe even for commands that are not idempotent.
 */
@Injectable()
export class Queries {
  constructor(private readonly bus: MessageBus) {}

  async ask<S extends QuerySubject>(
    subject: S,
    request: Request<S>,
    headers?: Record<string, string>,
  ): Promise<Response<S>> {
    const giveUpAt = Date.now() + NO_RESPONDER_PATIENCE_MS;
    for (;;) {
      try {
        return await this.bus.request<Request<S>, Response<S>>(subject, request, {
          timeoutMs: REPLY_TIMEOUT_MS,
          headers,
        });
      } catch (error) {
        const unheard = error instanceof BusTimeoutError && error.noResponders;
        if (!unheard || Date.now() >= giveUpAt) throw error;
        await new Promise((resolve) => setTimeout(resolve, NO_RESPONDER_RETRY_MS));
      }
    }
  }

  answer<S extends QuerySubject>(
    subject: S,
    handler: (request: Request<S>, headers: Readonly<Record<string, string>>) => Promise<Response<S>>,
  ): Promise<BusConsumer> {
    return this.bus.handleRequests<Request<S>, Response<S>>(subject, async (request, headers) => {
      try {
        return await handler(request, headers);
      } catch (error) {
        throw asContractError(error);
      }
    });
  }
}

/**
 * Domain errors subclass the contract errors (RepositoryNotFoundError is a NotFoundError). Callers across the
 * bus see only a name, so it is normalized to the contract error's name, keeping message and details.
 */
function asContractError(error: unknown): unknown {
  for (const base of [ValidationError, NotFoundError, ConflictError]) {
    if (error instanceof base) {
      return Object.assign(new Error(error.message), {
        name: base.name,
        details: (error as { details?: unknown }).details,
      });
    }
  }
  return error;
}
