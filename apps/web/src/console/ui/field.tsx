/**
 * @module
 * Labelled form fields: every input has a `<label>` tied to it, an optional hint and an error, both linked with
 * `aria-describedby` so a screen reader reads them with the field. `Field` wraps any control; `TextField`,
 * `NumberField` and `SelectField` are the common ones, controlled (value in, `onValue` out).
 */
import type { ComponentChildren, PartialInputHTMLAttributes } from "preact";
import { useId } from "preact/hooks";

export interface FieldProps {
  readonly label: ComponentChildren;
  readonly hint?: ComponentChildren;
  readonly error?: string | null;
  /** Renders the control with the ids to use: `id` on the control, `describedBy` as its `aria-describedby`. */
  readonly children: (ids: { id: string; describedBy: string | undefined }) => ComponentChildren;
  readonly class?: string;
}

export function Field({ label, hint, error, children, class: extra }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy =
    [hint === undefined ? null : hintId, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div class={extra === undefined ? "field" : `field ${extra}`}>
      <label for={id}>{label}</label>
      {children({ id, describedBy })}
      {hint === undefined ? null : (
        <p class="field-hint" id={hintId}>
          {hint}
        </p>
      )}
      {error ? (
        <p class="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The input attributes the fields pass through. */
type InputRest = Pick<
  PartialInputHTMLAttributes<HTMLInputElement>,
  | "name"
  | "placeholder"
  | "required"
  | "pattern"
  | "autocomplete"
  | "maxLength"
  | "inputMode"
  | "disabled"
  | "spellcheck"
  | "title"
>;

export interface TextFieldProps extends InputRest {
  readonly label: ComponentChildren;
  readonly value: string;
  readonly onValue: (value: string) => void;
  /** `text` (default), `search`, `password`, `datetime-local`… */
  readonly type?: "text" | "search" | "password" | "datetime-local" | "number" | "url" | "email";
  readonly hint?: ComponentChildren;
  readonly error?: string | null;
}

export function TextField({ label, value, onValue, hint, error, type = "text", ...input }: TextFieldProps) {
  return (
    <Field label={label} hint={hint} error={error ?? null}>
      {({ id, describedBy }) => (
        <input
          {...input}
          // Preact types `<input>` as a union keyed by `type`; every type listed above takes these attributes.
          type={type as "text"}
          id={id}
          value={value}
          aria-describedby={describedBy}
          aria-invalid={error ? "true" : undefined}
          onInput={(event) => onValue(event.currentTarget.value)}
        />
      )}
    </Field>
  );
}

/** A numeric input kept as text (so an empty or partial entry is not coerced to 0 while typing). */
export function NumberField(props: TextFieldProps) {
  return <TextField inputMode="numeric" autocomplete="off" {...props} />;
}

export interface SelectFieldProps<V extends string> {
  readonly label: ComponentChildren;
  readonly value: V;
  readonly onValue: (value: V) => void;
  readonly options: readonly { readonly value: V; readonly label: string }[];
  readonly hint?: ComponentChildren;
  readonly name?: string;
}

export function SelectField<V extends string>({
  label,
  value,
  onValue,
  options,
  hint,
  name,
}: SelectFieldProps<V>) {
  return (
    <Field label={label} hint={hint}>
      {({ id, describedBy }) => (
        <select
          id={id}
          name={name}
          value={value}
          aria-describedby={describedBy}
          onChange={(event) => onValue(event.currentTarget.value as V)}
        >
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
