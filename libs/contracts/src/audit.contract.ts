/** One line of the audit log: an event some service recorded, as the audit service keeps it. */
export interface AuditRecord {
  readonly eventId: string;
  readonly type: string;
  readonly stream: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
  /** The API user or registry client whose request caused the event; null for Wharf's own work. */
  readonly actor: string | null;
  /**
   * What the event is about, when it says: a Wharf repository id (repository events), or the registry
   * repository name a client pulled or pushed (a distribution's base path).
   */
  readonly repository?: string | null;
  readonly version?: number | null;
  readonly digest?: string | null;
  readonly tag?: string | null;
  /** A remote's id. */
  readonly remote?: string | null;
  readonly data: unknown;
}

export interface ListAuditRecordsRequest {
  readonly type?: string;
  readonly stream?: string;
  readonly repository?: string;
  readonly actor?: string;
  /** Only events that occurred at or after this instant (ISO 8601). */
  readonly after?: string;
  /** Only events that occurred before this instant (ISO 8601). */
  readonly before?: string;
  readonly offset: number;
  readonly limit: number;
}

/** A manifest a registry client pulled or pushed, as the registry records it for the audit log. */
export interface RegistryManifestAccessData {
  /** The registry repository name: the distribution's base path. */
  readonly repository: string;
  readonly digest: string;
  /** The tag the client asked for, when it asked by tag. */
  readonly tag: string | null;
  readonly mediaType: string;
  readonly at: string;
}

/** Event types the registry records (stream category `registry`, so subjects `events.registry.<type>`). */
export const REGISTRY_ACCESS_EVENT_TYPES = ['ManifestPulled', 'ManifestPushed'] as const;
