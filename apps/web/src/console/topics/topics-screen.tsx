/**
 * @module
 * The topics list: every topic with its partitions, records (high watermark − log start; for a compacted topic,
 * marked as such, that is only an upper bound), retained bytes, retention and the regions leading its partitions; a name filter kept in the URL; create and delete for an
 * operator. The list scrolls with the page and is virtualised, so 10,000 topics draw a screenful of rows, and the
 * per-topic figures are fetched only for the rows in view (describe-queue.ts).
 *
 * Listing topics needs `admin` (a listing names every topic of the deployment): any other token gets a form to
 * open a topic by name, and links to the topics its rights name.
 */
import type { ComponentChildren, RefObject } from "preact";
import { useEffect, useLayoutEffect, useMemo, useState } from "preact/hooks";
import { grantedNames, isAdmin } from "../rights.ts";
import { href, navigate, route } from "../router.ts";
import { Button } from "../ui/button.tsx";
import { ConfirmDialog } from "../ui/dialog.tsx";
import { describeError } from "../ui/errors.ts";
import { formatBytes, formatCount } from "../ui/format.ts";
import { ErrorBanner, toast } from "../ui/notice.tsx";
import { ScreenHeader } from "../ui/screen-header.tsx";
import { Empty, Loading } from "../ui/states.tsx";
import { useResource } from "../ui/use-resource.ts";
import { useVirtualRows } from "../ui/use-virtual-rows.ts";
import { CompactedBadge, isCompacted, OFFSETS_NOTE } from "./cleanup-policy.tsx";
import { CreateTopicDialog } from "./create-topic-dialog.tsx";
import { type Described, DescribeQueue } from "./describe-queue.ts";
import { Leaders } from "./leaders.tsx";
import { retentionText } from "./retention.ts";
import { deleteTopic, leadersOf, listTopics, type TopicSummary, totalsOf } from "./topics-api.ts";
import "./topics.css";

/** A name that could be a topic (`[a-zA-Z0-9._-]{1,249}`): checked before navigating to it. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function TopicsScreen() {
  return isAdmin() ? <TopicsList /> : <TopicsByName />;
}

/** Go straight to a topic by its name: how a token without `admin` reaches its topics. */
function OpenTopicForm() {
  const [name, setName] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      class="open-topic"
      onSubmit={(event) => {
        event.preventDefault();
        const wanted = name.trim();
        if (!TOPIC_NAME.test(wanted)) {
          setProblem("A topic name is 1–249 of a–z, A–Z, 0–9, '.', '_' and '-'.");
          return;
        }
        navigate(href(["topics", wanted]));
      }}
    >
      <label for="open-topic-name">Open a topic by name</label>
      <div class="open-topic-row">
        <input
          id="open-topic-name"
          name="topic"
          autocomplete="off"
          spellcheck={false}
          maxLength={249}
          placeholder="orders"
          value={name}
          aria-invalid={problem === null ? undefined : "true"}
          aria-describedby={problem === null ? undefined : "open-topic-problem"}
          onInput={(event) => {
            setName(event.currentTarget.value);
            setProblem(null);
          }}
        />
        <Button type="submit">Open</Button>
      </div>
      {problem === null ? null : (
        <p id="open-topic-problem" class="field-error">
          {problem}
        </p>
      )}
    </form>
  );
}

function TopicsByName() {
  const consume = grantedNames("consume");
  const produce = grantedNames("produce");
  const exact = [...new Set([...consume.exact, ...produce.exact])].sort();
  const prefixes = [...new Set([...consume.prefixes, ...produce.prefixes])].sort();
  return (
    <section class="screen">
      <ScreenHeader title="Topics" />
      <p class="notice notice-info">
        This token cannot list topics: a listing names every topic of the deployment, so it needs{" "}
        <code>admin</code>. Open the topics it may read or write by name.
      </p>
      <div class="card">
        <OpenTopicForm />
      </div>
      {exact.length === 0 && prefixes.length === 0 ? null : (
        <div class="card">
          <h2>Named by this token</h2>
          {exact.length === 0 ? null : (
            <ul class="link-list">
              {exact.map((name) => (
                <li key={name}>
                  <a href={href(["topics", name])}>{name}</a>
                </li>
              ))}
            </ul>
          )}
          {prefixes.length === 0 ? null : (
            <p class="muted">
              And any topic whose name starts with{" "}
              {prefixes.map((prefix, i) => (
                <span key={prefix}>
                  {i === 0 ? "" : ", "}
                  <code>{prefix === "" ? "(anything)" : prefix}</code>
                </span>
              ))}
              .
            </p>
          )}
        </div>
      )}
    </section>
  );
}

