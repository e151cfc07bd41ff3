import { ClientTrust, CrlStore, OcspClient, parsePemCertificates } from '@ccs/pki';
import { ServiceConfig } from '@ccs/platform';
import { Logger, Provider } from '@nestjs/common';

/** The trust decision for client certificates, built once from configuration. */
export function clientTrustProvider(config: ServiceConfig): Provider {
  return {
    provide: ClientTrust,
    useFactory: () => {
      const revocation = config.revocation;
      if (!revocation) throw new Error('the recipient service needs revocation settings');
      if (revocation.mode === 'none') {
        new Logger('ClientTrust').warn('CCS_REVOCATION_MODE=none: revoked client certificates can fetch capsules');
      }
      const trusted = parsePemCertificates(config.tls.clientCa?.toString('utf8') ?? '');
      const crl = new CrlStore(revocation.crl);
      if (revocation.mode === 'crl' || revocation.mode === 'ocsp-then-crl') crl.start();
      return new ClientTrust(trusted, { mode: revocation.mode, ocsp: new OcspClient(revocation.ocsp), crl });
    },
  };
}
