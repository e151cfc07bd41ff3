import { OcspStapler, parsePemCertificates } from '@ccs/pki';
import { DynamicModule, INestApplication, Logger as NestLogger, NestApplicationOptions, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import express from 'express';
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:https';
import { messagesShapedFor } from './express-shapes';
import { createLogger, NestPinoLogger, observeRequests } from './logging';
import { ConfigError, loadConfig, ServiceConfig, ServiceName } from './config';
import { startManagementServer } from './management-server';
import { openApiDocumentOf } from './openapi';
import { ServiceHealth } from './service-health';
import { ServiceMetrics } from './service-metrics';

type HttpsOptions = NonNullable<NestApplicationOptions['httpsOptions']>;

/** TLS for one service. The recipient service asks for a client certificate and lets the app decide. */
export function tlsOptions(config: ServiceConfig): HttpsOptions {
  const common = {
    cert: config.tls.cert,
    key: config.tls.key.export({ type: 'pkcs8', format: 'pem' }),
    // TLS 1.3 only: the spec requires it and clients pin it.
    minVersion: 'TLSv1.3' as const,
    handshakeTimeout: config.http.headersTimeoutMs,
    // Node looks for expired header and request timeouts only this often (30 s by default).
    connectionsCheckingInterval: 1000,
  };
  if (config.service === 'sender') return common;
  return {
    ...common,
    ca: config.tls.clientCa,
    requestCert: true,
    // The handshake completes without a trusted certificate so that the API can answer 401, as the spec says.
    rejectUnauthorized: false,
    // Estonian ID-card deployments trust the issuing CAs directly, without their roots.
    allowPartialTrustChain: true,
  } as HttpsOptions;
}

/**
 * Node 20's tls.Server does not hand allowPartialTrustChain on to its secure context (Node 22.9
 * does), so the flag is set on the context itself; start fails rather than trusting less than configured.
 */
function trustPartialChains(server: Server): void {
  const context = (server as unknown as { _sharedCreds?: { context?: { setAllowPartialTrustChain?: () => void } } })._sharedCreds?.context;
  if (typeof context?.setAllowPartialTrustChain !== 'function') {
    throw new Error('this Node.js cannot trust an issuing CA without its root (allowPartialTrustChain)');
  }
  context.setAllowPartialTrustChain();
}

/** Staples a current OCSP response for the server's own certificate to handshakes that ask for one. */
async function stapleOcsp(server: Server, config: ServiceConfig): Promise<void> {
  if (!config.ocspStapling) return;
  const logger = new NestLogger('OcspStapling');
  const stapler = new OcspStapler(parsePemCertificates(config.tls.cert.toString('utf8')), config.ocspStapling, (event) =>
    event.kind === 'fetched' ? logger.log(`OCSP response for the server certificate: ${event.status}`) : logger.warn(`OCSP response for the server certificate not fetched: ${event.reason}`),
  );
  server.on('OCSPRequest', (_certificate: Buffer, _issuer: Buffer, callback: (error: Error | null, response?: Buffer | null) => void) =>
    callback(null, stapler.current() ?? null),
  );
  server.on('close', () => stapler.stop());
  await stapler.start();
}

export async function createService(module: DynamicModule | Type, config: ServiceConfig, logger: Logger): Promise<NestExpressApplication> {
  const instance = express();
  const app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(instance), {
    httpsOptions: { ...tlsOptions(config), ...messagesShapedFor(instance) },
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(new NestPinoLogger(logger));
  app.disable('x-powered-by');
  // An ETag would publish a hash of the capsule.
  app.set('etag', false);
  const metrics = app.get(ServiceMetrics);
  app.use(observeRequests(logger, metrics));
  const server = app.getHttpServer() as Server;
  metrics.observeTlsFailures(server);
  server.headersTimeout = config.http.headersTimeoutMs;
  server.requestTimeout = config.http.requestTimeoutMs;
  server.keepAliveTimeout = config.http.keepAliveTimeoutMs;
  server.maxConnections = config.http.maxConnections;
  if (config.service === 'recipient') trustPartialChains(server);
  await stapleOcsp(server, config);
  return app;
}

/**
 * The whole life of a service process: configuration from the environment, start, and a clean exit
 * on SIGTERM or SIGINT (in-flight requests finish, the database closes) within the grace period.
 */
export async function runService(service: ServiceName, moduleFor: (config: ServiceConfig) => DynamicModule): Promise<void> {
  let config: ServiceConfig;
  try {
    config = loadConfig(service);
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(78);
  }
  const logger = createLogger(config);
  let app: INestApplication;
  let management: HttpServer;
  try {
    app = await createService(moduleFor(config), config, logger);
    const openApi = openApiDocumentOf(app, service);
    await app.listen(config.port, config.host ?? '::');
    app.get(ServiceHealth).listening();
    management = await startManagementServer({ config: config.management, health: app.get(ServiceHealth), metrics: app.get(ServiceMetrics), openApi });
  } catch (error) {
    process.stderr.write(`${service} service failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  logger.info(`${service} service listening on https://${config.host ?? 'localhost'}:${config.port}, management on http://${config.management.host}:${config.management.port}`);

  const stop = async () => {
    setTimeout(() => process.exit(1), config.shutdownGraceMs).unref();
    app.get(ServiceHealth).shuttingDown();
    logger.info(`${service} service stopping: finishing requests in flight`);
    await app.close();
    management.close();
    management.closeAllConnections();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
