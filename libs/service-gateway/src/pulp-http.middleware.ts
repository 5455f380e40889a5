import type { NextFunction, Request, Response } from 'express';

/**
 * HTTP details Pulp's generated clients depend on, applied to every response:
 * - JSON is `Content-Type: application/json` exactly: the bindings compare the media type to the OpenAPI
 *   document literally, and Express would append `; charset=utf-8`.
 * - A `Correlation-Id` request header is echoed back unchanged.
 */
export function pulpHttpConventions(request: Request, response: Response, next: NextFunction): void {
  const correlationId = request.header('correlation-id');
  if (correlationId) response.setHeader('Correlation-Id', correlationId);
  const setHeader = response.setHeader.bind(response);
  response.setHeader = (name: string, value: number | string | readonly string[]) => {
    if (
      name.toLowerCase() === 'content-type' &&
      typeof value === 'string' &&
      value.startsWith('application/json')
    ) {
      return setHeader(name, 'application/json');
    }
    return setHeader(name, value);
  };
  next();
}
