import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { BusTimeoutError, RemoteError, WrongExpectedVersionError } from '@wharf/ports';
import { PageParameterError } from './pagination.js';

/** A 400 whose body is keyed by the field at fault, as Pulp (Django REST framework) answers. */
export class FieldValidationException extends HttpException {
  constructor(fields: Record<string, string[]>) {
    super(fields, HttpStatus.BAD_REQUEST);
  }
}

/**
 * Maps every failure to the body shape Pulp's clients parse: `{"detail": "..."}` for 401/404/409/503, a
 * field-keyed object for 400. Errors from services arrive as RemoteError and keep their meaning.
 */
@Catch()
export class PulpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('gateway');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.toHttp(error);
    if (status >= 500) this.logger.error(`${status}: ${(error as Error)?.stack ?? String(error)}`);
    response.status(status).json(body);
  }

  private toHttp(error: unknown): [number, unknown] {
    if (error instanceof HttpException) {
      const status = error.getStatus();
      if (status === HttpStatus.NOT_FOUND) return [status, { detail: 'Not found.' }];
      const body = error.getResponse();
      if (status === HttpStatus.BAD_REQUEST && error instanceof FieldValidationException)
        return [status, body];
      const message = typeof body === 'string' ? body : error.message;
      return [status, { detail: message }];
    }
    if (error instanceof PageParameterError) {
      return [HttpStatus.BAD_REQUEST, { [error.field]: [error.message] }];
    }
    if (isBodyParserError(error)) {
      return [HttpStatus.BAD_REQUEST, { detail: `JSON parse error - ${error.message}` }];
    }
    if (error instanceof RemoteError) {
      switch (error.remoteName) {
        case 'ValidationError':
          return [HttpStatus.BAD_REQUEST, error.details ?? { non_field_errors: [error.message] }];
        case 'NotFoundError':
          return [HttpStatus.NOT_FOUND, { detail: error.message }];
        case 'ConflictError':
        case 'WrongExpectedVersionError':
          return [HttpStatus.CONFLICT, { detail: error.message }];
      }
    }
    if (error instanceof WrongExpectedVersionError) return [HttpStatus.CONFLICT, { detail: error.message }];
    if (error instanceof BusTimeoutError || isConnectionError(error)) {
      return [
        HttpStatus.SERVICE_UNAVAILABLE,
        { detail: 'A Wharf service is unavailable; try again shortly.' },
      ];
    }
    return [HttpStatus.INTERNAL_SERVER_ERROR, { detail: 'Internal server error.' }];
  }
}

function isBodyParserError(error: unknown): error is Error & { type: string } {
  return error instanceof Error && (error as { type?: unknown }).type === 'entity.parse.failed';
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return (
    typeof code === 'string' && ['CONNECTION_CLOSED', 'DISCONNECT', 'ECONNREFUSED', '503'].includes(code)
  );
}
