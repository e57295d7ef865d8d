// Shapes of the management API's documents (internal/model/model.go).

export type Role = 'owner' | 'admin' | 'developer' | 'viewer';

export interface Meta {
  revision: number;
  createdAt: string;
  updatedAt: string;
  createdBy?: string;
  updatedBy?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface Me {
  subject: string;
  tenant: string;
  role: Role;
  email: string;
  expiresAt: string;
}

export interface Api extends Partial<Meta> {
  slug: string;
  name: string;
  description?: string;
  basePath: string;
}

export type VersionStatus = 'draft' | 'published' | 'deprecated' | 'retired';

export interface Version extends Partial<Meta> {
  api?: string;
  name: string;
  status?: VersionStatus;
  description?: string;
  sunsetAt?: string;
  publishedAt?: string;
  deprecatedAt?: string;
}

export type AuthType = 'none' | 'apiKey' | 'jwt' | 'oauth2';
export type RateLimitAlgorithm = 'fixedWindow' | 'slidingWindow' | 'tokenBucket';
export type RateLimitScope = 'consumer' | 'endpoint' | 'tenant';

export interface Policies {
  auth?: { type: AuthType; scopes?: string[]; roles?: string[] };
  rateLimit?: {
    algorithm: RateLimitAlgorithm;
    scope: RateLimitScope;
    limit: number;
    windowSeconds: number;
    burst?: number;
    failOpen?: boolean;
  };
  cache?: { ttlSeconds: number; methods?: string[]; keyHeaders?: string[]; perPrincipal?: boolean };
  cors?: { allowOrigins: string[]; allowMethods?: string[]; allowHeaders?: string[]; allowCredentials?: boolean; maxAgeSeconds?: number };
}

export interface Endpoint extends Partial<Meta> {
  id?: string;
  api?: string;
  version?: string;
  method: string;
  path: string;
  summary?: string;
  description?: string;
  target: { type: 'integration' | 'workflow'; integration?: string; workflow?: string; path?: string };
  policies?: Policies;
}

export type IntegrationType = 'http' | 'graphql';

export interface Integration extends Partial<Meta> {
  slug: string;
  name: string;
  type: IntegrationType;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  retry?: { maxAttempts: number; baseDelayMs?: number; maxDelayMs?: number; retryOn?: number[] };
  circuitBreaker?: { failureRatio: number; minRequests: number; openSeconds: number };
  graphql?: { query: string; operationName?: string };
}

export interface Consumer extends Partial<Meta> {
  slug: string;
  name: string;
  description?: string;
  metadata?: Record<string, string>;
}

export interface Member extends Partial<Meta> {
  email: string;
  role: Role;
}

export interface AuditEntry {
  id: string;
  time: string;
  actor: string;
  actorRole?: string;
  action: string;
  resourceType: string;
  resource: string;
  requestId?: string;
  before?: unknown;
  after?: unknown;
}

/** One invalid field of an RFC 9457 problem, addressed by a JSON pointer. */
export interface FieldError {
  pointer: string;
  detail: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errorId?: string;
  errors?: FieldError[];
}

export interface Validation {
  valid: boolean;
  errors: FieldError[];
}
