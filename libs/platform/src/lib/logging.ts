import type { LoggerService } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import pino, { DestinationStream, Level, Logger, LoggerOptions } from 'pino';
import { ServiceConfig } from './config';
import { standardOutput } from './log-destination';
import { ServiceMetrics } from './service-metrics';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;
const LOG_CONTEXT = Symbol('logContext');
const ID = Symbol('requestId');

/** What may be logged about a request: a transaction id, a certificate serial, a key fingerprint. */
export interface RequestLogContext {
  transactionId?: string;
  certificateSerial?: string;
  keyFingerprint?: string;
}

interface ObservedRequest {
  [ID]?: string;
  [LOG_CONTEXT]?: RequestLogContext;
}

/** Adds fields to the one log line written when the request completes. */
export function addLogContext(request: object, context: RequestLogContext): void {
  const holder = request as ObservedRequest;
  holder[LOG_CONTEXT] = { ...holder[LOG_CONTEXT], ...context };
}

/** The id under which a request is logged and which its response echoes in `X-Request-Id`. */
export function requestIdOf(request: object): string | undefined {
  return (request as ObservedRequest)[ID];
}

function requestIdFrom(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  if (typeof given === 'string' && REQUEST_ID.test(given)) return given;
  const trace = TRACEPARENT.exec(String(request.headers['traceparent'] ?? ''))?.[1];
  return trace && !/^0+$/.test(trace) ? trace : randomUUID();
}

/**
 * The service's JSON logger. Lines carry explicitly chosen fields only; the redaction below also
 * removes capsule, key and certificate fields wherever else they might be passed.
 */
export function createLogger(config: Pick<ServiceConfig, 'service' | 'log'>, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.log.level,
    base: { service: config.service },
    transport: config.log.pretty ? { target: 'pino-pretty' } : undefined,
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
  };
  if (destination) return pino(options, destination);
  return config.log.pretty ? pino(options) : pino(options, standardOutput());
}

/**
 * One log line and one metrics observation per request, both when the response is done with: its
 * request id (`X-Request-Id` if valid, else the trace id of `traceparent`, else a new UUID), method,
 * path, status, duration and the fields added by `addLogContext`. Headers and bodies, which could
 * carry capsules or certificates, are never read into a line. No per-request logger or async
 * context is created: the hot path pays for one object and one write.
 */
export function observeRequests(logger: Logger, metrics: ServiceMetrics): RequestHandler {
  // Every field of these lines is chosen below, none can hold a capsule or a key: the redaction pass would find nothing.
  const lines = logger.child({}, { redact: [] });
  return (request: Request, response: Response, next: NextFunction) => {
    const started = performance.now();
    const id = requestIdFrom(request);
    (request as ObservedRequest)[ID] = id;
    response.setHeader('X-Request-Id', id);
    response.once('close', () => {
      const seconds = (performance.now() - started) / 1000;
      const finished = response.writableFinished;
      metrics.observeResponse(request, finished ? response.statusCode : 'aborted', seconds);
      // A client that hangs up early is worth a warning; only the server's own failures are errors.
      const level: Level = !finished ? 'warn' : response.statusCode >= 500 ? 'error' : 'info';
      if (!lines.isLevelEnabled(level)) return;
      lines[level](
        {
          ...(request as ObservedRequest)[LOG_CONTEXT],
          req: { id, method: request.method, url: request.originalUrl },
          ...(finished ? { res: { statusCode: response.statusCode } } : {}),
          responseTime: Math.round(seconds * 1e6) / 1e3,
        },
        finished ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}

const NEST_LEVELS = { log: 'info', error: 'error', warn: 'warn', debug: 'debug', verbose: 'trace', fatal: 'fatal' } as const;

/**
 * Nest's logger interface over pino. Nest passes the logging class's name last; an object as the
 * first argument becomes fields of the line, with a following string as its message.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write(NEST_LEVELS.log, message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write(NEST_LEVELS.error, message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write(NEST_LEVELS.warn, message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write(NEST_LEVELS.debug, message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write(NEST_LEVELS.verbose, message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write(NEST_LEVELS.fatal, message, rest);
  }

  private write(level: Level, message: unknown, rest: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ context, ...message }, typeof rest[0] === 'string' ? rest[0] : undefined);
    } else {
      // Nest's own error calls pass a stack trace before the context.
      const stack = level === 'error' && typeof rest[0] === 'string' ? rest[0] : undefined;
      this.logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));
    }
  }
}
