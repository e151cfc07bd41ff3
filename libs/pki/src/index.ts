export * from './lib/client-identity';
export * from './lib/pem';
export * from './lib/revocation-status';
export { OcspClient, buildOcspRequest, verifyOcspResponse, OcspResponseError, type OcspOptions, type VerifiedOcspResponse } from './lib/ocsp-client';
export { CrlStore, parseCrl, type CrlOptions, type ParsedCrl } from './lib/crl-store';
export { ClientTrust, trustedIssuerOf, revocationStatus, type RevocationCheckers } from './lib/client-trust';
export { OcspStapler, type OcspStaplerOptions, type StaplerEvent } from './lib/ocsp-stapler';
export { certificateFingerprint, ocspUrlsOf } from './lib/der';
