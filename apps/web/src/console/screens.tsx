/**
 * @module
 * The console's route table: which screen a hash path shows. Each screen lives in its own folder and takes the
 * route's parameters as props; the shell (app.tsx) draws navigation around whatever this returns.
 */
import type { JSX } from "preact";
import { AccessScreen } from "./access/access-screen.tsx";
import { lazyScreen } from "./lazy-screen.tsx";
import type { Route } from "./router.ts";
import { TopicScreen } from "./topics/topic-screen.tsx";
import { TopicsScreen } from "./topics/topics-screen.tsx";

// The topics and access screens come with the page (the first screen and the sign-in); the others are chunks of
// their own, loaded on first visit or when the browser is idle (lazy-screen.tsx): their libraries (charts,
// record views) stay out of the first load.
const MessagesScreen = lazyScreen(
  async () => (await import("./messages/messages-screen.tsx")).MessagesScreen,
);
const GroupsScreen = lazyScreen(async () => (await import("./groups/groups-screen.tsx")).GroupsScreen);
const GroupScreen = lazyScreen(async () => (await import("./groups/group-screen.tsx")).GroupScreen);
const ShareGroupsScreen = lazyScreen(
  async () => (await import("./share-groups/share-groups-screen.tsx")).ShareGroupsScreen,
);
const ShareGroupScreen = lazyScreen(
  async () => (await import("./share-groups/share-group-screen.tsx")).ShareGroupScreen,
);
const StreamsScreen = lazyScreen(async () => (await import("./streams/streams-screen.tsx")).StreamsScreen);

/** The sections of the navigation, in order; `section` of a route says which one is current. */
export const SECTIONS = [
  { id: "topics", label: "Topics" },
  { id: "groups", label: "Consumer groups" },
  { id: "share-groups", label: "Share groups" },
  { id: "streams", label: "Streams" },
  { id: "access", label: "Access" },
] as const;

export type SectionId = (typeof SECTIONS)[number]["id"];

export function sectionOf(route: Route): SectionId {
  const first = route.segments[0];
  return SECTIONS.find((section) => section.id === first)?.id ?? "topics";
}

/**
 * `#/topics` · `#/topics/{t}` · `#/topics/{t}/messages?partition=&from=` · `#/groups` · `#/groups/{g}` ·
 * `#/share-groups` · `#/share-groups/{g}` · `#/streams` · `#/access`. Anything else shows the topics list.
 */
export function screenFor(route: Route): JSX.Element {
  const [section, name, sub] = route.segments;
  switch (section) {
    case "topics":
      if (name === undefined) return <TopicsScreen />;
      if (sub === "messages") return <MessagesScreen topic={name} query={route.query} />;
      return <TopicScreen topic={name} />;
    case "groups":
      return name === undefined ? <GroupsScreen /> : <GroupScreen group={name} />;
    case "share-groups":
      return name === undefined ? <ShareGroupsScreen /> : <ShareGroupScreen group={name} />;
    case "streams":
      return <StreamsScreen />;
    case "access":
      return <AccessScreen />;
    default:
      return <TopicsScreen />;
  }
}
