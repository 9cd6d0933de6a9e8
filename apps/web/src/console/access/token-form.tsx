/**
 * @module
 * The sign-in form: paste a JWT, checked for shape and then by the server (`GET /v1/whoami`) before it is kept in
 * this tab's session storage. Shows the server's own words when it refuses the token, and why the form is back
 * when a kept token stopped working (expired, key rotated).
 */
import { useState } from "preact/hooks";
import { MAX_TOKEN_CHARS } from "../../console-token.ts";
import { checkToken } from "../rights.ts";
import { signIn, tokenRefusal } from "../session.ts";
import { Button } from "../ui/button.tsx";
import { Field } from "../ui/field.tsx";

export function TokenForm() {
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const refusal = tokenRefusal.value;
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy || value.trim() === "") return;
    setBusy(true);
    const refused = await signIn(value, checkToken);
    setBusy(false);
    setProblem(refused);
    if (refused === null) setValue("");
  };
  const shown = problem ?? (refusal === null ? null : `The server refused the kept token: ${refusal}`);
  return (
    <form class="form token-form" id="console-token-form" onSubmit={submit}>
      <Field
        label="Token (JWT)"
        hint={
          <>
            Kept in this tab only (session storage) until you sign out or close it. For a local Worker:{" "}
            <code>npm run token -- --scope admin</code>
          </>
        }
        error={shown}
      >
        {({ id, describedBy }) => (
          <input
            id={id}
            name="token"
            type="password"
            autocomplete="off"
            spellcheck={false}
            maxLength={MAX_TOKEN_CHARS + 64}
            required
            value={value}
            aria-describedby={describedBy}
            aria-invalid={shown === null ? undefined : "true"}
            onInput={(event) => setValue(event.currentTarget.value)}
          />
        )}
      </Field>
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          Sign in
        </Button>
      </div>
    </form>
  );
}
