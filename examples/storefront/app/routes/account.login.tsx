import { data, Form, Link, redirect, useNavigation } from "react-router";
import type { Route } from "./+types/account.login";
import { errorMessage, errorStatus } from "~/lib/backend.server";
import { claimCart, logIn, nextPath, readToken, setToken } from "~/lib/customer.server";
import { Field, FormError } from "~/lib/summary";

export function meta() {
  return [{ title: "Log in · Storefront" }];
}

export async function loader({ request }: Route.LoaderArgs) {
  const next = nextPath(new URL(request.url).searchParams.get("next"));
  if (await readToken(request)) throw redirect(next);
  return { next };
}

export async function action({ request }: Route.ActionArgs) {
  const form = await request.formData();
  const email = String(form.get("email") ?? "").trim();
  const password = String(form.get("password") ?? "");
  const next = nextPath(form.get("next"));
  if (!email || !password) return data({ error: "Enter your email and password.", email }, { status: 400 });
  try {
    const token = await logIn(email, password);
    await claimCart(request, token);
    return redirect(next, { headers: { "Set-Cookie": await setToken(request, token) } });
  } catch (error) {
    const status = errorStatus(error);
    const message =
      status === 401
        ? "Wrong email or password."
        : status === 429
          ? "Too many attempts. Wait a few minutes and try again."
          : `Could not log in: ${errorMessage(error)}`;
    return data({ error: message, email }, { status: status && status < 500 ? status : 502 });
  }
}

export default function Login({ loaderData, actionData }: Route.ComponentProps) {
  const busy = useNavigation().state !== "idle";
  return (
    <section className="account-form">
      <h1>Log in</h1>
      <Form method="post" data-testid="login-form">
        <input type="hidden" name="next" value={loaderData.next} />
        <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={actionData?.email} data-testid="login-email" />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required data-testid="login-password" />
        <FormError message={actionData?.error} testId="login-error" />
        <button type="submit" disabled={busy} data-testid="login-submit">
          Log in
        </button>
      </Form>
      <p>
        New here? <Link to="/account/register">Create an account</Link>
      </p>
    </section>
  );
}
