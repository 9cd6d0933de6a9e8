/**
 * @module
 * A share group's state as a badge: Stable while members have sessions, Empty otherwise (its records in flight
 * and start offsets stay). The word is always there; colour only adds to it.
 */
import type { ShareGroupView } from "./share-group-api.ts";

const TITLES: Readonly<Record<ShareGroupView["state"], string>> = {
  Stable: "Members have open share sessions",
  Empty: "No member has a session; the group's progress is kept",
};

export function ShareStateBadge({ state }: { state: ShareGroupView["state"] }) {
  return (
    <span
      class={state === "Stable" ? "badge badge-success" : "badge"}
      title={TITLES[state]}
      data-state={state}
    >
      {state}
    </span>
  );
}
