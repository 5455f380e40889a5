import type { JsonSchema } from './openapi.types.js';
import { paginated, readOnlyHref, schemaRef, timestamp } from './schema-kit.js';
import { REMOTE_SCHEMAS } from '../remotes.schemas.js';
import { CONTENT_SCHEMAS } from '../content.schemas.js';
import { PUBLICATION_SCHEMAS } from '../publications.schemas.js';
import { DISTRIBUTION_SCHEMAS } from '../distributions.schemas.js';
import { UPLOAD_SCHEMAS } from '../uploads.schemas.js';
import { REPLICATION_SCHEMAS } from '../replication.schemas.js';

/**
 * Request and response bodies, written by hand under the names Pulp's document gives them: Pulp's generated
 * bindings turn each name into a model class, so clients written against Pulp find the same models here.
 * Wharf-only bodies (audit) follow the same naming pattern. Every `$ref` must name an entry of this map;
 * the generator checks that.
 */

export { schemaRef };

const href = readOnlyHref;

const labels: JsonSchema = {
  type: 'object',
  additionalProperties: { type: 'string' },
  description: 'Free-form key/value labels.',
};

const containerRepositoryFields = {
  name: { type: 'string', minLength: 1, description: 'Unique name of the repository.' },
  description: { type: 'string', nullable: true, description: 'What the repository is for.' },
  retain_repo_versions: {
    type: 'integer',
    minimum: 1,
    nullable: true,
    description: 'How many of the newest versions to keep; null keeps them all.',
  },
  remote: {
    type: 'string',
    format: 'uri',
    nullable: true,
    description: 'Href of the container remote a sync uses when none is given.',
  },
} satisfies Record<string, JsonSchema>;

const TASK_STATES = ['waiting', 'skipped', 'running', 'completed', 'failed', 'canceled', 'canceling'];

const connection = (what: string): JsonSchema => schemaRefWithDescription('ConnectionStatusResponse', what);

function schemaRefWithDescription(name: string, description: string): JsonSchema {
  // OpenAPI 3.0 ignores siblings of $ref, so a described reference is wrapped in allOf.
  return { allOf: [schemaRef(name)], description };
}

