import { collectDefaultMetrics, Counter, Gauge, Histogram, register } from 'prom-client';

/**
 * Every metric Wharf exposes on `/metrics`, defined once per process (prom-client's default registry): the
 * all-in-one process runs every service in one registry, a service alone exposes what it does. Labels are
 * bounded: route templates (never raw paths), task names, states, consumer names and store owners.
 * docs/operations.md lists them with what to alert on.
 */

collectDefaultMetrics({ prefix: 'wharf_' });

export const httpRequestDuration = new Histogram({
  name: 'wharf_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by server (api: REST and service ports; registry), method, route template and status.',
  labelNames: ['server', 'method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

export const tasksFinished = new Counter({
  name: 'wharf_tasks_total',
  help: 'Tasks a worker finished, by task name and final state (completed, failed, canceled).',
  labelNames: ['name', 'state'] as const,
});

export const taskDuration = new Histogram({
  name: 'wharf_task_duration_seconds',
  help: 'Time a worker spent running a task, by task name and final state.',
  labelNames: ['name', 'state'] as const,
  buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
});

export const tasksRunning = new Gauge({
  name: 'wharf_tasks_running',
  help: 'Tasks this process is running now, by task name.',
  labelNames: ['name'] as const,
});

export const bytesSynced = new Counter({
  name: 'wharf_bytes_synced_total',
  help: 'Bytes downloaded from remotes, verified and stored.',
});

export const bytesServed = new Counter({
  name: 'wharf_bytes_served_total',
  help: 'Bytes of blobs and manifests sent to registry clients.',
});

export const bytesUploaded = new Counter({
  name: 'wharf_bytes_uploaded_total',
  help: 'Bytes received from clients through uploads and artifacts.',
});

export const eventStoreAppendDuration = new Histogram({
  name: 'wharf_event_store_append_duration_seconds',
  help: 'Time to append a batch of events, by owning service store and outcome (ok, conflict, error).',
  labelNames: ['store', 'outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
});

/** A source of consumer lag: the bus adapter's word on how many messages wait for each of its consumers. */
export type ConsumerLagSource = () => Promise<ReadonlyMap<string, number>>;

const lagSources = new Set<ConsumerLagSource>();

export const busConsumerPending = new Gauge({
  name: 'wharf_bus_consumer_pending_messages',
  help: 'Messages waiting for a durable bus consumer (JetStream num_pending; 0 on the in-process bus).',
  labelNames: ['consumer'] as const,
  async collect() {
    this.reset();
    const results = await Promise.allSettled([...lagSources].map((source) => source()));
    for (const result of results) {
      if (result.status !== 'fulfilled') continue;
      for (const [consumer, pending] of result.value) this.set({ consumer }, pending);
    }
  },
});

/** Adds a lag source until the returned function is called (when its bus closes). */
export function addConsumerLagSource(source: ConsumerLagSource): () => void {
  lagSources.add(source);
  return () => lagSources.delete(source);
}

export const metricsRegistry = register;
