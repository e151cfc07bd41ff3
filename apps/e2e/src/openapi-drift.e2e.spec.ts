import { generateTestPki, writeTestPki } from '@ccs/test-pki';
import { createTestSqliteDatabase, RunningService, serviceEnvironment, startService, TestDatabase } from '@ccs/test-support';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const SPEC = join(__dirname, '../../../../shared/spec/cdoc2-key-capsules-openapi.yaml');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
// What decides whether a client and the server agree; prose (description, summary, example) does not.
const SCHEMA_KEYWORDS = ['type', 'format', 'minLength', 'maxLength', 'minimum', 'maximum', 'pattern', 'enum', 'required', 'properties', 'items', '$ref'];

/**
 * Deliberate differences: what our documents say that the spec does not. Each is a fact as produced
 * by `factsOf`, and each describes real behaviour of the services:
 * - the sender answers an invalid request with an RFC 9457 problem body, and a body over the limit with 413;
 * - the recipient answers a missing or untrusted client certificate with a problem body, and 503 when
 *   it cannot establish the certificate's revocation status (it fails closed);
 * - the recipient sends x-expiry-time-adjusted with the capsule, as the sender does on 201;
 * - the problem body's schema.
 * Not compared at all: the 405 answers to the other service's operation (not part of the API, so
 * excluded from our documents), info, servers and tags.
 */
const OUR_ADDITIONS = [
  'POST /key-capsules response 400 content application/problem+json {"$ref":"ProblemDetails"}',
  'POST /key-capsules response 413',
  'POST /key-capsules response 413 content application/problem+json {"$ref":"ProblemDetails"}',
  'GET /key-capsules/{transactionId} response 401 content application/problem+json {"$ref":"ProblemDetails"}',
  'GET /key-capsules/{transactionId} response 503',
  'GET /key-capsules/{transactionId} response 503 content application/problem+json {"$ref":"ProblemDetails"}',
  'GET /key-capsules/{transactionId} response 200 header x-expiry-time-adjusted {"type":"boolean"}',
];

type Json = Record<string, unknown>;

function canonical(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(canonical);
  if (typeof schema !== 'object' || schema === null) return schema;
  const source = schema as Json;
  const out: Json = {};
  for (const key of SCHEMA_KEYWORDS.filter((k) => k in source)) {
    const value = source[key];
    if (key === '$ref') out[key] = String(value).replace('#/components/schemas/', '');
    else if (key === 'properties') out[key] = Object.fromEntries(Object.entries(value as Json).sort(([a], [b]) => a.localeCompare(b)).map(([name, s]) => [name, canonical(s)]));
    else if (key === 'required') out[key] = [...(value as string[])].sort();
    else out[key] = canonical(value);
  }
  return out;
}

const text = (schema: unknown) => JSON.stringify(canonical(schema));

/**
 * The spec 3.1.1 puts the 201 response's x-expiry-time and x-expiry-time-adjusted next to `headers`
 * instead of inside it (a YAML indentation slip); they are read here as the headers they are meant to be.
 */
function headersOf(response: Json): Json {
  const misplaced = Object.fromEntries(Object.entries(response).filter(([key]) => !['description', 'headers', 'content', 'links'].includes(key)));
  return { ...(response['headers'] as Json | undefined), ...misplaced };
}

