import { ClientCertificateResult, ClientIdentity, ClientTrust } from '@ccs/pki';
import { HttpProblem, requestIdOf, ServiceMetrics } from '@ccs/platform';
import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import type { TLSSocket } from 'node:tls';

export interface AuthenticatedRequest extends Request {
  client: ClientIdentity;
}

/**
 * Admits requests that came over a connection with a trusted, unrevoked client certificate; the
 * check runs once per connection, and requests on it share its outcome.
 */
@Injectable()
export class ClientCertificateGuard implements CanActivate {
  private readonly logger = new Logger('ClientCertificate');
  private readonly byConnection = new WeakMap<TLSSocket, Promise<ClientCertificateResult>>();

  constructor(
    private readonly trust: ClientTrust,
    private readonly metrics: ServiceMetrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const socket = request.socket as TLSSocket;
    let pending = this.byConnection.get(socket);
    if (!pending) {
      const endTimer = this.metrics.clientCertificateChecks.startTimer();
      pending = this.trust.verifyConnection(socket).then((result) => {
        endTimer({ outcome: result.status });
        return this.logged(result, requestIdOf(request));
      });
      this.byConnection.set(socket, pending);
    }
    const result = await pending;
    switch (result.status) {
      case 'authenticated':
        request.client = result.identity;
        return true;
      case 'indeterminate':
        // Fail closed: without an established revocation status no capsule leaves the server.
        throw new HttpProblem(503, 'the client certificate cannot be checked for revocation now; try again later');
      default:
        // Revoked and unknown look exactly like untrusted, so the answer tells a caller nothing more.
        throw new HttpProblem(401, 'a client certificate from a trusted CA is required');
    }
  }

  /** Refusals are logged once per connection, with the id of the request that opened the check. */
  private logged(result: ClientCertificateResult, requestId: string | undefined): ClientCertificateResult {
    switch (result.status) {
      case 'revoked':
        this.logger.warn({ requestId, certificateSerial: result.identity.serialNumber, keyFingerprint: result.identity.keyFingerprint, revocation: result.revocation }, 'client certificate refused: revoked or unknown to its CA');
        break;
      case 'indeterminate':
        this.logger.warn({ requestId, certificateSerial: result.identity.serialNumber, keyFingerprint: result.identity.keyFingerprint, reason: result.reason }, 'client certificate revocation status not established');
        break;
      case 'untrusted':
        this.logger.log({ requestId, reason: result.reason }, 'client certificate refused');
        break;
    }
    return result;
  }
}
