/**
 * @module
 * Access: how this server authenticates, who the console acts as and what that allows — the token's subject,
 * expiry and granted scopes, read back by the server (`GET /v1/whoami`) and spelled out as what the console will
 * and will not show — plus sign in with another token and sign out. Against an open server it says plainly that
 * anyone who can reach it may do anything.
 */
import { useState } from "preact/hooks";
import { grantedNames, identity } from "../rights.ts";
import { authMode, signOut, token, tokenRefusal } from "../session.ts";
import { Button } from "../ui/button.tsx";
import { formatTime } from "../ui/format.ts";
import { ScreenHeader } from "../ui/screen-header.tsx";
import { TokenForm } from "./token-form.tsx";
import "./access.css";

function ModeNotice() {
  switch (authMode.value) {
    case "none":
      return (
        <p class="notice notice-error" role="status">
          <span>
            <strong>This server is open.</strong> It runs without authentication (
            <code>EDGELOG_AUTH=none</code>): it takes no token, and anyone who can reach it can read, write
            and delete every topic. For local use only — configure <code>EDGELOG_JWT_SECRET</code> or{" "}
            <code>EDGELOG_JWKS_URL</code> before exposing it.
          </span>
        </p>
      );
    case "unconfigured":
      return (
        <p class="notice notice-error" role="status">
          <span>
            <strong>This server refuses every request:</strong> no authentication is configured. Set{" "}
            <code>EDGELOG_JWT_SECRET</code> (<code>wrangler secret put EDGELOG_JWT_SECRET</code>) or{" "}
            <code>EDGELOG_JWKS_URL</code>; no token can help until then.
          </span>
        </p>
      );
    case "host":
      return (
        <p class="notice notice-info" role="status">
          <span>
            This server is mounted in a host Worker whose own sign-in decides what you may do: it takes no
            token here.
          </span>
        </p>
      );
    case "unknown":
      return (
        <p class="notice notice-error" role="status">
          <span>The server could not be asked how it authenticates (offline?).</span>
        </p>
      );
    default:
      return (
        <p class="notice notice-info" role="status">
          <span>
            This server requires a token: a JWT whose <code>scope</code> lists the rights (<code>admin</code>,{" "}
            <code>produce:P</code>, <code>consume:P</code>, <code>group:P</code>, where <code>P</code> is a
            name, a prefix ending in <code>*</code>, or <code>*</code>).
          </span>
        </p>
      );
  }
}

/** What the console shows and hides for these rights, in words. */
function Allows() {
  const who = identity.value;
  if (who === null) return null;
  if (who.rights === null)
    return (
      <p class="muted">
        The server cannot list these rights (the host grants them): the console hides nothing, and the server
        refuses what they do not allow.
      </p>
    );
  if (who.admin)
    return (
      <ul class="allows">
        <li>
          Everything: list, create, grow and delete topics; delete records; every topic's messages; every
          group.
        </li>
      </ul>
    );
  const line = (right: "produce" | "consume" | "group", verb: string) => {
    const { exact, prefixes } = grantedNames(right);
    const names = [...exact.map((n) => n), ...prefixes.map((p) => (p === "" ? "any name" : `${p}…`))];
    return names.length === 0 ? null : (
      <li key={right}>
        {verb}: {names.join(", ")}
      </li>
    );
  };
  const lines = [
    line("consume", "Read the messages of"),
    line("produce", "Produce to"),
    line("group", "Consumer groups"),
  ].filter((l) => l !== null);
  return (
    <ul class="allows">
      {lines.length === 0 ? <li>Nothing on any topic or group.</li> : lines}
      <li class="muted">
        Not: listing, creating or deleting topics, deleting records or listing groups — those need{" "}
        <code>admin</code>, and their buttons are hidden.
      </li>
    </ul>
  );
}

export function AccessScreen() {
  const [replacing, setReplacing] = useState(false);
  const who = identity.value;
  const signedIn = authMode.value === "token" && token.value !== null;
  const asks = authMode.value === "token" || authMode.value === "unknown";
  // A kept token the server stopped taking (expired, key rotated): the form is back, with the server's words.
  const refused = tokenRefusal.value !== null;
  return (
    <section class="screen narrow">
      <ScreenHeader title="Access" />
      <ModeNotice />
      {who === null ? null : (
        <div class="card">
          <h2>{authMode.value === "token" ? "Signed in" : "Acting as"}</h2>
          <dl class="facts">
            <div class="fact">
              <dt>Subject</dt>
              <dd>{who.subject ?? <span class="muted">none</span>}</dd>
            </div>
            <div class="fact">
              <dt>Expires</dt>
              <dd>{who.expiresAt === null ? "never" : formatTime(who.expiresAt)}</dd>
            </div>
            <div class="fact">
              <dt>Scopes</dt>
              <dd>
                {who.rights === null ? (
                  <span class="muted">not listed</span>
                ) : who.rights.length === 0 ? (
                  <span class="muted">none</span>
                ) : (
                  <span class="badges">
                    {who.rights.map((word) => (
                      <code key={word} class="badge">
                        {word}
                      </code>
                    ))}
                  </span>
                )}
              </dd>
            </div>
          </dl>
          <h3>What the console shows</h3>
          <Allows />
          {signedIn ? (
            <div class="form-actions">
              <Button onClick={() => setReplacing(!replacing)} aria-expanded={replacing ? "true" : "false"}>
                Use another token
              </Button>
              <Button variant="danger" onClick={signOut}>
                Sign out
              </Button>
            </div>
          ) : null}
        </div>
      )}
      {asks && (!signedIn || replacing || refused) ? (
        <div class="card">
          <h2>{signedIn ? "Another token" : "Sign in"}</h2>
          <TokenForm />
        </div>
      ) : null}
    </section>
  );
}
