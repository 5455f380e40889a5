import express, { type NextFunction, type Request, type Response } from 'express';

const parseJson = express.json({ limit: '4mb', strict: true });

/**
 * Parses JSON request bodies and answers malformed ones with a 400 in Pulp's `{"detail"}` shape. Installed
 * here rather than by Nest's default body parser because errors in that parser never reach exception filters.
 */
export function jsonBody(request: Request, response: Response, next: NextFunction): void {
  parseJson(request, response, (error?: unknown) => {
    if (error) {
      response.status(400).json({ detail: `JSON parse error - ${(error as Error).message}` });
      return;
    }
    next();
  });
}
