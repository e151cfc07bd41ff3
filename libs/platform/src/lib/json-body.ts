import { json, NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpProblem } from './problem-details.filter';

// body-parser's error types, turned into details written for the client.
const DETAIL: Record<string, string> = {
  'entity.too.large': 'the request body is larger than this server accepts',
  'entity.parse.failed': 'the request body is not valid JSON',
  'charset.unsupported': 'the request body must be UTF-8',
  'encoding.unsupported': 'the request body must not be compressed',
  'request.aborted': 'the request body was not received completely',
  'request.size.invalid': 'the request body does not match its Content-Length',
};

/** Parses JSON bodies up to `limit` bytes; its errors become problems with a clear detail. */
export function jsonBody(limit: number): RequestHandler {
  const parse = json({ limit });
  return (request: Request, response: Response, next: NextFunction) =>
    parse(request, response, (error?: unknown) => {
      if (!error) return next();
      const { type, status } = error as { type?: string; status?: number };
      next(type && status && status < 500 ? new HttpProblem(status, DETAIL[type] ?? 'the request body cannot be read') : error);
    });
}
