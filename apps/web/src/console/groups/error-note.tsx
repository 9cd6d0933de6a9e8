/**
 * @module
 * A failure inline in a groups screen's text (a poll that keeps the last view, a dialog's refusal): the server's
 * code (`NON_EMPTY_GROUP`) and message as the console's kit describes them (ui/errors.ts), never a blank screen or
 * a stack; `data-code` names the code for tests and styles.
 */
import { describeError } from "../ui/errors.ts";

export function ErrorNote({ error, context }: { error: unknown; context?: string }) {
  const { code, message } = describeError(error);
  return (
    <p class="error-note" role="alert" data-code={code}>
      {context === undefined ? null : <span>{context}: </span>}
      <code>{code}</code> {message}
    </p>
  );
}
