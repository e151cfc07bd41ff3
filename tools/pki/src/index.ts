export {
  KEY_ALGORITHMS,
  isKeyAlgorithm,
  isEcKeyAlgorithm,
  generateKeyPair,
  type KeyAlgorithm,
  type EcKeyAlgorithm,
  type RsaKeyAlgorithm,
} from './key-algorithm';
export {
  createRootCa,
  issueCa,
  issueCertificate,
  certificateChainPem,
  randomSerialNumber,
  type CertificateOptions,
  type CertificateFields,
  type CaOptions,
  type CertificateAuthority,
  type LeafCertificate,
  type IssuedCertificate,
  type KeyUsage,
  type ExtendedKeyUsage,
} from './issue-certificate';
export {
  generateTestPki,
  issueServerCertificate,
  issueClientCertificate,
  DEFAULT_SERVER_HOSTS,
  type TestPki,
  type TestPkiOptions,
  type LeafOverrides,
} from './test-pki';
export {
  writeTestPki,
  readTestPki,
  loadTestPki,
  clientFileStem,
  existingTestPkiFiles,
  TestPkiExistsError,
  TEST_PKI_MANIFEST,
  type TestPkiFiles,
  type CertificateAndKeyFiles,
  type WriteTestPkiOptions,
} from './test-pki-files';
export { recipientId, capsuleTypeFor, ephemeralKeyMaterial, type CapsuleType, type PublicKeySource } from './recipient-id';
export { x509, type CryptoKey, type CryptoKeyPair } from './x509-provider';
export { createCrl, type Crl, type CrlOptions, type RevokedEntry } from './crl';
export {
  startOcspResponder,
  type OcspResponder,
  type OcspResponderOptions,
  type OcspCertificateStatus,
  type OcspFault,
} from './ocsp-responder';
