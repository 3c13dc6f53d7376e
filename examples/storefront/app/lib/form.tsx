import type { ReactNode } from "react";
import { Form, useNavigation } from "react-router";

// The pieces the storefront's forms share.

/** An action's error message under a form, or nothing. */
export function FormError({ message, testId }: { message?: string; testId: string }) {
  return message ? (
    <p className="error-message" role="alert" data-testid={testId}>
      {message}
    </p>
  ) : null;
}

/** A labelled `<input>`: the label's text, then the input with the given attributes. */
export function Field({ label, ...input }: { label: string } & React.InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label>
      {label}
      <input {...input} />
    </label>
  );
}

/**
 * The log-in and sign-up forms: a title, the fields, the action's error, one submit button
 * (disabled while the action runs) and a line under the form. Test ids are `<id>-form`,
 * `<id>-error` and `<id>-submit`.
 */
export function AccountForm({
  id,
  title,
  submit,
  error,
  footer,
  children,
}: {
  id: string;
  title: string;
  submit: string;
  error?: string;
  footer: ReactNode;
  children: ReactNode;
}) {
  const busy = useNavigation().state !== "idle";
  return (
    <section className="account-form">
      <h1>{title}</h1>
      <Form method="post" data-testid={`${id}-form`}>
        {children}
        <FormError message={error} testId={`${id}-error`} />
        <button type="submit" disabled={busy} data-testid={`${id}-submit`}>
          {submit}
        </button>
      </Form>
      <p>{footer}</p>
    </section>
  );
}
