/** The few Web API calls the demo makes, with the admin token; errors carry the API's own message. */
export class DemoApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  get apiRoot(): string {
    return new URL('api/data/v9.2/', this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`).toString();
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(new URL(path, this.apiRoot), {
      method,
      headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
      } catch {
        // not JSON: the raw text says enough
      }
      throw new Error(`${method} ${path} → HTTP ${res.status}: ${message}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async findByName(set: string, key: string, name: string): Promise<string | undefined> {
    const filter = encodeURIComponent(`name eq '${name.replaceAll("'", "''")}'`);
    const page = await this.request<{ value: Record<string, unknown>[] }>('GET', `${set}?$filter=${filter}&$select=${key}`);
    const id = page.value[0]?.[key];
    return typeof id === 'string' ? id : undefined;
  }

  async create(set: string, key: string, record: Record<string, unknown>): Promise<string> {
    const row = await this.request<Record<string, unknown>>('POST', set, record, { prefer: 'return=representation' });
    const id = row[key];
    if (typeof id !== 'string') throw new Error(`POST ${set} returned no ${key}`);
    return id;
  }

  update(set: string, id: string, patch: Record<string, unknown>): Promise<unknown> {
    return this.request('PATCH', `${set}(${id})`, patch);
  }

  get<T = Record<string, unknown>>(path: string): Promise<T> {
    return this.request<T>('GET', path, undefined, { prefer: 'odata.include-annotations="*"' });
  }
}
