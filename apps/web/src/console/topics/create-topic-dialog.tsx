/**
 * @module
 * Creating a topic: name, partitions and the configs people set at creation (the cleanup policy — with the
 * compaction settings for a compacted topic —, retention by time and by size, the largest batch), and — where the server places partitions in regions and runs in more than one (`GET
 * /v1/cluster`) — the replica regions, the first of which leads, with `min.insync.replicas`. The name and counts
 * are checked here for quick feedback; the server checks everything again and its refusal (a taken or colliding
 * name, a bad config) is shown with its code.
 */
import { useEffect, useState } from "preact/hooks";
import { Button } from "../ui/button.tsx";
import { Dialog } from "../ui/dialog.tsx";
import { NumberField, SelectField, TextField } from "../ui/field.tsx";
import { ErrorBanner } from "../ui/notice.tsx";
import { useResource } from "../ui/use-resource.ts";
import { type ClusterView, createTopic, describeCluster } from "./topics-api.ts";

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const MAX_PARTITIONS = 1_000;
/** Durable Object SQLite keeps a batch in one 2 MB row (core's `MAX_MESSAGE_BYTES_LIMIT`). */
const MAX_MESSAGE_BYTES = 2_000_000 - 64 * 1024;

const RETENTION_TIMES = [
  { value: "3600000", label: "1 hour" },
  { value: "86400000", label: "1 day" },
  { value: "604800000", label: "7 days (default)" },
  { value: "2592000000", label: "30 days" },
  { value: "-1", label: "Forever" },
] as const;

const RETENTION_SIZES = [
  { value: "-1", label: "Unlimited" },
  { value: String(100 * 1024 ** 2), label: "100 MiB" },
  { value: String(1024 ** 3), label: "1 GiB" },
  { value: String(10 * 1024 ** 3), label: "10 GiB" },
] as const;

const POLICIES = [
  { value: "delete", label: "Delete by age and size (delete)" },
  { value: "compact", label: "Keep the latest per key (compact)" },
  { value: "compact,delete", label: "Both (compact,delete)" },
] as const;

/** The compaction settings offered for a compacted topic; empty fields keep Kafka's defaults. */
const COMPACTION_FIELDS = [
  {
    name: "delete.retention.ms",
    placeholder: "86400000",
    hint: "How long a tombstone (null value) stays readable, ms. Default 1 day.",
  },
  {
    name: "min.compaction.lag.ms",
    placeholder: "0",
    hint: "How old a record must be before compaction may remove it, ms. Default 0.",
  },
  {
    name: "max.compaction.lag.ms",
    placeholder: "no bound",
    hint: "Compact at the latest this long after a write, ms. Default: no bound.",
  },
  {
    name: "min.cleanable.dirty.ratio",
    placeholder: "0.5",
    hint: "Compact once this share of the partition is new, 0 to 1. Default 0.5.",
  },
] as const;

type Policy = (typeof POLICIES)[number]["value"];
type CompactionName = (typeof COMPACTION_FIELDS)[number]["name"];
type RetentionTime = (typeof RETENTION_TIMES)[number]["value"];
type RetentionSize = (typeof RETENTION_SIZES)[number]["value"];

/** A whole number in `[min, max]` from a field's text, or `null`. */
function wholeNumber(text: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(text.trim())) return null;
  const value = Number(text.trim());
  return value >= min && value <= max ? value : null;
}

