/**
 * @module
 * Configuring a topic's partition objects in bounded steps, all or nothing. Reaching thousands of objects at
 * once opened thousands of SQLite files together (`SQLITE_CANTOPEN`) and starved every other request; and a
 * create that failed half-way left the objects it had configured behind, orphaned under a topic id no row
 * names. Here at most `step` objects are configured at a time and, when any fails, every object this call
 * reached is destroyed before the error is rethrown.
 */

/** How many partition objects one create or grow configures at once. */
export const CONFIGURE_STEP = 100;

export interface PartitionSetup {
  /** Configures one partition's object; rejects when it cannot. */
  readonly configure: (partition: number) => Promise<void>;
  /** Wipes one partition's object (safe on an object that was never configured). */
  readonly destroy: (partition: number) => Promise<void>;
  /** Objects configured at once; default `CONFIGURE_STEP`. */
  readonly step?: number;
}

/** Configures `partitions` step by step; on failure destroys what it reached and rethrows the first error. */
export async function configurePartitions(
  partitions: readonly number[],
  setup: PartitionSetup,
): Promise<void> {
  const step = Math.max(1, setup.step ?? CONFIGURE_STEP);
  let reached = 0;
  try {
    for (; reached < partitions.length; ) {
      const slice = partitions.slice(reached, reached + step);
      reached += slice.length;
      // Settled, not raced: an undo must not overtake a configure still in flight.
      const failed = (await Promise.allSettled(slice.map(setup.configure))).find(
        (r) => r.status === "rejected",
      );
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    }
  } catch (error) {
    // A failed configure may still have created its object, so the undo covers every partition reached.
    const undo = partitions.slice(0, reached);
    let leftBehind = 0;
    for (let i = 0; i < undo.length; i += step) {
      const results = await Promise.allSettled(undo.slice(i, i + step).map(setup.destroy));
      leftBehind += results.filter((r) => r.status === "rejected").length;
    }
    if (leftBehind > 0) {
      console.error(
        `edgelog: ${leftBehind} partition object(s) could not be destroyed after a failed create`,
      );
    }
    throw error;
  }
}
