import { Injectable } from '@nestjs/common';
import { EventStore } from '@wharf/ports';
import { UniqueNames } from '@wharf/runtime';
import type { DistributionSummary } from '@wharf/domain-distribution';
import { DistributionDirectory } from './distribution-directory.projection.js';

/**
 * Claims on the names and base paths distributions go by, so that two writers who both found one free
 * cannot both take it, even on different replicas. (Overlapping base paths cannot be claimed that way;
 * distribution writes run one at a time for that rule, see DistributionsService.)
 */
@Injectable()
export class DistributionNameClaims {
  private readonly names: UniqueNames;
  private readonly basePaths: UniqueNames;

  constructor(store: EventStore, directory: DistributionDirectory) {
    this.names = new UniqueNames(store, {
      claimStreamPrefix: 'distributionname-',
      claimEventType: 'DistributionNameClaimed',
      holderField: 'distributionId',
      isHeldBy: (holder, name) => directory.get(holder)?.name === name,
    });
    this.basePaths = new UniqueNames(store, {
      claimStreamPrefix: 'distributionpath-',
      claimEventType: 'DistributionBasePathClaimed',
      holderField: 'distributionId',
      isHeldBy: (holder, basePath) => directory.get(holder)?.basePath === basePath,
      field: 'base_path',
    });
  }

  /** Runs `write` holding the name and base path it gives the distribution; claims only what changes. */
  holding<T>(
    before: DistributionSummary | undefined,
    after: DistributionSummary,
    write: () => Promise<T>,
  ): Promise<T> {
    const id = after.distributionId;
    const withBasePath = () =>
      before?.basePath === after.basePath ? write() : this.basePaths.claim(after.basePath, id, write);
    return before?.name === after.name ? withBasePath() : this.names.claim(after.name, id, withBasePath);
  }
}
