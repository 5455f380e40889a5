import { randomUUID } from 'node:crypto';
import { ValidationError } from '@wharf/contracts';
import { EventStore, WrongExpectedVersionError } from '@wharf/ports';

export interface UniqueNamesOptions {
  /** The claims on name `x` live in stream `<claimStreamPrefix>x`. */
  readonly claimStreamPrefix: string;
  /** Type of the claim events, e.g. `RemoteNameClaimed`. */
  readonly claimEventType: string;
  /** Field of the claim event naming the claimant, e.g. `remoteId`; the event is `{ name, [holderField]: id }`. */
  readonly holderField: string;
  /**
   * Whether `holderId` still goes by `name`: false once it was deleted or renamed, and for a claimant whose
   * creation never happened (it crashed or was refused between claim and creation).
   */
  readonly isHeldBy: (holderId: string, name: string) => boolean;
  /** The request field a taken name is reported under; default `name`. */
  readonly field?: string;
}

export interface ClaimOptions {
  /** Stored with the claim event, as with the aggregate's own events. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A name another live object goes by, reported in Pulp's words under the request field. */
export class NameTakenError extends ValidationError {
  constructor(
    readonly field: string,
    readonly takenName: string,
  ) {
    super({ [field]: ['This field must be unique.'] });
  }
}

/**
 * Names that must be unique among live objects of one kind (repositories, remotes, distributions). The event
 * log has no unique index across streams, so each name gets a tiny stream of claims: whoever appends the
 * next claim at the version they read owns the name, and a concurrent claimant loses on the version check. A
 * claim by an object that was deleted or renamed since no longer counts, so names are reusable.
 *
 * `claim` runs the caller's creation (or rename) while the name is marked pending in this process: between
 * the claim's append and the creation's, the claimant is not yet live, and without the mark a second request
 * here would see a stale claim and take the name too. Across processes that window stays, as short as
 * one append.
 */
export class UniqueNames {
  private readonly pending = new Map<string, string>();
  private readonly field: string;

  constructor(
    private readonly store: EventStore,
    private readonly options: UniqueNamesOptions,
  ) {
    this.field = options.field ?? 'name';
  }

  /** Throws NameTakenError when `name` belongs to a live object other than `holderId`. Appends nothing. */
  async assertAvailable(name: string, holderId: string): Promise<void> {
    const { holder } = await this.current(name);
    this.assertFree(name, holderId, holder);
  }

  /**
   * Claims `name` for `holderId` and then runs `use` (the append that makes the holder go by that name). A
   * claim that `use` fails after is left behind, harmless: its claimant is not live, so it does not count.
   */
  async claim<T>(
    name: string,
    holderId: string,
    use: () => Promise<T>,
    options: ClaimOptions = {},
  ): Promise<T> {
    const { version, holder } = await this.current(name);
    this.assertFree(name, holderId, holder);
    this.pending.set(name, holderId);
    try {
      await this.append(name, holderId, version, options);
      return await use();
    } finally {
      if (this.pending.get(name) === holderId) this.pending.delete(name);
    }
  }

  private async append(
    name: string,
    holderId: string,
    version: number,
    options: ClaimOptions,
  ): Promise<void> {
    try {
      await this.store.append(
        this.options.claimStreamPrefix + name,
        [
          {
            id: randomUUID(),
            type: this.options.claimEventType,
            data: { name, [this.options.holderField]: holderId },
            ...(options.metadata ? { metadata: options.metadata } : {}),
          },
        ],
        version,
      );
    } catch (error) {
      // Someone claimed the name since it was read: they were first.
      if (error instanceof WrongExpectedVersionError) throw new NameTakenError(this.field, name);
      throw error;
    }
  }

  private async current(name: string): Promise<{ version: number; holder: string | undefined }> {
    let version = 0;
    let holder: string | undefined;
    for await (const event of this.store.readStream(this.options.claimStreamPrefix + name)) {
      version = event.position;
      const claimant = (event.data as Record<string, unknown>)[this.options.holderField];
      holder = typeof claimant === 'string' ? claimant : undefined;
    }
    return { version, holder };
  }

  private assertFree(name: string, holderId: string, holder: string | undefined): void {
    const pendingHolder = this.pending.get(name);
    if (pendingHolder !== undefined && pendingHolder !== holderId) throw new NameTakenError(this.field, name);
    if (holder !== undefined && holder !== holderId && this.options.isHeldBy(holder, name)) {
      throw new NameTakenError(this.field, name);
    }
  }
}
