import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { LIST_PARAMETERS, filterParameter } from './openapi/query-parameters.js';
import type { SchemaName } from './openapi/schemas.js';
import { Controller, Get, NotFoundException, Param, Query, Req, type Type } from '@nestjs/common';
import type { Request } from 'express';
import { Queries } from '@wharf/runtime';
import {
  MAX_KEYSET_PAGE_LIMIT,
  type CatalogUnit,
  type ListUnitsRequest,
  type UnitType,
  type VersionMembershipFilter,
} from '@wharf/contracts';
import { API_ROOT, versionFromHref } from './hrefs.js';
import { CONTENT_PATHS, unitHref, unitKeyFromId } from './content-hrefs.js';
import { pageRequest, pulpList, type PulpList } from './pagination.js';
import { FieldValidationException } from './pulp-exception.filter.js';
import { blobKey, manifestKey } from '@wharf/contracts';

/** Pulp's container.Blob / container.Manifest / container.Tag responses. */
export function unitJson(unit: CatalogUnit): Record<string, unknown> {
  const common = {
    pulp_href: unitHref(unit.key),
    prn: `prn:container.${unit.type}:${unit.key}`,
    pulp_created: unit.createdAt,
    pulp_last_updated: unit.createdAt,
    pulp_labels: {},
  };
  if (unit.type === 'tag') {
    return { ...common, name: unit.name, tagged_manifest: unitHref(manifestKey(unit.digest)) };
  }
  if (unit.type === 'blob')
    return { ...common, artifact: null, digest: unit.digest, size: unit.size ?? null };
  const facts = unit.manifest;
  const configKey = facts?.configDigest ? blobKey(facts.configDigest) : undefined;
  return {
    ...common,
    artifact: null,
    digest: unit.digest,
    schema_version: facts?.schemaVersion ?? null,
    media_type: facts?.mediaType ?? null,
    type: facts?.kind ?? null,
    listed_manifests: (facts?.listed ?? []).map((m) => unitHref(manifestKey(m.digest))),
    config_blob: facts?.configDigest ? unitHref(blobKey(facts.configDigest)) : null,
    // Layers Wharf holds, from the unit's references: foreign layers are listed in the manifest but never stored.
    blobs: unit.references
      .filter((key) => key.startsWith('blob:') && key !== configKey)
      .map((key) => unitHref(key)),
    annotations: facts?.annotations ?? {},
    labels: facts?.labels ?? {},
    architecture: facts?.architecture ?? null,
    os: facts?.os ?? null,
    artifact_type: facts?.artifactType ?? null,
    subject: facts?.subjectDigest ? unitHref(manifestKey(facts.subjectDigest)) : null,
    is_bootable: false,
    is_flatpak: false,
    compressed_image_size: null,
  };
}

const VERSION_FILTERS: readonly [string, VersionMembershipFilter][] = [
  ['repository_version', 'present'],
  ['repository_version_added', 'added'],
  ['repository_version_removed', 'removed'],
];

function unitFilter(
  type: UnitType,
  query: Record<string, string>,
): Omit<ListUnitsRequest, 'limit' | 'afterKey'> {
  let repositoryVersion: ListUnitsRequest['repositoryVersion'];
  for (const [field, membership] of VERSION_FILTERS) {
    if (query[field] === undefined) continue;
    const version = versionFromHref(query[field]);
    if (!version)
      throw new FieldValidationException({ [field]: ['Invalid hyperlink - not a repository version.'] });
    repositoryVersion = { ...version, membership };
  }
  return {
    type,
    digest: query.digest,
    name: type === 'tag' ? query.name : undefined,
    mediaType: type === 'manifest' ? query.media_type : undefined,
    repositoryVersion,
  };
}

/**
 * The catalog pages by key; Pulp's clients page by offset and want a count. Offsets are walked through key
 * pages (cheap for the first pages, which is where clients look), and the count is the length of the walk.
 */
async function offsetPage(
  queries: Queries,
  filter: Omit<ListUnitsRequest, 'limit' | 'afterKey'>,
  offset: number,
  limit: number,
): Promise<{ count: number; results: CatalogUnit[] }> {
  const results: CatalogUnit[] = [];
  let count = 0;
  let afterKey: string | undefined;
  do {
    const page = await queries.ask('content.unit.list', {
      ...filter,
      afterKey,
      limit: MAX_KEYSET_PAGE_LIMIT,
    });
    for (const unit of page.items) {
      if (count >= offset && results.length < limit) results.push(unit);
      count++;
    }
    afterKey = page.nextAfterKey;
  } while (afterKey);
  return { count, results };
}

const LIST_SCHEMAS: Readonly<Record<UnitType, SchemaName>> = {
  blob: 'Paginatedcontainer.BlobResponseList',
  manifest: 'Paginatedcontainer.ManifestResponseList',
  tag: 'Paginatedcontainer.TagResponseList',
};
const ITEM_SCHEMAS: Readonly<Record<UnitType, SchemaName>> = {
  blob: 'container.BlobResponse',
  manifest: 'container.ManifestResponse',
  tag: 'container.TagResponse',
};

/** One controller class per content type, all alike: `content/container/<type>s/`. */
function contentController(type: UnitType): Type {
  @Controller(`${API_ROOT.slice(1)}${CONTENT_PATHS[type]}`)
  class ContentController {
    constructor(readonly queries: Queries) {}

    @Get()
    @PulpOperation({
      operationId: `content_container_${type}s_list`,
      summary: `List ${type}s`,
      tags: [`Content: ${type[0]!.toUpperCase()}${type.slice(1)}s`],
      query: [
        ...LIST_PARAMETERS,
        filterParameter('repository_version', 'Only units in this repository version (href).'),
        filterParameter('repository_version_added', 'Only units this repository version added (href).'),
        filterParameter('repository_version_removed', 'Only units this repository version removed (href).'),
        filterParameter('digest', 'Only units with this digest (for tags: of the tagged manifest).'),
        ...(type === 'tag' ? [filterParameter('name', 'Only tags of this name.')] : []),
        ...(type === 'manifest' ? [filterParameter('media_type', 'Only manifests of this media type.')] : []),
      ],
      responses: { '200': LIST_SCHEMAS[type], '400': 'ValidationErrorResponse' },
    })
    async list(@Req() request: Request, @Query() query: Record<string, string>): Promise<PulpList<unknown>> {
      const page = pageRequest(query);
      const found = await offsetPage(this.queries, unitFilter(type, query), page.offset, page.limit);
      return pulpList(request, page, found.count, found.results.map(unitJson));
    }

    @Get(':id')
    @PulpOperation({
      operationId: `content_container_${type}s_read`,
      summary: `Inspect a ${type}`,
      tags: [`Content: ${type[0]!.toUpperCase()}${type.slice(1)}s`],
      href: `container_${type}_href`,
      responses: { '200': ITEM_SCHEMAS[type], '404': 'ErrorDetailResponse' },
    })
    async read(@Param('id') id: string): Promise<Record<string, unknown>> {
      const key = unitKeyFromId(type, id);
      if (!key) throw new NotFoundException();
      return unitJson(await this.queries.ask('content.unit.get', { key }));
    }
  }
  Object.defineProperty(ContentController, 'name', {
    value: `Content${type[0]!.toUpperCase()}${type.slice(1)}sController`,
  });
  return ContentController;
}

export const BlobsController = contentController('blob');
export const ManifestsController = contentController('manifest');
export const TagsController = contentController('tag');
