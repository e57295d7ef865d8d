package model

import (
	"encoding/json"
	"time"
)

// Meta is the bookkeeping every stored configuration object carries.
// Revision is the optimistic-concurrency counter (the HTTP ETag).
type Meta struct {
	Revision  int64     `json:"revision"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	CreatedBy string    `json:"createdBy,omitempty"`
	UpdatedBy string    `json:"updatedBy,omitempty"`
}

// Tenant is a company using Portico. ID is a DNS label used in hosts
// ({tenant}.api.<domain>) and paths (/t/{tenant}).
type Tenant struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Meta
}

// API is a named group of versioned endpoints sharing a base path.
type API struct {
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// BasePath prefixes every endpoint path ("" or "/orders").
	BasePath string `json:"basePath"`
	// CORS is the default CORS policy of the API's endpoints; an
	// endpoint's own policies.cors replaces it.
	CORS *CORSPolicy `json:"cors,omitempty"`
	Meta
}

// VersionStatus is the lifecycle state of an API version.
type VersionStatus string

// Version lifecycle: only published and deprecated versions are routed;
// retired versions answer 410 Gone; drafts are invisible to callers.
const (
	StatusDraft      VersionStatus = "draft"
	StatusPublished  VersionStatus = "published"
	StatusDeprecated VersionStatus = "deprecated"
	StatusRetired    VersionStatus = "retired"
)

// Version is one version of an API ("v1", "v2"...).
type Version struct {
	API         string        `json:"api"`
	Name        string        `json:"name"`
	Status      VersionStatus `json:"status"`
	Description string        `json:"description,omitempty"`
	// SunsetAt announces retirement (RFC 8594 Sunset header once deprecated).
	SunsetAt    *time.Time `json:"sunsetAt,omitempty"`
	PublishedAt *time.Time `json:"publishedAt,omitempty"`
	// DeprecatedAt is when the version was deprecated (RFC 9745 Deprecation header).
	DeprecatedAt *time.Time `json:"deprecatedAt,omitempty"`
	Meta
}

// Routed reports whether callers can reach the version's endpoints.
func (v Version) Routed() bool {
	return v.Status == StatusPublished || v.Status == StatusDeprecated
}

// TargetType says what an endpoint dispatches to.
type TargetType string

// Target types.
const (
	TargetIntegration TargetType = "integration"
	TargetWorkflow    TargetType = "workflow"
)

// Target is where an endpoint sends the request.
type Target struct {
	Type        TargetType `json:"type"`
	Integration string     `json:"integration,omitempty"`
	Workflow    string     `json:"workflow,omitempty"`
	// Path is the upstream path template, rendered with the endpoint's path
	// params ("/items/{id}") or with request placeholders
	// ("/items/{path.id}/{query.sub}", internal/reqtmpl); "" forwards the
	// matched endpoint path.
	Path string `json:"path,omitempty"`
}

// Endpoint is one route of an API version.
type Endpoint struct {
	ID          string   `json:"id"`
	API         string   `json:"api"`
	Version     string   `json:"version"`
	Method      string   `json:"method"`
	Path        string   `json:"path"`
	Summary     string   `json:"summary,omitempty"`
	Description string   `json:"description,omitempty"`
	Target      Target   `json:"target"`
	Policies    Policies `json:"policies"`
	Meta
}

// Policies configure the pipeline stages of an endpoint. A nil policy means
// the stage is off (auth nil means public).
type Policies struct {
	Auth      *AuthPolicy      `json:"auth,omitempty"`
	RateLimit *RateLimitPolicy `json:"rateLimit,omitempty"`
	// RateLimits are further limits, all enforced with RateLimit (see
	// Policies.Limits).
	RateLimits         []RateLimitPolicy  `json:"rateLimits,omitempty"`
	Cache              *CachePolicy       `json:"cache,omitempty"`
	CORS               *CORSPolicy        `json:"cors,omitempty"`
	Idempotency        *IdempotencyPolicy `json:"idempotency,omitempty"`
	RequestTransforms  []TransformRef     `json:"requestTransforms,omitempty"`
	ResponseTransforms []TransformRef     `json:"responseTransforms,omitempty"`
}

// AuthType selects the authentication scheme of an endpoint.
type AuthType string

// Authentication schemes.
const (
	AuthNone   AuthType = "none"
	AuthAPIKey AuthType = "apiKey"
	AuthJWT    AuthType = "jwt"
	AuthOAuth2 AuthType = "oauth2"
	// AuthWebhook accepts inbound webhooks signed per the Standard Webhooks
	// spec with one of the tenant secrets the policy names.
	AuthWebhook AuthType = "webhook"
)

// AuthPolicy says who may call an endpoint.
type AuthPolicy struct {
	Type   AuthType `json:"type"`
	Scopes []string `json:"scopes,omitempty"`
	Roles  []string `json:"roles,omitempty"`
	// Secrets names the tenant secrets (Standard Webhooks "whsec_" values)
	// an inbound webhook may be signed with (type webhook): one, or two
	// while the sender rotates.
	Secrets []string `json:"secrets,omitempty"`
	// ToleranceSeconds bounds how far a webhook's timestamp may be from
	// now (type webhook); 0 means 300.
	ToleranceSeconds int `json:"toleranceSeconds,omitempty"`
}

// RateLimitAlgorithm selects a limiter.
type RateLimitAlgorithm string

// Rate-limit algorithms.
const (
	FixedWindow   RateLimitAlgorithm = "fixedWindow"
	SlidingWindow RateLimitAlgorithm = "slidingWindow"
	TokenBucket   RateLimitAlgorithm = "tokenBucket"
)

// RateLimitScope selects whose requests share a counter.
type RateLimitScope string

// Rate-limit scopes.
const (
	ScopeConsumer RateLimitScope = "consumer"
	ScopeEndpoint RateLimitScope = "endpoint"
	ScopeTenant   RateLimitScope = "tenant"
)

// RateLimitPolicy limits request rate.
type RateLimitPolicy struct {
	Algorithm     RateLimitAlgorithm `json:"algorithm"`
	Scope         RateLimitScope     `json:"scope"`
	Limit         int                `json:"limit"`
	WindowSeconds int                `json:"windowSeconds"`
	Burst         int                `json:"burst,omitempty"`
	FailOpen      bool               `json:"failOpen,omitempty"`
}

// CachePolicy caches responses (docs/cache.md).
type CachePolicy struct {
	TTLSeconds   int      `json:"ttlSeconds"`
	Methods      []string `json:"methods,omitempty"`
	KeyHeaders   []string `json:"keyHeaders,omitempty"`
	PerPrincipal bool     `json:"perPrincipal,omitempty"`
	MaxEntrySize int      `json:"maxEntryBytes,omitempty"`
	// Shared lets callers of an authenticated endpoint share entries;
	// without it the verified caller is part of the key.
	Shared bool `json:"shared,omitempty"`
	// IgnoreCacheControl stores responses whatever the upstream's
	// Cache-Control says (no-store, private, no-cache, max-age).
	IgnoreCacheControl bool `json:"ignoreCacheControl,omitempty"`
	// Statuses lists non-2xx statuses that may be cached too (e.g. 404).
	Statuses []int `json:"statuses,omitempty"`
	// Tags are purge tags given to every entry the endpoint stores, in
	// addition to those of the upstream's Cache-Tag and Surrogate-Key
	// headers (POST /admin/v1/cache/purge {"tag": ...}).
	Tags []string `json:"tags,omitempty"`
	// StaleIfErrorSeconds is how long past its TTL an entry may answer a
	// request whose upstream fails (5xx, timeout, open breaker, connection
	// error), served with X-Cache: STALE (RFC 5861 stale-if-error). Unset:
	// the upstream's Cache-Control stale-if-error, unless
	// IgnoreCacheControl; 0: never. At most MaxStaleSeconds.
	StaleIfErrorSeconds *int `json:"staleIfErrorSeconds,omitempty"`
}

// MaxStaleSeconds bounds a stale-if-error window (policy or upstream): one
// week, as the TTL.
const MaxStaleSeconds = 604800

// CORSPolicy answers preflights and decorates responses.
type CORSPolicy struct {
	AllowOrigins     []string `json:"allowOrigins"`
	AllowMethods     []string `json:"allowMethods,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty"`
	AllowCredentials bool     `json:"allowCredentials,omitempty"`
	MaxAgeSeconds    int      `json:"maxAgeSeconds,omitempty"`
}

// TransformRef names a transform applied on the way in or out.
type TransformRef struct {
	Transform string `json:"transform"`
	// Each applies the transform to every element of a JSON array body,
	// records in parallel (bulk endpoints); only the body changes.
	Each bool `json:"each,omitempty"`
}

// IntegrationType selects the upstream protocol.
type IntegrationType string

// Integration types.
const (
	IntegrationHTTP    IntegrationType = "http"
	IntegrationGraphQL IntegrationType = "graphql"
)

// Integration is an upstream service endpoints dispatch to.
type Integration struct {
	Slug           string             `json:"slug"`
	Name           string             `json:"name"`
	Type           IntegrationType    `json:"type"`
	URL            string             `json:"url"`
	Method         string             `json:"method,omitempty"`
	Headers        map[string]string  `json:"headers,omitempty"`
	Auth           *IntegrationAuth   `json:"auth,omitempty"`
	TimeoutMs      int                `json:"timeoutMs,omitempty"`
	Retry          *RetryPolicy       `json:"retry,omitempty"`
	CircuitBreaker *BreakerPolicy     `json:"circuitBreaker,omitempty"`
	GraphQL        *GraphQLConfig     `json:"graphql,omitempty"`
	Limits         *IntegrationLimits `json:"limits,omitempty"`
	Meta
}

// RetryPolicy retries failed upstream calls with exponential backoff.
type RetryPolicy struct {
	MaxAttempts int   `json:"maxAttempts"`
	BaseDelayMs int   `json:"baseDelayMs,omitempty"`
	MaxDelayMs  int   `json:"maxDelayMs,omitempty"`
	RetryOn     []int `json:"retryOn,omitempty"`
}

// BreakerPolicy configures a circuit breaker per (tenant, integration).
type BreakerPolicy struct {
	FailureRatio float64 `json:"failureRatio"`
	MinRequests  int     `json:"minRequests"`
	OpenSeconds  int     `json:"openSeconds"`
}

// GraphQLConfig is the query document sent to a GraphQL upstream and how
// its answer is mapped (docs/integrations.md, GraphQL; graphql.go).
type GraphQLConfig struct {
	Query         string `json:"query"`
	OperationName string `json:"operationName,omitempty"`
	// Variables maps GraphQL variable names to request values; nil means
	// the default mapping (body members, query params, path params).
	Variables map[string]GraphQLVariable `json:"variables,omitempty"`
	// PartialData is what to do with data that comes with errors:
	// "fail" (default) or "allow".
	PartialData string `json:"partialData,omitempty"`
	// ErrorStatus answers GraphQL errors; 0 means 502.
	ErrorStatus int `json:"errorStatus,omitempty"`
}

// Consumer is a caller of a tenant's APIs (an application or a partner).
type Consumer struct {
	Slug        string            `json:"slug"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Meta
}

// Member is a console user of a tenant.
type Member struct {
	Email string `json:"email"`
	Role  string `json:"role"`
	Meta
}

// AuditEntry records one configuration change: who, what, before and after.
type AuditEntry struct {
	ID           string          `json:"id"`
	Time         time.Time       `json:"time"`
	Actor        string          `json:"actor"`
	ActorRole    string          `json:"actorRole,omitempty"`
	Action       string          `json:"action"`
	ResourceType string          `json:"resourceType"`
	Resource     string          `json:"resource"`
	RequestID    string          `json:"requestId,omitempty"`
	Before       json.RawMessage `json:"before,omitempty"`
	After        json.RawMessage `json:"after,omitempty"`
}
