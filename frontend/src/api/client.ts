import type { FieldError, Page, Problem } from './types';

/** The management API's base path; the console is always served beside it. */
export const API_BASE = '/admin/v1';

/** ApiError is a non-2xx answer, carrying the server's problem document. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }

  /** The field errors of a 400, or none. */
  get fieldErrors(): FieldError[] {
    return this.problem.errors ?? [];
  }
}

type TokenSource = () => string | null;
type UnauthorizedHandler = () => void;

let tokenSource: TokenSource = () => null;
let onUnauthorized: UnauthorizedHandler = () => {};

/** configureClient wires the session: where the bearer token comes from and what a 401 does. */
export function configureClient(tokens: TokenSource, unauthorized: UnauthorizedHandler): void {
  tokenSource = tokens;
  onUnauthorized = unauthorized;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw bytes sent as they are (a WebAssembly module), with this content type. */
  raw?: { data: Blob | ArrayBuffer; type: string };
  signal?: AbortSignal;
  /** Skip the bearer token (dev login). */
  anonymous?: boolean;
}

/** request calls the management API and decodes JSON; errors become ApiError. */
export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
  const token = opts.anonymous ? null : tokenSource();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.raw) headers['Content-Type'] = opts.raw.type;
  let res: Response;
  try {
    res = await fetch(API_BASE + path, {
      method,
      headers,
      body: opts.raw ? opts.raw.data : opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError({ status: 0, title: 'Network error', detail: 'The management API could not be reached.' });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const problem: Problem =
      data && typeof data === 'object' ? { status: res.status, ...(data as Partial<Problem>) } : { status: res.status, title: res.statusText };
    if (res.status === 401 && token) onUnauthorized();
    throw new ApiError(problem);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, { signal }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  del: (path: string) => request<void>('DELETE', path),
};

/** getPage fetches one page of a list; the server may send "items": null for none. */
export async function getPage<T>(path: string, signal?: AbortSignal): Promise<Page<T>> {
  const p = await request<Page<T> | null>('GET', path, { signal });
  return { ...(p ?? {}), items: p?.items ?? [] };
}

/** seg escapes one path segment. */
export const seg = (s: string) => encodeURIComponent(s);
