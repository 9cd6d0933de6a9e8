/**
 * @module
 * The regions leading a topic's partitions, as badges with how many each leads ("wnam ×2"): where writes to the
 * topic go. A store without placement (the memory store) has none to show.
 */
export function Leaders({ leaders }: { leaders: Map<string, number> }) {
  if (leaders.size === 0) return <span class="muted">—</span>;
  return (
    <span class="badges">
      {[...leaders].map(([region, count]) => (
        <span key={region} class="badge">
          {region}
          {count > 1 ? ` ×${count}` : ""}
        </span>
      ))}
    </span>
  );
}
