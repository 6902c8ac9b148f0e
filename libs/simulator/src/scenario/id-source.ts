/**
 * Ids of everything the simulator creates (runs, artifacts, batches, scans):
 * `<prefix>-<kind>-<n>`, counted per kind. Ids never repeat within a process, not even after a
 * reset, and the prefix (`SIM_ID_PREFIX`, random by default) keeps them apart across simulator
 * restarts, because Bridge's sync event log outlives the simulator's memory.
 */
export class IdSource {
  private readonly counters = new Map<string, number>();

  constructor(private readonly prefix: string) {}

  next(kind: string): string {
    const next = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, next);
    return `${this.prefix}-${kind}-${next}`;
  }
}
