import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { ServiceConfig } from './config';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;
const LOG_CONTEXT = Symbol('logContext');

/** What may be logged about a request: a transaction id, a certificate serial, a key fingerprint. */
export interface RequestLogContext {
  transactionId?: string;
  certificateSerial?: string;
  keyFingerprint?: string;
}

/** Adds fields to the one log line written when the request completes. */
export function addLogContext(request: object, context: RequestLogContext): void {
  const holder = request as { [LOG_CONTEXT]?: RequestLogContext };
  holder[LOG_CONTEXT] = { ...holder[LOG_CONTEXT], ...context };
}

function withLogContext(req: IncomingMessage, line: object): object {
  const context = (req as { [LOG_CONTEXT]?: RequestLogContext })[LOG_CONTEXT];
  return context ? { ...line, ...context } : line;
}

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && REQUEST_ID.test(given)) return given;
  const trace = TRACEPARENT.exec(String(req.headers['traceparent'] ?? ''))?.[1];
  return trace && !/^0+$/.test(trace) ? trace : randomUUID();
}

/**
 * JSON logs, one line per request. Requests are logged by method, path and status only: bodies and
 * headers (which could carry capsules or certificates) never reach a serializer, and the redaction
 * below catches capsule, key and certificate fields wherever else they might be passed.
 */
export function loggerParams(config: ServiceConfig): Params {
  return {
    pinoHttp: {
      level: config.log.level,
      base: { service: config.service },
      transport: config.log.pretty ? { target: 'pino-pretty' } : undefined,
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const id = requestIdOf(req);
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Merged into the completion line itself: customProps would build two child loggers per request.
      customSuccessObject: (req: IncomingMessage, _res: ServerResponse, line: object) => withLogContext(req, line),
      customErrorObject: (req: IncomingMessage, _res: ServerResponse, _error: Error, line: object) => withLogContext(req, line),
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      redact: {
        paths: [
          'req.headers',
          'req.body',
          'res.headers',
          '*.recipient_id',
          '*.ephemeral_key_material',
          '*.recipientId',
          '*.ephemeralKeyMaterial',
          '*.publicKey',
          '*.subject',
          '*.pem',
          '*.certificate',
        ],
        remove: true,
      },
    },
  };
}
