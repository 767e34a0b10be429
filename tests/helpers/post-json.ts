/** A JSON POST to a test server, answering status and parsed body (errors are `{error: {code, message}}`). */
export interface JsonAnswer {
  status: number;
  // Tests read whatever shape the endpoint answers.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}
