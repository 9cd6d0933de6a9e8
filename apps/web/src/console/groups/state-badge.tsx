/**
 * @module
 * A group's state as a badge (KIP-848's names): Stable (every member owns its target), Reconciling (partitions
 * are moving between members), Empty (no members; offsets may remain). Colour is never the only signal: the
 * word is always there.
 */
import type { GroupView } from "./group-api.ts";

const TITLES: Record<GroupView["state"], string> = {
  Stable: "Every member owns what the coordinator assigned it",
  Reconciling: "Partitions are moving between members",
  Empty: "No members; committed offsets are kept",
};

export function StateBadge({ state }: { state: GroupView["state"] }) {
  return (
    <span class={`badge state-${state.toLowerCase()}`} title={TITLES[state]} data-state={state}>
      {state}
    </span>
  );
}
