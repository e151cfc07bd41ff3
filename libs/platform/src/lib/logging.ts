import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { ServiceConfig } from './config';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * JSON logs, one line per request. Requests are logged by method, path and status only: bodies and
 * headers (which could carry capsules or certificates) never reach a serializer.
 */
export function loggerParams(config: ServiceConfig): Params {
  return {
    pinoHttp: {
      level: config.log.level,
      base: { service: config.service },
      transport: config.log.pretty ? { target: 'pino-pretty' } : undefined,
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      redact: { paths: ['req.headers', 'req.body', 'res.headers', '*.recipient_id', '*.ephemeral_key_material'], remove: true },
    },
  };
}