export const PULP_SCHEMAS = {
  ...REMOTE_SCHEMAS,
  ...CONTENT_SCHEMAS,
  ...PUBLICATION_SCHEMAS,
  ...DISTRIBUTION_SCHEMAS,
  ...UPLOAD_SCHEMAS,
  ...REPLICATION_SCHEMAS,
  'container.ContainerRepository': {
    type: 'object',
    description: 'A container repository to create.',
    required: ['name'],
    properties: { ...containerRepositoryFields, pulp_labels: labels },
  },
  'container.ContainerRepositoryResponse': {
    type: 'object',
    description: 'A container repository.',
    required: [
      'pulp_href',
      'prn',
      'pulp_created',
      'pulp_last_updated',
      'versions_href',
      'pulp_labels',
      'latest_version_href',
      'name',
      'description',
      'retain_repo_versions',
      'remote',
    ],
    properties: {
      pulp_href: href('This repository.'),
      prn: { type: 'string', readOnly: true, description: 'Pulp resource name of this repository.' },
      pulp_created: timestamp('When the repository was created.'),
      pulp_last_updated: timestamp('When the repository last changed.'),
      versions_href: href("The list of this repository's versions."),
      pulp_labels: labels,
      latest_version_href: href('The newest version of this repository.'),
      ...containerRepositoryFields,
    },
  },
  'Paginatedcontainer.ContainerRepositoryResponseList': paginated('container.ContainerRepositoryResponse'),

  AsyncOperationResponse: {
    type: 'object',
    description: 'The task that carries out the request; follow it to see the outcome.',
    required: ['task'],
    properties: { task: { type: 'string', format: 'uri', description: 'Href of the task.' } },
  },
  ProgressReportResponse: {
    type: 'object',
    required: ['message', 'code', 'state', 'total', 'done', 'suffix'],
    properties: {
      message: { type: 'string', readOnly: true, description: 'What is being done, for people.' },
      code: { type: 'string', readOnly: true, description: 'What is being done, for programs.' },
      state: { type: 'string', readOnly: true, enum: TASK_STATES, description: 'State of this step.' },
      total: { type: 'integer', nullable: true, readOnly: true, description: 'Items to do, when known.' },
      done: { type: 'integer', readOnly: true, description: 'Items done so far.' },
      suffix: { type: 'string', nullable: true, readOnly: true, description: 'Distinguishes reports.' },
    },
  },
  TaskResponse: {
    type: 'object',
    description: 'A unit of asynchronous work and its outcome.',
    required: ['pulp_href', 'state', 'name', 'error', 'created_resources', 'result'],
    properties: {
      pulp_href: href('This task.'),
      prn: { type: 'string', readOnly: true, description: 'Pulp resource name of this task.' },
      pulp_created: timestamp('When the task was dispatched.'),
      pulp_last_updated: timestamp('When the task last changed.'),
      state: {
        type: 'string',
        readOnly: true,
        enum: TASK_STATES,
        description: 'Where the task is in its life.',
      },
      name: { type: 'string', readOnly: true, description: 'What kind of work the task does.' },
      logging_cid: {
        type: 'string',
        readOnly: true,
        description: 'Correlation id of the request that made it.',
      },
      created_by: { type: 'string', nullable: true, readOnly: true, description: 'Who dispatched the task.' },
      unblocked_at: { ...timestamp('When every resource it needs was free.'), nullable: true },
      started_at: { ...timestamp('When a worker began it.'), nullable: true },
      finished_at: { ...timestamp('When it completed, failed or was canceled.'), nullable: true },
      error: {
        type: 'object',
        nullable: true,
        readOnly: true,
        additionalProperties: {},
        description: 'Why the task failed (`description` says it in words); null unless it failed.',
      },
      worker: { type: 'string', nullable: true, readOnly: true, description: 'The worker that ran it.' },
      parent_task: {
        type: 'string',
        format: 'uri',
        nullable: true,
        readOnly: true,
        description: 'Parent task.',
      },
      child_tasks: { type: 'array', readOnly: true, items: { type: 'string', format: 'uri' } },
      task_group: {
        type: 'string',
        format: 'uri',
        nullable: true,
        readOnly: true,
        description: 'Task group.',
      },
      progress_reports: { type: 'array', readOnly: true, items: schemaRef('ProgressReportResponse') },
      created_resources: {
        type: 'array',
        readOnly: true,
        items: { type: 'string', format: 'uri' },
        description: 'Hrefs of what the task created (a repository version, for instance).',
      },
      reserved_resources_record: {
        type: 'array',
        readOnly: true,
        items: { type: 'string' },
        description: 'Resources the task held; `shared:` marks shared ones.',
      },
      result: { nullable: true, readOnly: true, description: 'What the task returned; null when nothing.' },
    },
  },
  PaginatedTaskResponseList: paginated('TaskResponse'),
  PatchedTaskCancel: {
    type: 'object',
    required: ['state'],
    properties: { state: { type: 'string', enum: ['canceled'], description: 'Only "canceled" is allowed.' } },
  },

  AuditRecordResponse: {
    type: 'object',
    description: 'An event the audit service recorded.',
    required: [
      'event_id',
      'event_type',
      'stream',
      'occurred_at',
      'recorded_at',
      'actor',
      'repository',
      'version',
      'digest',
      'tag',
      'remote',
      'data',
    ],
    properties: {
      event_id: { type: 'string', readOnly: true, description: 'Id of the event; unique.' },
      event_type: {
        type: 'string',
        readOnly: true,
        description: 'Type of the event, e.g. RepositoryCreated.',
      },
      stream: { type: 'string', readOnly: true, description: 'The event stream it belongs to.' },
      occurred_at: timestamp('When it happened.'),
      recorded_at: timestamp('When the audit service recorded it.'),
      actor: {
        type: 'string',
        nullable: true,
        readOnly: true,
        description: 'The API user or registry client whose request caused it; null for Wharf’s own work.',
      },
      repository: {
        type: 'string',
        nullable: true,
        readOnly: true,
        description:
          'The repository it concerns: a repository href, or the registry repository name of a pull or push.',
      },
      version: {
        type: 'integer',
        nullable: true,
        readOnly: true,
        description: 'The repository version it concerns.',
      },
      digest: {
        type: 'string',
        nullable: true,
        readOnly: true,
        description: 'The content digest it concerns.',
      },
      tag: { type: 'string', nullable: true, readOnly: true, description: 'The tag it concerns.' },
      remote: {
        type: 'string',
        nullable: true,
        readOnly: true,
        description: 'Id of the remote it concerns.',
      },
      data: { type: 'object', additionalProperties: {}, readOnly: true, description: 'The event payload.' },
    },
  },
  PaginatedAuditRecordResponseList: paginated('AuditRecordResponse'),

  VersionResponse: {
    type: 'object',
    required: ['component', 'version', 'package', 'module', 'domain_compatible'],
    properties: {
      component: { type: 'string', description: 'core and container: the Pulp API followed; wharf: Wharf.' },
      version: { type: 'string' },
      package: { type: 'string' },
      module: { type: 'string' },
      domain_compatible: { type: 'boolean' },
    },
  },
  AppStatusResponse: {
    type: 'object',
    required: ['name', 'last_heartbeat', 'versions'],
    properties: {
      name: { type: 'string', description: 'process@host' },
      last_heartbeat: { type: 'string', format: 'date-time' },
      versions: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
  ConnectionStatusResponse: {
    type: 'object',
    required: ['connected'],
    properties: {
      connected: {
        type: 'boolean',
        nullable: true,
        description: 'null when the answering process does not use this dependency itself.',
      },
    },
  },
  StatusResponse: {
    type: 'object',
    description:
      'Health as the answering process sees it: its own bus, event stores and blob store. A gateway running alone uses only the bus; each service reports its own dependencies on its /readyz.',
    required: [
      'versions',
      'online_workers',
      'online_api_apps',
      'online_content_apps',
      'database_connection',
      'bus_connection',
      'storage',
      'domain_enabled',
    ],
    properties: {
      versions: { type: 'array', items: schemaRef('VersionResponse') },
      online_workers: { type: 'array', items: schemaRef('AppStatusResponse') },
      online_api_apps: { type: 'array', items: schemaRef('AppStatusResponse') },
      online_content_apps: { type: 'array', items: schemaRef('AppStatusResponse') },
      database_connection: connection('Event stores and read models.'),
      bus_connection: connection(
        'The message bus (NATS or in-process); Wharf uses it where Pulp uses Redis.',
      ),
      storage: connection('The blob store.'),
      domain_enabled: { type: 'boolean' },
      checks: {
        type: 'object',
        additionalProperties: { type: 'boolean' },
        description: "Each of the answering process's readiness probes and whether it passed.",
      },
    },
  },

  ApiDocument: { type: 'object', additionalProperties: {}, description: 'This OpenAPI 3 document.' },

  ErrorDetailResponse: {
    type: 'object',
    required: ['detail'],
    properties: { detail: { type: 'string', description: 'What went wrong.' } },
  },
  ValidationErrorResponse: {
    type: 'object',
    description: 'Messages keyed by the field at fault (`non_field_errors` for the body as a whole).',
    additionalProperties: { type: 'array', items: { type: 'string' } },
  },
} satisfies Record<string, JsonSchema>;

export type SchemaName = keyof typeof PULP_SCHEMAS;
