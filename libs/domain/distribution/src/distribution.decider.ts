import type { DistributionFields } from '@wharf/contracts';
import { isValidRepositoryName } from '@wharf/oci';
import type { DistributionEvent } from './distribution.events.js';
import {
  DistributionAlreadyExistsError,
  DistributionNotFoundError,
  InvalidDistributionError,
} from './distribution.errors.js';
import {
  basePathsOverlap,
  sameSetting,
  SETTING_NAMES,
  type DistributionSettings,
  type DistributionSummary,
  type DistributionTarget,
} from './distribution.model.js';
import type { Distribution } from './distribution.state.js';

/**
 * Creates and updates bring `others`, every live distribution as the caller read them (this one may be among
 * them): names and base paths are unique across all distributions and base paths must not overlap, rules no
 * single stream can check. The caller guarantees that no other distribution changes between that read and
 * the append (distribution writes run one at a time).
 */
export type DistributionCommand =
  | {
      readonly type: 'CreateDistribution';
      readonly distributionId: string;
      readonly fields: DistributionFields;
      readonly others: readonly DistributionSummary[];
      readonly at: string;
    }
  | {
      readonly type: 'UpdateDistribution';
      readonly distributionId: string;
      readonly fields: DistributionFields;
      readonly others: readonly DistributionSummary[];
      readonly at: string;
    }
  | { readonly type: 'DeleteDistribution'; readonly distributionId: string; readonly at: string };

const DEFAULTS: Omit<DistributionSettings, 'name' | 'basePath'> = {
  target: null,
  private: false,
  hidden: false,
  description: null,
  pulpLabels: {},
};

const LABEL_KEY = /^[A-Za-z0-9_.-]+$/;

/**
 * Decides a distribution command. Fields follow Pulp's request semantics: an absent field keeps its value,
 * or its default on create. Tasks may run again after a crash, so repeating a create or update that already
 * happened, or a delete, decides nothing. Pure: time, ids and the other distributions come with the command.
 */
export function decideDistribution(
  command: DistributionCommand,
  distribution: Distribution | undefined,
): DistributionEvent[] {
  const { distributionId, at } = command;
  switch (command.type) {
    case 'CreateDistribution': {
      const problems = new Problems();
      const settings = settingsAfter(command.fields, undefined, problems);
      if (distribution && problems.none()) {
        if (!distribution.deleted && changedSettings(distribution, settings).length === 0) return [];
        throw new DistributionAlreadyExistsError(distributionId);
      }
      checkRules(settings, distributionId, command.others, problems);
      problems.throwIfAny();
      return [{ type: 'DistributionCreated', data: { distributionId, ...settings, createdAt: at } }];
    }
    case 'UpdateDistribution': {
      if (!distribution || distribution.deleted) throw new DistributionNotFoundError(distributionId);
      const problems = new Problems();
      const settings = settingsAfter(command.fields, distribution, problems);
      const changed = changedSettings(distribution, settings);
      if (problems.none() && changed.length === 0) return [];
      checkRules(settings, distributionId, command.others, problems);
      problems.throwIfAny();
      const changes = Object.fromEntries(changed.map((name) => [name, settings[name]]));
      return [{ type: 'DistributionUpdated', data: { changes, updatedAt: at } }];
    }
    case 'DeleteDistribution':
      if (!distribution) throw new DistributionNotFoundError(distributionId);
      return distribution.deleted ? [] : [{ type: 'DistributionDeleted', data: { deletedAt: at } }];
  }
}

/** Every broken rule, each under the Pulp field it concerns, so one answer lists them all. */
class Problems {
  private readonly byField: Record<string, string[]> = {};

  add(field: string, message: string): void {
    (this.byField[field] ??= []).push(message);
  }

  has(field: string): boolean {
    return field in this.byField;
  }

  none(): boolean {
    return Object.keys(this.byField).length === 0;
  }

  throwIfAny(): void {
    if (!this.none()) throw new InvalidDistributionError(this.byField);
  }
}

