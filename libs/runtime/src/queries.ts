import { Injectable } from '@nestjs/common';
import { BusConsumer, MessageBus } from '@wharf/ports';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  type QueryMap,
  type QuerySubject,
} from '@wharf/contracts';

type Request<S extends QuerySubject> = QueryMap[S]['request'];
type Response<S extends QuerySubject> = QueryMap[S]['response'];

/** Request/reply over the bus, typed by the QueryMap in @wharf/contracts. */
@Injectable()
export class Queries {
  constructor(private readonly bus: MessageBus) {}

  ask<S extends QuerySubject>(
    subject: S,
    request: Request<S>,
    headers?: Record<string, string>,
  ): Promise<Response<S>> {
    return this.bus.request<Request<S>, Response<S>>(subject, request, { timeoutMs: 15_000, headers });
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
