// Helpers of the share-group tests: a restart is a new coordinator over a copy of what the store persisted.
import { MemoryShareState } from "../../src/memory/memory-share-state.ts";

/** A new state store holding a JSON round trip of everything `from` holds (every group, every partition). */
export async function copyShareState(from: MemoryShareState): Promise<MemoryShareState> {
  const to = new MemoryShareState();
  for (const groupId of await from.listShareStates()) {
    const stored = await from.getShareState(groupId, (meta) =>
      Object.keys((meta as { partitions: Record<string, unknown> }).partitions),
    );
    if (stored === null) continue;
    const copy = JSON.parse(JSON.stringify({ meta: stored.meta, partitions: [...stored.partitions] })) as {
      meta: unknown;
      partitions: [string, unknown][];
    };
    await to.putShareState(groupId, { meta: copy.meta, partitions: new Map(copy.partitions) }, null);
  }
  return to;
}
