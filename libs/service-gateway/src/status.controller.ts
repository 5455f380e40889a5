import { Controller, Get } from '@nestjs/common';
import { hostname } from 'node:os';
import { Infrastructure, type ReadinessProbe } from '@wharf/runtime';
import { API_ROOT } from './hrefs.js';
import { Public } from './auth/public.decorator.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { PULP_APP_VERSIONS, WHARF_VERSION } from './openapi/api-versions.js';

const PROBE_TIMEOUT_MS = 2_000;

interface Connection {
  /** null: this process does not use that kind of dependency, so it cannot say. */
  connected: boolean | null;
}

/** Probe names are `<kind>:<detail>` (`bus:nats`, `event-store:content`); these kinds feed each entry. */
const DATABASE_PROBES = ['event-store:', 'content-index:'];
const BUS_PROBES = ['bus:'];
const STORAGE_PROBES = ['blob-store:'];

/**
 * Pulp's `status/`, answered from this process's own readiness probes. That is honest but local: in the
 * all-in-one process it covers everything, while a gateway running alone knows only its bus (the services
 * own the databases and blob store, and report them on their own /readyz), so it answers `connected: null`
 * for those. Public, as in Pulp, and it shows only pass/fail, never a dependency's error text or address.
 */
@Controller(`${API_ROOT.slice(1)}status`)
export class StatusController {
  constructor(private readonly infrastructure: Infrastructure) {}

  @Get()
  @Public()
  @PulpOperation({
    operationId: 'status_read',
    summary: 'Versions and health of Wharf',
    tags: ['Status'],
    responses: { '200': 'StatusResponse' },
  })
  async read(): Promise<Record<string, unknown>> {
    const checks = await runProbes(this.infrastructure.probes);
    const versions = { ...PULP_APP_VERSIONS, wharf: WHARF_VERSION };
    return {
      versions: Object.entries(versions).map(([component, version]) => ({
        component,
        version,
        package: 'wharf',
        module: '@wharf/service-gateway',
        domain_compatible: false,
      })),
      // Wharf's services are not Pulp workers or content apps; only this API process reports itself.
      online_workers: [],
      online_api_apps: [
        {
          name: `${this.infrastructure.processName}@${hostname()}`,
          last_heartbeat: new Date().toISOString(),
          versions,
        },
      ],
      online_content_apps: [],
      database_connection: connection(checks, DATABASE_PROBES),
      bus_connection: connection(checks, BUS_PROBES),
      storage: connection(checks, STORAGE_PROBES),
      domain_enabled: false,
      checks,
    };
  }
}

async function runProbes(probes: readonly ReadinessProbe[]): Promise<Record<string, boolean>> {
  const results = await Promise.all(probes.map(async (probe) => [probe.name, await passes(probe)] as const));
  return Object.fromEntries(results);
}

async function passes(probe: ReadinessProbe): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(() => probe.check())
        .then(() => true),
      timeout,
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function connection(checks: Record<string, boolean>, kinds: readonly string[]): Connection {
  const relevant = Object.entries(checks).filter(([name]) => kinds.some((kind) => name.startsWith(kind)));
  return { connected: relevant.length === 0 ? null : relevant.every(([, ok]) => ok) };
}