export function CreateTopicDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (name: string) => void;
}) {
  const [name, setName] = useState("");
  const [partitions, setPartitions] = useState("3");
  const [retentionMs, setRetentionMs] = useState<RetentionTime>("604800000");
  const [retentionBytes, setRetentionBytes] = useState<RetentionSize>("-1");
  const [maxMessageBytes, setMaxMessageBytes] = useState("");
  const [policy, setPolicy] = useState<Policy>("delete");
  const [compaction, setCompaction] = useState<ReadonlyMap<CompactionName, string>>(new Map());
  const [replicas, setReplicas] = useState<readonly string[]>([]);
  const [minInsync, setMinInsync] = useState("1");
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const cluster = useResource<ClusterView | null>(
    () => (open ? describeCluster().catch(() => null) : Promise.resolve(null)),
    [open],
  );

  useEffect(() => {
    if (!open) return;
    setName("");
    setPartitions("3");
    setRetentionMs("604800000");
    setRetentionBytes("-1");
    setMaxMessageBytes("");
    setPolicy("delete");
    setCompaction(new Map());
    setReplicas([]);
    setMinInsync("1");
    setTouched(false);
    setError(null);
  }, [open]);

  const regions = cluster.data?.replication === true ? cluster.data.regions : [];
  const nameProblem = TOPIC_NAME.test(name)
    ? name === "." || name === ".."
      ? "“.” and “..” are not topic names."
      : null
    : "1–249 characters: a–z, A–Z, 0–9, '.', '_' and '-'.";
  const partitionCount = wholeNumber(partitions, 1, MAX_PARTITIONS);
  const batchLimit =
    maxMessageBytes.trim() === "" ? undefined : wholeNumber(maxMessageBytes, 1, MAX_MESSAGE_BYTES);

  const submit = async (event: Event) => {
    event.preventDefault();
    setTouched(true);
    if (busy || nameProblem !== null || partitionCount === null || batchLimit === null) return;
    setBusy(true);
    setError(null);
    try {
      // Pure compaction deletes nothing by age or size: the retention choices do not apply and are not sent.
      const config: Record<string, number | string> =
        policy === "compact"
          ? {}
          : { "retention.ms": Number(retentionMs), "retention.bytes": Number(retentionBytes) };
      if (policy !== "delete") {
        config["cleanup.policy"] = policy;
        // As typed: the server validates them as Kafka does and its INVALID_CONFIG names the setting.
        for (const [name, text] of compaction) if (text.trim() !== "") config[name] = text.trim();
      }
      if (batchLimit !== undefined) config["max.message.bytes"] = batchLimit;
      if (replicas.length > 1) config["min.insync.replicas"] = Number(minInsync);
      // Regions in the deployment's order: the first listed there leads.
      const ordered = regions.filter((region) => replicas.includes(region));
      await createTopic({
        name,
        partitions: partitionCount,
        config,
        ...(ordered.length === 0 ? {} : { replicas: ordered }),
      });
      onCreated(name);
      onClose();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onClose={() => !busy && onClose()} title="Create topic" wide>
      <form class="form" onSubmit={submit} noValidate>
        <TextField
          label="Name"
          name="name"
          value={name}
          onValue={setName}
          required
          autocomplete="off"
          spellcheck={false}
          maxLength={249}
          placeholder="orders"
          hint="Letters, digits, '.', '_' and '-'. Names differing only by '.' versus '_' collide."
          error={touched ? nameProblem : null}
        />
        <div class="form-row">
          <NumberField
            label="Partitions"
            name="partitions"
            value={partitions}
            onValue={setPartitions}
            hint="Partitions can be added later, never removed."
            error={touched && partitionCount === null ? `A whole number from 1 to ${MAX_PARTITIONS}.` : null}
          />
          <SelectField
            label="Cleanup policy"
            name="cleanup.policy"
            value={policy}
            onValue={setPolicy}
            options={POLICIES}
            hint={policy === "delete" ? undefined : "Every record needs a key; not on replicated topics."}
          />
        </div>
        {policy === "compact" ? null : (
          <div class="form-row">
            <SelectField
              label="Keep records for"
              name="retention.ms"
              value={retentionMs}
              onValue={setRetentionMs}
              options={RETENTION_TIMES}
            />
            <SelectField
              label="Keep at most, per partition"
              name="retention.bytes"
              value={retentionBytes}
              onValue={setRetentionBytes}
              options={RETENTION_SIZES}
            />
          </div>
        )}
        {policy === "delete" ? null : (
          <fieldset class="compaction-settings">
            <legend>Compaction</legend>
            <p class="field-hint">
              At least the latest record of each key is kept; a null value deletes its key. Empty fields keep
              the defaults.
            </p>
            <div class="compaction-fields">
              {COMPACTION_FIELDS.map((field) => (
                <TextField
                  key={field.name}
                  label={field.name}
                  name={field.name}
                  value={compaction.get(field.name) ?? ""}
                  onValue={(value) => setCompaction(new Map(compaction).set(field.name, value))}
                  placeholder={field.placeholder}
                  hint={field.hint}
                  autocomplete="off"
                  spellcheck={false}
                  maxLength={32}
                />
              ))}
            </div>
          </fieldset>
        )}
        <NumberField
          label="Largest batch (max.message.bytes)"
          name="max.message.bytes"
          value={maxMessageBytes}
          onValue={setMaxMessageBytes}
          placeholder="1048576"
          hint="Bytes; empty for the default, 1 MiB."
          error={
            touched && batchLimit === null ? `A whole number of bytes from 1 to ${MAX_MESSAGE_BYTES}.` : null
          }
        />
        {regions.length > 1 ? (
          <fieldset class="regions-picker">
            <legend>Replicas</legend>
            <p class="field-hint">
              A copy of every partition in each region checked; the first (in this order) leads. None checked:
              one copy per partition, spread over the regions.
            </p>
            <div class="checks">
              {regions.map((region) => (
                <label key={region}>
                  <input
                    type="checkbox"
                    name="replicas"
                    value={region}
                    checked={replicas.includes(region)}
                    onChange={(event) =>
                      setReplicas(
                        event.currentTarget.checked
                          ? [...replicas, region]
                          : replicas.filter((chosen) => chosen !== region),
                      )
                    }
                  />
                  {region}
                </label>
              ))}
            </div>
            {replicas.length > 1 ? (
              <SelectField
                label="min.insync.replicas"
                name="min.insync.replicas"
                value={minInsync}
                onValue={setMinInsync}
                hint="How many replicas must hold a record before an acks=all produce is answered."
                options={Array.from({ length: replicas.length }, (_, i) => ({
                  value: String(i + 1),
                  label: String(i + 1),
                }))}
              />
            ) : null}
          </fieldset>
        ) : null}
        <ErrorBanner error={error} title="The server refused the topic" />
        <div class="form-actions">
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={busy}>
            Create topic
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