/** A phone shows each row as a card, several times taller than a table row: the first guess before measuring. */
const ROW_HEIGHT = 49;
const CARD_HEIGHT = 260;
const phone = () => matchMedia("(max-width: 640px)").matches;

function TopicsList() {
  const topics = useResource(() => listTopics(), []);
  const [queue] = useState(() => new DescribeQueue());
  const filter = route.value.query.get("q") ?? "";
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<string | null>(null);

  const shown = useMemo(() => {
    const all = topics.data ?? [];
    const needle = filter.trim().toLowerCase();
    return needle === "" ? all : all.filter((t) => t.name.toLowerCase().includes(needle));
  }, [topics.data, filter]);

  const refresh = () => topics.reload();

  return (
    <section class="screen">
      <ScreenHeader
        title="Topics"
        actions={
          <>
            <Button onClick={refresh} busy={topics.loading && topics.data !== undefined}>
              Refresh
            </Button>
            <Button variant="primary" onClick={() => setCreating(true)}>
              Create topic
            </Button>
          </>
        }
      >
        {topics.data === undefined
          ? null
          : filter === ""
            ? `${formatCount(topics.data.length)} topics`
            : `${formatCount(shown.length)} of ${formatCount(topics.data.length)} topics`}
      </ScreenHeader>
      <div class="toolbar">
        <div class="field">
          <label for="topic-filter">Filter by name</label>
          <input
            id="topic-filter"
            type="search"
            autocomplete="off"
            spellcheck={false}
            maxLength={249}
            placeholder="Part of a name"
            value={filter}
            onInput={(event) => {
              const q = event.currentTarget.value;
              navigate(href(["topics"], q === "" ? undefined : { q }), { replace: true });
            }}
          />
        </div>
      </div>
      <ErrorBanner error={topics.error} title="Could not list topics" onRetry={topics.reload} />
      {topics.data === undefined ? (
        topics.error === null ? (
          <Loading label="Loading topics…" />
        ) : null
      ) : topics.data.length === 0 ? (
        <Empty title="No topics yet">
          <p>Create one to start producing records.</p>
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create topic
          </Button>
        </Empty>
      ) : shown.length === 0 ? (
        <Empty title={`No topic name contains “${filter}”`} />
      ) : (
        <TopicRows topics={shown} list={topics.data} queue={queue} onDelete={setDeleting} />
      )}
      <CreateTopicDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(name) => {
          toast(`Topic ${name} created`);
          refresh();
        }}
      />
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        title="Delete topic"
        confirmLabel="Delete topic"
        danger
        typed={deleting ?? ""}
        onConfirm={async () => {
          if (deleting === null) return;
          await deleteTopic(deleting);
          toast(`Topic ${deleting} deleted`);
          refresh();
        }}
      >
        <p>
          Deletes <strong>{deleting}</strong> with every record in it, its producers' state and the offsets
          consumer groups committed for it. This cannot be undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function TopicRows({
  topics,
  list,
  queue,
  onDelete,
}: {
  /** The rows: the list as filtered. */
  topics: readonly TopicSummary[];
  /** The list as the server answered it: a new one (a refresh) makes every row's figures stale. */
  list: readonly TopicSummary[];
  queue: DescribeQueue;
  onDelete: (name: string) => void;
}) {
  // Dropped when a new list arrives, not when it is asked for (until then the rows are the old list's, and asking
  // again for a topic just deleted would earn a 404); and before the rows ask (layout effects run before effects),
  // so that no answer to this list's first requests is thrown away.
  useLayoutEffect(() => queue.clear(), [list, queue]);
  const onPhone = phone();
  const rows = useVirtualRows({
    count: topics.length,
    estimateSize: () => (onPhone ? CARD_HEIGHT : ROW_HEIGHT),
    getItemKey: (index) => topics[index]?.name ?? index,
  });
  // Subscribes the rows to the queue's answers.
  void queue.version.value;
  const visible = rows.items
    .map((item) => topics[item.index]?.name)
    .filter((n): n is string => n !== undefined);
  const visibleKey = visible.join("\n");
  // `visibleKey` stands for `visible` (a new array each render).
  useEffect(() => queue.want(visible), [visibleKey, queue.version.value]);
  const columns = 7;
  return (
    <div class="table-wrap">
      <table class="table topics-table" aria-rowcount={topics.length + 1}>
        <caption class="visually-hidden">Topics</caption>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col">Name</th>
            <th scope="col" class="num">
              Partitions
            </th>
            <th scope="col" class="num">
              Records
            </th>
            <th scope="col" class="num">
              Size
            </th>
            <th scope="col">Retention</th>
            <th scope="col">Leaders</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody ref={rows.listRef as RefObject<HTMLTableSectionElement>}>
          {rows.paddingTop > 0 ? (
            <tr class="vspacer">
              <td colSpan={columns} style={{ height: `${rows.paddingTop}px` }} />
            </tr>
          ) : null}
          {rows.items.map((item) => {
            const topic = topics[item.index];
            if (topic === undefined) return null;
            return (
              <TopicRow
                key={topic.name}
                topic={topic}
                index={item.index}
                measure={rows.virtualizer.measureElement}
                described={queue.get(topic.name)}
                onDelete={onDelete}
              />
            );
          })}
          {rows.paddingBottom > 0 ? (
            <tr class="vspacer">
              <td colSpan={columns} style={{ height: `${rows.paddingBottom}px` }} />
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}

function TopicRow({
  topic,
  index,
  measure,
  described,
  onDelete,
}: {
  topic: TopicSummary;
  index: number;
  measure: (node: Element | null) => void;
  described: Described | undefined;
  onDelete: (name: string) => void;
}) {
  const view = described?.status === "done" ? described.view : undefined;
  const totals = view === undefined ? undefined : totalsOf(view);
  const pending = described === undefined || described.status === "loading";
  const failed = described?.status === "error" ? described.error : null;
  const figure = (value: (t: NonNullable<typeof totals>) => ComponentChildren) =>
    totals !== undefined ? value(totals) : pending ? <span class="muted">…</span> : "—";
  return (
    <tr data-index={index} ref={measure} aria-rowindex={index + 2} data-topic={topic.name}>
      <td data-label="Name" class="topic-name">
        <a href={href(["topics", topic.name])}>{topic.name}</a> <CompactedBadge config={topic.config} />
        {failed === null ? null : <DescribeFailure error={failed} />}
      </td>
      <td class="num" data-label="Partitions">
        {formatCount(topic.partitions)}
      </td>
      <td class="num" data-label="Records">
        {figure((t) =>
          isCompacted(topic.config) ? (
            <span title={OFFSETS_NOTE}>
              ≤ {formatCount(t.records)}
              <span class="visually-hidden"> (offsets; compaction removed some records)</span>
            </span>
          ) : (
            formatCount(t.records)
          ),
        )}
      </td>
      <td class="num" data-label="Size">
        {figure((t) => formatBytes(t.bytes))}
      </td>
      <td data-label="Retention">{retentionText(topic.config)}</td>
      <td data-label="Leaders">
        {view === undefined ? (
          pending ? (
            <span class="muted">…</span>
          ) : (
            "—"
          )
        ) : (
          <Leaders leaders={leadersOf(view)} />
        )}
      </td>
      <td data-label="Actions">
        <div class="row-actions">
          <a class="btn btn-ghost btn-small" href={href(["topics", topic.name, "messages"])}>
            Messages
          </a>
          <Button
            small
            variant="ghost"
            onClick={() => onDelete(topic.name)}
            aria-label={`Delete ${topic.name}`}
          >
            Delete
          </Button>
        </div>
      </td>
    </tr>
  );
}

/** Why a row's figures are missing, compactly: the code, with the server's message on hover and for readers. */
function DescribeFailure({ error }: { error: unknown }) {
  const { code, message } = describeError(error);
  return (
    <span class="row-error" title={message}>
      <code>{code}</code>
      <span class="visually-hidden"> {message}</span>
    </span>
  );
}
