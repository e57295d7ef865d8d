package model

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/reqtmpl"
	"github.com/portico/portico/internal/route"
)

// Limits on configuration values.
const (
	MaxNameLen        = 200
	MaxDescriptionLen = 4000
	MaxHeaders        = 50
	MaxListLen        = 100
)

var (
	slugRE        = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)
	versionRE     = regexp.MustCompile(`^v[1-9][0-9]{0,5}$`)
	headerNameRE  = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")
	scopeRE       = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,128}$`)
	emailRE       = regexp.MustCompile(`^[^@\s]{1,64}@[^@\s]{1,255}$`)
	knownMethods  = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "ANY"}
	memberRoles   = []string{"owner", "admin", "developer", "viewer"}
	cacheableVerb = []string{"GET", "HEAD"}
)

// Errors collects field errors; the zero value is ready to use.
type Errors []problem.FieldError

// Add records one invalid field.
func (e *Errors) Add(pointer, format string, args ...any) {
	*e = append(*e, problem.FieldError{Pointer: pointer, Detail: fmt.Sprintf(format, args...)})
}

// Problem returns nil when there are no errors, else a 400 validation problem.
func (e Errors) Problem() *problem.Problem {
	if len(e) == 0 {
		return nil
	}
	return problem.Validation(e)
}

// ValidSlug reports whether s is a valid identifier (lowercase DNS label,
// 1-40 characters).
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// ValidVersionName reports whether s is a version label like "v1".
func ValidVersionName(s string) bool { return versionRE.MatchString(s) }

func (e *Errors) slug(ptr, s string) {
	switch {
	case s == "":
		e.Add(ptr, "is required")
	case !ValidSlug(s):
		e.Add(ptr, "must be 1-40 lowercase letters, digits or '-', starting and ending with a letter or digit")
	}
}

func (e *Errors) name(ptr, s string, required bool) {
	switch {
	case s == "" && required:
		e.Add(ptr, "is required")
	case len(s) > MaxNameLen:
		e.Add(ptr, "must be at most %d characters", MaxNameLen)
	case strings.ContainsFunc(s, isControl):
		e.Add(ptr, "must not contain control characters")
	}
}

func (e *Errors) description(ptr, s string) {
	if len(s) > MaxDescriptionLen {
		e.Add(ptr, "must be at most %d characters", MaxDescriptionLen)
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// ValidateTenant checks a tenant document.
func ValidateTenant(t *Tenant) Errors {
	var e Errors
	e.slug("/id", t.ID)
	e.name("/name", t.Name, true)
	e.description("/description", t.Description)
	return e
}

// ValidateAPI checks an API document.
func ValidateAPI(a *API) Errors {
	var e Errors
	e.slug("/slug", a.Slug)
	e.name("/name", a.Name, true)
	e.description("/description", a.Description)
	if a.BasePath != "" {
		t, err := route.Parse(a.BasePath)
		switch {
		case err != nil:
			e.Add("/basePath", "%s", templateDetail(err))
		case a.BasePath == "/":
			e.Add("/basePath", "must be empty or a path like /orders, not /")
		case t.String() != a.BasePath:
			e.Add("/basePath", "must be in canonical form %q", t.String())
		case len(t.Params()) > 0 && strings.Contains(t.Shape(), "{+}"):
			e.Add("/basePath", "must not contain a greedy parameter")
		}
	}
	validateCORS(&e, "/cors", a.CORS) // cors.go
	return e
}

// ValidateVersion checks a version document.
func ValidateVersion(v *Version) Errors {
	var e Errors
	switch {
	case v.Name == "":
		e.Add("/name", "is required")
	case !ValidVersionName(v.Name):
		e.Add("/name", "must look like v1, v2, ... (v followed by a number without leading zero)")
	}
	switch v.Status {
	case StatusDraft, StatusPublished, StatusDeprecated, StatusRetired:
	default:
		e.Add("/status", "must be one of draft, published, deprecated, retired")
	}
	e.description("/description", v.Description)
	return e
}

// CanTransition reports whether a version may move from one status to another.
func CanTransition(from, to VersionStatus) bool {
	switch from {
	case StatusDraft:
		return to == StatusPublished
	case StatusPublished:
		return to == StatusDeprecated || to == StatusRetired
	case StatusDeprecated:
		return to == StatusPublished || to == StatusRetired
	}
	return false
}

// templateDetail returns the tenant-facing part of a route.Parse error,
// without the "route: bad template: " prefix.
func templateDetail(err error) string {
	return strings.TrimPrefix(err.Error(), route.ErrBadTemplate.Error()+": ")
}

// ValidateEndpoint checks an endpoint document (route conflicts are checked
// by the catalog, which sees every endpoint of the tenant).
func ValidateEndpoint(ep *Endpoint) Errors {
	var e Errors
	if !slices.Contains(knownMethods, ep.Method) {
		e.Add("/method", "must be one of %s", strings.Join(knownMethods, ", "))
	}
	// params is nil when the path is invalid: the target path's params are
	// then not checked, so a bad path is reported once, at /path.
	var params []string
	switch {
	case ep.Path == "":
		e.Add("/path", "is required")
	case !strings.HasPrefix(ep.Path, "/"):
		e.Add("/path", "must start with /")
	default:
		t, err := route.Parse(ep.Path)
		if err != nil {
			e.Add("/path", "%s", templateDetail(err))
		} else {
			params = append(make([]string, 0, len(t.Params())), t.Params()...)
			if t.String() != ep.Path {
				e.Add("/path", "must be in canonical form %q", t.String())
			}
		}
	}
	e.name("/summary", ep.Summary, false)
	e.description("/description", ep.Description)
	validateTarget(&e, ep.Target, params)
	validatePolicies(&e, ep.Policies, ep.Method)
	return e
}

func validateTarget(e *Errors, t Target, params []string) {
	switch t.Type {
	case TargetIntegration:
		e.slug("/target/integration", t.Integration)
		if t.Workflow != "" {
			e.Add("/target/workflow", "must be empty when type is integration")
		}
	case TargetWorkflow:
		e.slug("/target/workflow", t.Workflow)
		if t.Integration != "" {
			e.Add("/target/integration", "must be empty when type is workflow")
		}
	case "":
		e.Add("/target/type", "is required")
	default:
		e.Add("/target/type", "must be integration or workflow")
	}
	if t.Path == "" {
		return
	}
	if reqtmpl.Uses(t.Path) {
		validateTargetTemplate(e, t.Path, params) // reqtemplate.go
		return
	}
	tp, err := route.Parse(t.Path)
	if err != nil {
		e.Add("/target/path", "%s", templateDetail(err))
		return
	}
	for _, p := range tp.Params() {
		if params != nil && !slices.Contains(params, p) {
			e.Add("/target/path", "uses {%s}, which the endpoint path does not define", p)
		}
	}
}

func validatePolicies(e *Errors, p Policies, method string) {
	if a := p.Auth; a != nil {
		switch a.Type {
		case AuthNone, AuthAPIKey, AuthJWT, AuthOAuth2, AuthWebhook:
		default:
			e.Add("/policies/auth/type", "must be one of none, apiKey, jwt, oauth2, webhook")
		}
		validateWebhookAuth(e, a) // webhook_auth.go
		stringList(e, "/policies/auth/scopes", a.Scopes, scopeRE, "must be a scope token (printable ASCII, no spaces, quotes or backslashes)")
		stringList(e, "/policies/auth/roles", a.Roles, scopeRE, "must be a role name (printable ASCII, no spaces, quotes or backslashes)")
		if a.Type == AuthNone && (len(a.Scopes) > 0 || len(a.Roles) > 0) {
			e.Add("/policies/auth", "scopes and roles need an authentication type other than none")
		}
	}
	validateRateLimits(e, p)
	if c := p.Cache; c != nil {
		if c.TTLSeconds < 1 || c.TTLSeconds > 86400*7 {
			e.Add("/policies/cache/ttlSeconds", "must be between 1 and 604800")
		}
		for i, m := range c.Methods {
			if !slices.Contains(cacheableVerb, m) {
				e.Add("/policies/cache/methods/"+strconv.Itoa(i), "must be GET or HEAD")
			}
		}
		stringList(e, "/policies/cache/keyHeaders", c.KeyHeaders, headerNameRE, "must be a valid header name")
		stringList(e, "/policies/cache/tags", c.Tags, cacheTagRE, "must be 1-128 printable ASCII characters without spaces or commas") // cachetag.go
		if n := c.StaleIfErrorSeconds; n != nil && (*n < 0 || *n > MaxStaleSeconds) {
			e.Add("/policies/cache/staleIfErrorSeconds", "must be between 0 and %d", MaxStaleSeconds)
		}
		if c.MaxEntrySize < 0 || c.MaxEntrySize > 6<<20 {
			e.Add("/policies/cache/maxEntryBytes", "must be between 0 and 6291456")
		}
		for i, st := range c.Statuses {
			if st < 200 || st > 599 || st == 206 {
				e.Add("/policies/cache/statuses/"+strconv.Itoa(i), "must be a final status between 200 and 599, not 206")
			}
		}
		// An unknown method is reported at /method alone.
		if slices.Contains(knownMethods, method) && method != "GET" && method != "HEAD" && method != "ANY" {
			e.Add("/policies/cache", "caching applies only to GET and HEAD endpoints")
		}
	}
	validateCORS(e, "/policies/cors", p.CORS)                              // cors.go
	validateIdempotency(e, "/policies/idempotency", p.Idempotency, method) // idempotency.go
	for i, t := range p.RequestTransforms {
		e.slug("/policies/requestTransforms/"+strconv.Itoa(i)+"/transform", t.Transform)
	}
	for i, t := range p.ResponseTransforms {
		e.slug("/policies/responseTransforms/"+strconv.Itoa(i)+"/transform", t.Transform)
	}
}

func stringList(e *Errors, ptr string, list []string, re *regexp.Regexp, detail string) {
	if len(list) > MaxListLen {
		e.Add(ptr, "must have at most %d entries", MaxListLen)
		return
	}
	for i, s := range list {
		if !re.MatchString(s) {
			e.Add(ptr+"/"+strconv.Itoa(i), "%s", detail)
		}
	}
}

// ValidateIntegration checks an integration document. URL reachability rules
// (SSRF guard) are enforced by the integration engine.
func ValidateIntegration(in *Integration) Errors {
	var e Errors
	e.slug("/slug", in.Slug)
	e.name("/name", in.Name, true)
	switch in.Type {
	case IntegrationHTTP, IntegrationGraphQL:
	case "":
		e.Add("/type", "is required")
	default:
		e.Add("/type", "must be http or graphql")
	}
	switch u, err := url.Parse(in.URL); {
	case in.URL == "":
		e.Add("/url", "is required")
	case err != nil || !u.IsAbs() || u.Host == "":
		e.Add("/url", "must be an absolute http or https URL")
	case u.Scheme != "http" && u.Scheme != "https":
		e.Add("/url", "scheme must be http or https")
	case u.User != nil:
		e.Add("/url", "must not embed credentials; use headers with a secret reference")
	case u.Fragment != "":
		e.Add("/url", "must not have a fragment")
	}
	if in.Method != "" && (!slices.Contains(knownMethods, in.Method) || in.Method == "ANY") {
		e.Add("/method", "must be an HTTP method")
	}
	if len(in.Headers) > MaxHeaders {
		e.Add("/headers", "must have at most %d entries", MaxHeaders)
	}
	for _, k := range sortedKeys(in.Headers) {
		ptr := "/headers/" + escapePointer(k)
		if !headerNameRE.MatchString(k) {
			e.Add(ptr, "is not a valid header name")
		} else if isHopByHop(k) {
			e.Add(ptr, "is a hop-by-hop header and cannot be set")
		}
		if strings.ContainsAny(in.Headers[k], "\r\n\x00") {
			e.Add(ptr, "value must not contain CR, LF or NUL")
		}
		if IsCredentialHeader(k) && !reqtmpl.Uses(in.Headers[k]) {
			e.Add(ptr, "must not hold a literal credential; reference a secret with auth")
		}
	}
	validateIntegrationAuth(&e, in)      // integration_auth.go
	validateIntegrationTemplates(&e, in) // reqtemplate.go
	if in.TimeoutMs < 0 || in.TimeoutMs > 300_000 {
		e.Add("/timeoutMs", "must be between 0 (default) and 300000")
	}
	if r := in.Retry; r != nil {
		if r.MaxAttempts < 1 || r.MaxAttempts > 10 {
			e.Add("/retry/maxAttempts", "must be between 1 and 10")
		}
		if r.BaseDelayMs < 0 || r.BaseDelayMs > 60_000 {
			e.Add("/retry/baseDelayMs", "must be between 0 and 60000")
		}
		if r.MaxDelayMs < 0 || r.MaxDelayMs > 300_000 || (r.MaxDelayMs > 0 && r.MaxDelayMs < r.BaseDelayMs) {
			e.Add("/retry/maxDelayMs", "must be between baseDelayMs and 300000")
		}
		for i, s := range r.RetryOn {
			if s < 400 || s > 599 {
				e.Add("/retry/retryOn/"+strconv.Itoa(i), "must be an HTTP status between 400 and 599")
			}
		}
	}
	validateLimits(&e, in.Limits)
	if b := in.CircuitBreaker; b != nil {
		if b.FailureRatio <= 0 || b.FailureRatio > 1 {
			e.Add("/circuitBreaker/failureRatio", "must be greater than 0 and at most 1")
		}
		if b.MinRequests < 1 || b.MinRequests > 10_000 {
			e.Add("/circuitBreaker/minRequests", "must be between 1 and 10000")
		}
		if b.OpenSeconds < 1 || b.OpenSeconds > 3600 {
			e.Add("/circuitBreaker/openSeconds", "must be between 1 and 3600")
		}
	}
	switch {
	case in.Type == IntegrationGraphQL && (in.GraphQL == nil || strings.TrimSpace(in.GraphQL.Query) == ""):
		e.Add("/graphql/query", "is required for graphql integrations")
	case in.Type != IntegrationGraphQL && in.GraphQL != nil:
		e.Add("/graphql", "is only valid for graphql integrations")
	case in.GraphQL != nil && len(in.GraphQL.Query) > 100_000:
		e.Add("/graphql/query", "must be at most 100000 bytes")
	case in.GraphQL != nil:
		validateGraphQL(&e, in.GraphQL) // graphql.go
	}
	return e
}

// ValidateConsumer checks a consumer document.
func ValidateConsumer(c *Consumer) Errors {
	var e Errors
	e.slug("/slug", c.Slug)
	e.name("/name", c.Name, true)
	e.description("/description", c.Description)
	if len(c.Metadata) > MaxHeaders {
		e.Add("/metadata", "must have at most %d entries", MaxHeaders)
	}
	for _, k := range sortedKeys(c.Metadata) {
		if k == "" || len(k) > 128 || len(c.Metadata[k]) > 1024 {
			e.Add("/metadata/"+escapePointer(k), "keys must be 1-128 and values at most 1024 characters")
		}
	}
	return e
}

// ValidateMember checks a member document.
func ValidateMember(m *Member) Errors {
	var e Errors
	if !emailRE.MatchString(m.Email) {
		e.Add("/email", "must be an email address")
	}
	if !slices.Contains(memberRoles, m.Role) {
		e.Add("/role", "must be one of owner, admin, developer, viewer")
	}
	return e
}

func isHopByHop(k string) bool {
	switch http.CanonicalHeaderKey(k) {
	case "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Content-Length":
		return true
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// escapePointer escapes one JSON pointer reference token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
