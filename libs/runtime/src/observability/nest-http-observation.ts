import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { runInContext } from './operation-context.js';
import { observeHttpExchange, requestContext, setHttpRoute } from './http-observation.js';

/** Observes every exchange of a process's Nest HTTP server (the REST API, health and metrics ports). */
export function observeNestHttp(app: INestApplication): void {
  app.use((request: Request, response: Response, next: NextFunction) => {
    // Express knows the matched route only while it runs the handler; the response ends after that.
    response.once('finish', () => {
      if (request.route) setHttpRoute(response, `${request.baseUrl}${String(request.route.path)}`);
    });
    observeHttpExchange('api', request, response, () => next());
  });
}

/**
 * Puts the handler back into its request's context: body parsing resumes the middleware chain from stream
 * events, where the context the request started in is lost. Nest binds each handler to the async context in
 * which `handle()` is called, so calling it inside the request's context is enough.
 */
@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (execution.getType() !== 'http') return next.handle();
    const active = requestContext(execution.switchToHttp().getRequest<Request>());
    return active ? runInContext(active, () => next.handle()) : next.handle();
  }
}
