import { data, Link, redirect } from "react-router";
import type { Route } from "./+types/account.register";
import { errorMessage, errorStatus } from "~/lib/backend.server";
import { claimCart, readToken, register, setToken } from "~/lib/customer.server";
import { AccountForm, Field } from "~/lib/form";

// This storefront asks for at least 8 characters (the store, like Medusa, takes any non-empty password).
const MIN_PASSWORD = 8;

export function meta() {
  return [{ title: "Create an account · Storefront" }];
}

export async function loader({ request }: Route.LoaderArgs) {
  if (await readToken(request)) throw redirect("/account");
  return null;
}

export async function action({ request }: Route.ActionArgs) {
  const form = await request.formData();
  const field = (name: string) => String(form.get(name) ?? "").trim();
  const values = { email: field("email"), first_name: field("first_name"), last_name: field("last_name") };
  const password = String(form.get("password") ?? "");
  const fail = (error: string, status: number) => data({ error, values }, { status });
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) return fail("Enter a valid email address.", 400);
  if (!values.first_name || !values.last_name) return fail("Enter your first and last name.", 400);
  if (password.length < MIN_PASSWORD) return fail(`The password needs at least ${MIN_PASSWORD} characters.`, 400);
  try {
    const token = await register({ ...values, password });
    await claimCart(request, token);
    return redirect("/account", { headers: { "Set-Cookie": await setToken(request, token) } });
  } catch (error) {
    const status = errorStatus(error);
    const message =
      status === 401 || status === 409
        ? "An account with this email exists already. Log in instead."
        : `Could not create the account: ${errorMessage(error)}`;
    return fail(message, status && status < 500 ? status : 502);
  }
}

export default function Register({ actionData }: Route.ComponentProps) {
  const values = actionData?.values;
  return (
    <AccountForm
      id="register"
      title="Create an account"
      submit="Create account"
      error={actionData?.error}
      footer={
        <>
          Have an account? <Link to="/account/login">Log in</Link>
        </>
      }
    >
      <Field label="First name" name="first_name" autoComplete="given-name" required defaultValue={values?.first_name} data-testid="register-first-name" />
      <Field label="Last name" name="last_name" autoComplete="family-name" required defaultValue={values?.last_name} data-testid="register-last-name" />
      <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={values?.email} data-testid="register-email" />
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        minLength={MIN_PASSWORD}
        required
        data-testid="register-password"
      />
    </AccountForm>
  );
}