/** The settings a request leaves: its fields over the current settings (or the defaults on create). */
function settingsAfter(
  fields: DistributionFields,
  current: DistributionSettings | undefined,
  problems: Problems,
): DistributionSettings {
  if (!current) {
    if (fields.name === undefined) problems.add('name', 'This field is required.');
    if (fields.basePath === undefined) problems.add('base_path', 'This field is required.');
  }
  const base = current ?? { ...DEFAULTS, name: '', basePath: '' };
  return {
    name: fields.name ?? base.name,
    basePath: fields.basePath ?? base.basePath,
    target: targetAfter(fields, base.target, problems),
    private: fields.private ?? base.private,
    hidden: fields.hidden ?? base.hidden,
    description: fields.description === undefined ? base.description : fields.description,
    pulpLabels: fields.pulpLabels ?? base.pulpLabels,
  };
}

/**
 * As in Pulp, a field the request names replaces the current one and one it leaves out stays, so switching
 * from a repository to a publication names both (`{"publication": …, "repository": null}`); a target left
 * with two of them is refused rather than guessed.
 */
function targetAfter(
  fields: DistributionFields,
  current: DistributionTarget | null,
  problems: Problems,
): DistributionTarget | null {
  const repositoryId =
    fields.repositoryId !== undefined
      ? fields.repositoryId
      : current?.kind === 'repository'
        ? current.repositoryId
        : null;
  const version =
    fields.repositoryVersion !== undefined
      ? fields.repositoryVersion
      : current?.kind === 'repository_version'
        ? { repositoryId: current.repositoryId, version: current.version }
        : null;
  const publicationId =
    fields.publicationId !== undefined
      ? fields.publicationId
      : current?.kind === 'publication'
        ? current.publicationId
        : null;
  if ([repositoryId, version, publicationId].filter((value) => value !== null).length > 1) {
    problems.add(
      'non_field_errors',
      "Only one of 'repository', 'repository_version' and 'publication' may be set; set the others to null.",
    );
    return null;
  }
  if (repositoryId !== null) return { kind: 'repository', repositoryId };
  if (version !== null) {
    if (!Number.isInteger(version.version) || version.version < 0) {
      problems.add('repository_version', `${version.version} is not a version number.`);
    }
    return { kind: 'repository_version', repositoryId: version.repositoryId, version: version.version };
  }
  if (publicationId !== null) return { kind: 'publication', publicationId };
  return null;
}

function changedSettings(
  current: DistributionSettings,
  next: DistributionSettings,
): (keyof DistributionSettings)[] {
  return SETTING_NAMES.filter((name) => !sameSetting(name, current[name], next[name]));
}

/** The rules on the whole of a distribution's settings, given every other live distribution. */
function checkRules(
  settings: DistributionSettings,
  distributionId: string,
  all: readonly DistributionSummary[],
  problems: Problems,
): void {
  const others = all.filter((other) => other.distributionId !== distributionId);

  if (!problems.has('name')) {
    if (settings.name.trim() === '') problems.add('name', 'This field may not be blank.');
    else if (others.some((other) => other.name === settings.name)) {
      problems.add('name', 'This field must be unique.');
    }
  }

  if (!problems.has('base_path')) {
    const problem = basePathProblem(settings.basePath, others);
    if (problem) problems.add('base_path', problem);
  }

  for (const [key, value] of Object.entries(settings.pulpLabels)) {
    if (!LABEL_KEY.test(key)) {
      problems.add('pulp_labels', `Label key "${key}" may only hold letters, digits, '_', '-' and '.'.`);
    }
    if (typeof value !== 'string') problems.add('pulp_labels', `Label "${key}" must have a string value.`);
  }
}

function basePathProblem(basePath: string, others: readonly DistributionSummary[]): string | undefined {
  if (!isValidRepositoryName(basePath)) {
    return (
      `"${basePath}" is not a valid base path: it must be an OCI repository name, lowercase letters and ` +
      `digits separated by '.', '_', '__' or '-', in components joined by '/'.`
    );
  }
  if (others.some((other) => other.basePath === basePath)) return 'This field must be unique.';
  const overlapping = others.find((other) => basePathsOverlap(other.basePath, basePath));
  return overlapping
    ? `Overlaps with existing distribution '${overlapping.name}' (base path '${overlapping.basePath}').`
    : undefined;
}
