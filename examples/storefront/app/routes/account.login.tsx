import { data, Link, redirect } from "react-router";
import type { Route } from "./+types/account.login";
import { errorMessage, errorStatus } from "~/lib/backend.server";
import { claimCart, logIn, nextPath, readToken, setToken } from "~/lib/customer.server";
import { AccountForm, Field } from "~/lib/form";

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
  return (
    <AccountForm
      id="login"
      title="Log in"
      submit="Log in"
      error={actionData?.error}
      footer={
        <>
          New here? <Link to="/account/register">Create an account</Link>
        </>
      }
    >
      <input type="hidden" name="next" value={loaderData.next} />
      <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={actionData?.email} data-testid="login-email" />
      <Field label="Password" name="password" type="password" autoComplete="current-password" required data-testid="login-password" />
    </AccountForm>
  );
}
