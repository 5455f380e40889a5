import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { setRequestActor } from '@wharf/runtime';
import { isPulpApiPath, routePaths } from '../openapi/route-metadata.js';
import { AdminCredentials } from './admin-credentials.js';
import { parseBasicAuthorization, type BasicAuthorization } from './basic-authorization.js';
import { isPublic } from './public.decorator.js';

const AUTHENTICATE_HEADER = 'Basic realm="Wharf"';

/**
 * HTTP Basic on every route of the Pulp API except those marked @Public (status/, docs/api.json). The scope
 * is decided from the routes as declared, not from the request URL, which Express matches case-insensitively.
 * Routes outside /pulp/api/v3/ (/healthz, /readyz, other services' own HTTP) keep their own rules.
 * Failures answer 401 with a `WWW-Authenticate` challenge and Django REST framework's wording, which Pulp's
 * clients show to users; neither the attempt's password nor the real one is ever logged.
 */
@Injectable()
export class BasicAuthGuard implements CanActivate {
  constructor(private readonly credentials: AdminCredentials) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http' || !this.needsCredentials(context.getClass(), context.getHandler())) {
      return true;
    }
    const http = context.switchToHttp();
    const authorization = parseBasicAuthorization(http.getRequest<Request>().header('authorization'));
    const problem = this.problemWith(authorization);
    if (problem === undefined) {
      // The events this request causes, in any service, name who made it (the audit log's "who").
      if (authorization.kind === 'credentials') setRequestActor(http.getRequest(), authorization.username);
      return true;
    }
    http.getResponse<Response>().setHeader('WWW-Authenticate', AUTHENTICATE_HEADER);
    throw new UnauthorizedException(problem);
  }

  /** Why the request is refused, or undefined when it carries the admin's credentials. */
  private problemWith(authorization: BasicAuthorization): string | undefined {
    switch (authorization.kind) {
      case 'absent':
        return 'Authentication credentials were not provided.';
      case 'malformed':
        return authorization.problem;
      case 'credentials':
        return this.credentials.matches(authorization.username, authorization.password)
          ? undefined
          : 'Invalid username/password.';
    }
  }

  private needsCredentials(controller: object, handler: object): boolean {
    return !isPublic(controller, handler) && routePaths(controller, handler).some(isPulpApiPath);
  }
}
