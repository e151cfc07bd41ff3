import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ServiceName } from './config';

/** The OpenAPI document of one service, generated from its controllers' decorators. */
export function openApiDocumentOf(app: INestApplication, service: ServiceName): OpenAPIObject {
  const info = new DocumentBuilder()
    .setTitle('cdoc2-key-capsules')
    .setDescription(`API for exchanging CDOC2 ephemeral key material in key capsules: the ${service} service`)
    .setVersion('3.1.1')
    .addTag('cdoc2-key-capsules')
    // OpenAPI 3.0 has no mutualTLS scheme; the spec declares it as HTTP basic, and so do we.
    .addSecurity('mutualTLS', { type: 'http', scheme: 'basic' })
    .build();
  return SwaggerModule.createDocument(app, info);
}
