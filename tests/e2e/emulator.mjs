// The end-to-end tests reach the store through the front door (tools/front-door) in
// front of `cargo lambda watch` 1.9.2. The front door already sends again, once, what the
// emulator dropped before the function saw it, and any read it left unanswered. A write
// the emulator left unanswered (measured: one request in a few hundred CI runs' worth of
// checkouts, right after a request to the same function) it cannot safely send again
// for a real client, since the function may have handled it; it answers
// `504 x-front-door: lost` instead. These tests send such a request once more, and only
// such a request: a request the function did handle twice would show in the tests'
// assertions (a line added twice, a second order), so nothing the API does is hidden.
// Imported first by every test file.
const realFetch = globalThis.fetch;

export let lostRequests = 0;

globalThis.fetch = async (input, init) => {
  const response = await realFetch(input, init);
  if (response.headers.get("x-front-door") !== "lost") return response;
  lostRequests += 1;
  console.error(`# the emulator lost ${init?.method ?? "GET"} ${input}; sending it once more`);
  return realFetch(input, init);
};
