import raw from './fixtures/workflows.json';
import type { Execution, Page, Problem, TestRun, Workflow } from '../api/types';

/**
 * The server's real answers for the workflow screens, written by
 * TestConsoleWorkflowFixtures (internal/management/console_fixtures_test.go)
 * from the real handler: the unit tests mock with these, so the mocks have
 * the server's shapes (go test ... -update rewrites them when it changes).
 */
interface Answer<T> {
  status: number;
  body: T;
}

interface Fixtures {
  invalid: Answer<Problem>;
  created: Answer<Workflow>;
  forbidden: Answer<Problem>;
  notPublished: Answer<Problem>;
  definition: Answer<Record<string, unknown>>;
  published: Answer<Workflow>;
  workflow: Answer<Workflow>;
  workflows: Answer<Page<Workflow>>;
  testRunSucceeded: Answer<TestRun>;
  testRunFailed: Answer<TestRun>;
  executions: Answer<Page<Execution>>;
  executionFailed: Answer<Execution>;
  executionSucceeded: Answer<Execution>;
  notFound: Answer<Problem>;
  /** The express failed execution's redrive: refused. */
  redriveRefused: Answer<Problem>;
  standardCreated: Answer<Workflow>;
  standardStarted: Answer<TestRun>;
  /** A failed standard execution, with "redrive": possible. */
  executionRedrivable: Answer<Execution>;
  redriveAccepted: Answer<Execution>;
}

/** wf returns a fresh copy of the fixtures (tests may change them). */
export function wf(): Fixtures {
  return structuredClone(raw) as unknown as Fixtures;
}
