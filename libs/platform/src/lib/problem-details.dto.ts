import { ApiProperty, ApiPropertyOptional, ApiSchema, getSchemaPath } from '@nestjs/swagger';

/** The RFC 9457 body of our error answers (the spec leaves error bodies unspecified). */
@ApiSchema({ name: 'ProblemDetails' })
export class ProblemDetailsDto {
  @ApiProperty({ type: 'string', example: 'about:blank' })
  type!: string;

  @ApiProperty({ type: 'string', example: 'Bad Request' })
  title!: string;

  @ApiProperty({ type: 'integer', example: 400 })
  status!: number;

  @ApiPropertyOptional({ type: 'string', description: 'What is wrong with the request' })
  detail?: string;
}

/** The `content` of an error response documented with a problem body. */
export const PROBLEM_CONTENT = { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsDto) } } };
