import { ClientCertificateResult, clientCertificateOf, ClientIdentity } from '@ccs/pki';
import { HttpProblem } from '@ccs/platform';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { TLSSocket } from 'node:tls';

export interface AuthenticatedRequest extends Request {
  client: ClientIdentity;
}

/** Admits requests that came over a connection with a trusted client certificate; checked once per connection. */
@Injectable()
export class ClientCertificateGuard implements CanActivate {
  private readonly byConnection = new WeakMap<TLSSocket, ClientCertificateResult>();

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const socket = request.socket as TLSSocket;
    let result = this.byConnection.get(socket);
    if (!result) {
      result = clientCertificateOf(socket);
      this.byConnection.set(socket, result);
    }
    if (result.status !== 'authenticated') {
      throw new HttpProblem(401, 'a client certificate from a trusted CA is required');
    }
    request.client = result.identity;
    return true;
  }
}
