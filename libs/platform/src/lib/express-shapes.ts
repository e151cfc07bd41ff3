import type { Express } from 'express';
import { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Request and response classes that are born with Express's prototypes. Express moves every request
 * and response it receives onto its own prototypes (`Object.setPrototypeOf`); V8 then gives each
 * object a new shape, and Node's HTTP and stream code that touches them afterwards takes slow,
 * polymorphic lookups: about 0.2 ms of CPU per request on our 2-core machine, more than the rest of
 * Express. When the server creates them from subclasses whose prototypes Express then uses as its
 * own, that move changes nothing. Every Express method and property stays on the chain.
 */
export function messagesShapedFor(app: Express): { IncomingMessage: typeof IncomingMessage; ServerResponse: typeof ServerResponse } {
  class ExpressRequest extends IncomingMessage {}
  Object.setPrototypeOf(ExpressRequest.prototype, app.request);
  app.request = ExpressRequest.prototype as unknown as Express['request'];
  class ExpressResponse extends ServerResponse {}
  Object.setPrototypeOf(ExpressResponse.prototype, app.response);
  app.response = ExpressResponse.prototype as unknown as Express['response'];
  return { IncomingMessage: ExpressRequest, ServerResponse: ExpressResponse as typeof ServerResponse };
}