/** Everything two OpenAPI documents must agree on, one line per fact, so that a drift reads as a diff. */
function factsOf(document: Json): string[] {
  const facts: string[] = [];
  const components = (document['components'] ?? {}) as Json;
  for (const [name, schema] of Object.entries((components['schemas'] ?? {}) as Json)) facts.push(`schema ${name} ${text(schema)}`);
  for (const [name, scheme] of Object.entries((components['securitySchemes'] ?? {}) as Json)) facts.push(`security scheme ${name} ${JSON.stringify(scheme)}`);
  for (const [path, item] of Object.entries(document['paths'] as Json)) {
    for (const [method, value] of Object.entries(item as Json).filter(([m]) => METHODS.includes(m))) {
      const operation = value as Json;
      const at = `${method.toUpperCase()} ${path}`;
      facts.push(`${at} operationId ${String(operation['operationId'])}`);
      facts.push(`${at} security ${JSON.stringify(operation['security'] ?? document['security'] ?? [])}`);
      for (const parameter of (operation['parameters'] ?? []) as Json[]) {
        facts.push(`${at} parameter ${String(parameter['in'])} ${String(parameter['name'])} required=${parameter['required'] === true} ${text(parameter['schema'])}`);
      }
      const requestBody = operation['requestBody'] as Json | undefined;
      if (requestBody) {
        facts.push(`${at} request body required=${requestBody['required'] === true}`);
        for (const [type, media] of Object.entries(requestBody['content'] as Json)) facts.push(`${at} request body ${type} ${text((media as Json)['schema'])}`);
      }
      for (const [status, value] of Object.entries(operation['responses'] as Json)) {
        const response = value as Json;
        facts.push(`${at} response ${status}`);
        for (const [name, header] of Object.entries(headersOf(response))) facts.push(`${at} response ${status} header ${name.toLowerCase()} ${text((header as Json)['schema'])}`);
        for (const [type, media] of Object.entries((response['content'] ?? {}) as Json)) facts.push(`${at} response ${status} content ${type} ${text((media as Json)['schema'])}`);
      }
    }
  }
  return facts.sort();
}

function union(documents: Json[]): Json {
  const paths: Json = {};
  const schemas: Json = {};
  const securitySchemes: Json = {};
  for (const document of documents) {
    for (const [path, item] of Object.entries(document['paths'] as Json)) paths[path] = { ...(paths[path] as Json | undefined), ...(item as Json) };
    const components = (document['components'] ?? {}) as Json;
    Object.assign(schemas, components['schemas']);
    Object.assign(securitySchemes, components['securitySchemes']);
  }
  return { paths, components: { schemas, securitySchemes } };
}

describe('OpenAPI documents of the two services', () => {
  let dir: string;
  let database: TestDatabase;
  let services: RunningService[];
  let ours: Json;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ccs-e2e-openapi-'));
    writeTestPki(await generateTestPki({ clientKeys: ['P-256'] }), join(dir, 'pki'));
    database = await createTestSqliteDatabase();
    const env = await serviceEnvironment(join(dir, 'pki'), database.url);
    services = await Promise.all([startService('sender', env), startService('recipient', env)]);
    const documents = await Promise.all(services.map(async (service) => (await fetch(`${service.managementUrl}/openapi.json`)).json() as Promise<Json>));
    ours = union(documents);
  }, 120_000);

  afterAll(async () => {
    expect(await Promise.all(services.map((service) => service.stop()))).toEqual([0, 0]);
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('agree with cdoc2-key-capsules-openapi.yaml 3.1.1 apart from the listed additions', () => {
    const spec = parse(readFileSync(SPEC, 'utf8')) as Json;
    expect((spec['info'] as Json)['version']).toBe('3.1.1');
    const specFacts = factsOf(spec);
    const ourFacts = factsOf(ours);
    expect(OUR_ADDITIONS.filter((fact) => !ourFacts.includes(fact))).toEqual([]);
    expect(ourFacts.filter((fact) => !OUR_ADDITIONS.includes(fact) && !fact.startsWith('schema ProblemDetails '))).toEqual(specFacts);
  });

  it('describes the Capsule schema field by field as the spec does', () => {
    const capsule = ((ours['components'] as Json)['schemas'] as Json)['Capsule'] as Json;
    expect(capsule['required']).toEqual(['recipient_id', 'ephemeral_key_material', 'capsule_type']);
    expect((capsule['properties'] as Json)['capsule_type']).toMatchObject({ type: 'string', enum: ['ecc_secp256r1', 'ecc_secp384r1', 'ecc_secp521r1', 'rsa'] });
  });
});
