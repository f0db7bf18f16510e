/** Upload routes: a CSV by multipart upload or from the object store, progress, errors CSV. */
import { once } from 'node:events';
import multipart from '@fastify/multipart';
import { Type } from 'typebox';
import type { AppContext } from '../../context';
import { Cursor, Limit, Nullable, Page, problemResponses, Timestamp, Uuid } from '../../http/schemas';
import { actingTenant, type Api } from '../../http/types';
import { AppError, FieldErrors, invalid } from '../../shared/errors';
import type { Actor } from './service';
import { UPLOAD_STATUSES } from './statuses';

const Delimiter = Type.Enum([',', ';', '\t'], { description: 'Detected from the header when absent' });
const DecimalSeparator = Type.Enum(['.', ','], {
  description: 'The decimal separator of prices. Absent: a dot, and in a ";"-separated file a comma too (19,90)',
});
const FORM_FIELDS: Record<string, { allowed: readonly string[]; shown: string }> = {
  delimiter: { allowed: [',', ';', '\t', 'tab'], shown: '",", ";", tab' },
  decimal_separator: { allowed: ['.', ','], shown: '".", ","' },
};
const Accepted = Type.Object({ upload_id: Uuid, status: Type.Literal('queued'), object_key: Type.String() });
const Upload = Type.Object({
  id: Uuid,
  tenant_id: Type.Optional(Uuid),
  status: Type.Enum([...UPLOAD_STATUSES]),
  filename: Type.String(),
  object_key: Type.String(),
  size_bytes: Nullable(Type.Integer(), { description: 'Size of the file' }),
  bytes_done: Type.Integer({ description: 'Bytes of the file ingested so far: bytes_done ÷ size_bytes is the progress' }),
  rows_total: Type.Integer(),
  rows_valid: Type.Integer(),
  rows_invalid: Type.Integer(),
  orders_created: Type.Integer(),
  errors_file: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
  created_at: Timestamp,
  started_at: Type.Optional(Timestamp),
  finished_at: Type.Optional(Timestamp),
});
const UploadParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });

const actorOf = (request: { tenantId: string }): Actor => {
  const tenantId = actingTenant(request);
  return tenantId ? { tenantId } : {};
};
const tags = ['uploads'];
const config = { access: 'tenant-or-admin' as const };

export async function uploadRoutes(app: Api, ctx: AppContext): Promise<void> {
  const uploads = ctx.oms.uploads;

  // Multipart only in this scope: the file part is streamed, never buffered.
  await app.register(async (scope: Api) => {
    await scope.register(multipart, { limits: { fileSize: ctx.config.maxUploadBytes + 1, files: 1, fields: 5, fieldSize: 100 } });
    scope.post(
      '/orders/upload',
      {
        // The body is a stream, not JSON: a retried upload creates nothing twice anyway (references).
        config: { ...config, idempotent: false },
        schema: {
          tags,
          summary: 'Upload a CSV of orders (multipart field "file"; optional fields "delimiter" and "decimal_separator" before it)',
          consumes: ['multipart/form-data'],
          response: { 202: Accepted, ...problemResponses(413, 415) },
        },
      },
      async (request, reply) => {
        if (!request.isMultipart()) throw new AppError(415, 'upload.not_multipart');
        const fields: Record<string, string> = {};
        for await (const part of request.parts()) {
          if (part.type === 'field') {
            if (Object.hasOwn(FORM_FIELDS, part.fieldname)) fields[part.fieldname] = String(part.value);
            continue;
          }
          if (part.fieldname !== 'file') {
            part.file.resume();
            continue;
          }
          const errors = new FieldErrors();
          for (const [name, value] of Object.entries(fields)) {
            if (!FORM_FIELDS[name]!.allowed.includes(value)) errors.add(name, 'field.enum', { values: FORM_FIELDS[name]!.shown });
          }
          if (errors.list.length > 0) part.file.resume();
          errors.throwIfAny();
          const format = {
            delimiter: fields.delimiter === 'tab' ? '\t' : fields.delimiter,
            decimalSeparator: fields.decimal_separator as '.' | ',' | undefined,
          };
          const requestEnded = request.raw.readableEnded ? Promise.resolve() : once(request.raw, 'end').catch(() => undefined);
          const accepted = await uploads.upload(actorOf(request), { filename: part.filename || 'upload.csv', stream: part.file, requestEnded }, format);
          return reply.code(202).send(accepted);
        }
        throw invalid([{ field: 'file', code: 'field.file_missing' }]);
      },
    );
  });

  app.post(
    '/orders/import',
    {
      config,
      schema: {
        tags,
        summary: 'Ingest a CSV already in the object store',
        body: Type.Object(
          {
            object_key: Type.String({ minLength: 1, maxLength: 1024 }),
            delimiter: Type.Optional(Delimiter),
            decimal_separator: Type.Optional(DecimalSeparator),
          },
          { additionalProperties: false },
        ),
        response: { 202: Accepted, ...problemResponses(403, 404) },
      },
    },
    async (request, reply) => {
      const { object_key, delimiter, decimal_separator } = request.body;
      return reply.code(202).send(await uploads.import(actorOf(request), object_key, { delimiter, decimalSeparator: decimal_separator }));
    },
  );

  app.get(
    '/uploads',
    {
      config,
      schema: {
        tags,
        summary: 'List uploads, newest first',
        querystring: Type.Object({ status: Type.Optional(Type.Enum([...UPLOAD_STATUSES])), limit: Limit, cursor: Cursor }, { additionalProperties: false }),
        response: { 200: Page(Upload), ...problemResponses() },
      },
    },
    async (request) => uploads.list(actorOf(request), request.query),
  );

  app.get(
    '/uploads/:id',
    {
      config,
      schema: { tags, summary: 'An upload and its progress', params: UploadParams, response: { 200: Upload, ...problemResponses(404) } },
    },
    async (request) => uploads.get(actorOf(request), request.params.id),
  );

  app.get(
    '/uploads/:id/errors',
    {
      config,
      schema: {
        tags,
        summary: "The upload's invalid rows as CSV: its header plus row_number,error",
        params: UploadParams,
        produces: ['text/csv'],
        response: { 200: Type.Any({ description: 'text/csv' }), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const body = await uploads.errors(actorOf(request), request.params.id);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${request.params.id}-errors.csv"`).send(body);
    },
  );
}
