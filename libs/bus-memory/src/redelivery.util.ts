/**
 * How long a message waits before it is offered again after its handler threw. The first retry is quick
 * (a transient failure is the common case); later ones back off so a message that always fails does not
 * spin the CPU.
 */
export function redeliveryDelayMs(failedDeliveries: number): number {
  return Math.min(50 * 2 ** (failedDeliveries - 1), 10_000);
}
