/**
 * @module
 * The console's "Access" card: says whether the server is open, locked or asks for a token; takes a pasted JWT
 * (checked with one request before it is kept), shows the server's message when a token is refused, and signs out.
 * What a token is used for is offline.ts's business: this module only asks it through `check` / `changed`.
 */
import { type AuthMode, clearToken, readToken, saveToken, tokenShapeProblem } from "./console-token.ts";

export interface TokenCardOptions {
  readonly mode: AuthMode;
  /** Tries `token` against the server: the server's message if it refuses it (401), else `null`. */
  check(token: string): Promise<string | null>;
  /** The kept token changed (signed in or out). */
  changed(): void;
}

export interface TokenCard {
  /** A request was answered 401: bring the form back with the server's `message`. */
  refused(message: string): void;
}

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`missing #${id}`);
  return found as T;
}

const STATUS: Readonly<Record<AuthMode, string>> = {
  none: "This server is open: it takes no token, and anyone who can reach it can read and write every topic.",
  unconfigured:
    "This server has no authentication configured and refuses every request: no token can help until it has a key.",
  token: "This server requires a token.",
  host: "This server is mounted in a host Worker whose own sign-in decides what you may do: it takes no token here.",
  unknown: "The server could not be asked whether it requires a token (offline?).",
};

export function mountTokenCard(options: TokenCardOptions): TokenCard {
  const status = element("auth-status");
  const form = element<HTMLFormElement>("token-form");
  const input = element<HTMLInputElement>("token-input");
  const message = element("token-message");
  const signOut = element<HTMLButtonElement>("sign-out");
  const asksForToken = options.mode === "token" || options.mode === "unknown";

  const show = (note: string | null): void => {
    const signedIn = readToken() !== null;
    status.textContent = `${STATUS[options.mode]}${
      asksForToken
        ? signedIn
          ? " Using the token kept in this tab's session."
          : " Paste a JWT with the rights you need (for a local Worker: npm run token -- --scope admin)."
        : ""
    }`;
    form.hidden = !asksForToken || (signedIn && note === null);
    signOut.hidden = !asksForToken || !signedIn;
    message.hidden = note === null;
    message.textContent = note ?? "";
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token === "") return;
    const problem = tokenShapeProblem(token);
    if (problem !== null) {
      show(problem);
      return;
    }
    const refusal = await options.check(token);
    if (refusal !== null) {
      show(`The server refused this token: ${refusal}`);
      return;
    }
    saveToken(token);
    input.value = "";
    show(null);
    options.changed();
  });

  signOut.addEventListener("click", () => {
    clearToken();
    show("Signed out: the token is gone from this tab. Records stay pending until you paste another.");
    options.changed();
  });

  show(null);
  return {
    refused(note: string): void {
      if (asksForToken) show(`The server refused the token: ${note}`);
    },
  };
}
