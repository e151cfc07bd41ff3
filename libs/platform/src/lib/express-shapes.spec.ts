import express from 'express';
import { once } from 'node:events';
import { createServer, get, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { messagesShapedFor } from './express-shapes';

describe('messagesShapedFor', () => {
  it('builds requests and responses that Express does not have to move to other prototypes', async () => {
    const app = express();
    const seen: { request: boolean; response: boolean; expressApi: boolean; nodeTypes: boolean }[] = [];
    app.get('/x/:id', (request, response) => {
      seen.push({
        request: Object.getPrototypeOf(request) === app.request,
        response: Object.getPrototypeOf(response) === app.response,
        expressApi: request.app === app && request.params['id'] === '7' && typeof response.status === 'function' && request.get('host') !== undefined,
        nodeTypes: request instanceof IncomingMessage && response instanceof ServerResponse,
      });
      response.status(204).end();
    });
    const server = createServer(messagesShapedFor(app), app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const createdBy = new Set<object>();
    server.prependListener('request', (request: object, response: object) => {
      createdBy.add(Object.getPrototypeOf(request));
      createdBy.add(Object.getPrototypeOf(response));
    });
    const status = await new Promise<number | undefined>((resolve, reject) =>
      get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x/7`, (response) => {
        response.resume();
        resolve(response.statusCode);
      }).on('error', reject),
    );
    server.close();
    expect(status).toBe(204);
    // Before Express saw them, the objects already had the prototypes Express wants.
    expect([...createdBy]).toEqual([app.request, app.response]);
    expect(seen).toEqual([{ request: true, response: true, expressApi: true, nodeTypes: true }]);
  });
});
