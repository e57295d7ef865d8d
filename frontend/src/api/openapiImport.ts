import { api, seg } from './client';

// POST /admin/v1/apis/{api}/versions/{version}/import-openapi
// (internal/management/routes_openapi_import.go; docs/transforms.md, "OpenAPI import").

/** One operation matched to an endpoint (oasimport.Match plus what the import did). */
export interface ImportMatch {
  /** The endpoint's id. */
  endpoint: string;
  method: string;
  /** The endpoint's path, relative to the API's base path. */
  path: string;
  /** A JSON pointer to the operation in the document ("/paths/~1orders/get"). */
  operation: string;
  operationId?: string;
  /** The generated transform documents; absent for a side the operation does not describe. */
  request?: unknown;
  response?: unknown;
  /** The statuses whose bodies are validated ("200", "4XX", "default"). */
  responses?: string[];
  /** What was translated or left out. */
  notes?: string[];
  requestTransform?: string;
  responseTransform?: string;
  /** Of an import (not a dry run): why this endpoint was not changed (the others were). */
  error?: string;
}

/** An operation matching no endpoint (oasimport.Skip). */
export interface ImportSkip {
  method: string;
  path: string;
  /** A JSON pointer to the operation in the document. */
  pointer: string;
  reason: string;
}

/** An endpoint of the version no operation describes. */
export interface ImportUnmatched {
  endpoint: string;
  method: string;
  path: string;
}

/** The import's report; the server sends null for an empty skipped or unmatched list. */
export interface ImportReport {
  openapi: string;
  dryRun: boolean;
  matched: ImportMatch[] | null;
  skipped: ImportSkip[] | null;
  unmatchedEndpoints: ImportUnmatched[] | null;
}

/** The management API's request body limit (management.Config.MaxBodyBytes): the document travels inside it. */
export const MAX_IMPORT_BYTES = 1 << 20;

/** The problems of a refused document point below this member of the request. */
export const DOCUMENT_POINTER = '/document';

/**
 * importBody is the request: the document as written (YAML or JSON text) in
 * a JSON string, so the parser's line numbers are the text's own.
 */
export function importBody(text: string, dryRun: boolean): string {
  return JSON.stringify({ document: text, dryRun });
}

/** importBodySize is the request's size in bytes, to compare with MAX_IMPORT_BYTES before sending. */
export function importBodySize(text: string, dryRun: boolean): number {
  return new TextEncoder().encode(importBody(text, dryRun)).length;
}

/** importOpenApi runs the import, or with dryRun only reports what it would do. */
export function importOpenApi(apiSlug: string, version: string, text: string, dryRun: boolean): Promise<ImportReport> {
  return api.post<ImportReport>(`/apis/${seg(apiSlug)}/versions/${seg(version)}/import-openapi`, { document: text, dryRun });
}
