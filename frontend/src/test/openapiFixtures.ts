import raw from './fixtures/openapi.json';
import type { ImportReport } from '../api/openapiImport';
import type { Endpoint, Page, Problem } from '../api/types';

/**
 * The server's real answers to the OpenAPI import, written by
 * TestConsoleOpenAPIFixtures (internal/management/console_fixtures_test.go)
 * from the real handler, with the documents it was sent: the import panel's
 * tests mock with these, so the mocks have the server's shapes.
 */
interface Answer<T> {
  status: number;
  body: T;
}

interface OpenApiFixtures {
  /** What the console sends: the text as pasted. */
  documents: { orders: string; invalid: string; unreadable: string; swagger2: string };
  importUnreadable: Answer<Problem>;
  importSwagger2: Answer<Problem>;
  importInvalid: Answer<Problem>;
  importTooLarge: Answer<Problem>;
  importForbidden: Answer<Problem>;
  /** orders v1 (GET /items, PUT /items/{id}, DELETE /items/{id}) against documents.orders. */
  importDryRun: Answer<ImportReport>;
  imported: Answer<ImportReport>;
  /** The version's endpoints after the import. */
  endpoints: Answer<Page<Endpoint>>;
}

/** oas returns a fresh copy of the OpenAPI import fixtures (tests may change them). */
export function oas(): OpenApiFixtures {
  return structuredClone(raw) as unknown as OpenApiFixtures;
}
