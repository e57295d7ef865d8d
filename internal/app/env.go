package app

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/internal/integration/ssrf"
)

// Env is Portico's configuration, read once from environment variables.
// docs/configuration.md and the README list every variable.
type Env struct {
	Mode            string        // PORTICO_MODE: local (default) or aws
	DataDir         string        // PORTICO_DATA_DIR: local state (default ./.portico)
	Store           string        // PORTICO_STORE: bolt or dynamodb (default bolt locally, dynamodb in aws)
	Table           string        // PORTICO_TABLE: DynamoDB table (default portico)
	CreateTable     bool          // PORTICO_CREATE_TABLE: create the table when missing (LocalStack, DynamoDB Local)
	Listen          string        // PORTICO_LISTEN: local server address (default 127.0.0.1:8080)
	UpstreamListen  string        // PORTICO_DEMO_UPSTREAM_LISTEN: local demo upstream (default 127.0.0.1:8081)
	Domain          string        // PORTICO_GATEWAY_DOMAIN: {tenant}.<domain> host routing
	RefreshInterval time.Duration // PORTICO_REFRESH_INTERVAL: gateway snapshot staleness bound (default 2s)
	ConsoleIssuer   string        // PORTICO_CONSOLE_ISSUER: console token issuer (Cognito user pool URL in aws)
	ConsoleJWKSURL  string        // PORTICO_CONSOLE_JWKS_URL: JWKS of that issuer
	ConsoleAudience string        // PORTICO_CONSOLE_AUDIENCE: expected aud (Cognito app client id)
	ConsoleClaims   string        // PORTICO_CONSOLE_CLAIM_PREFIX: prefix of tenant/role claims ("custom:" for Cognito)
	CursorKey       string        // PORTICO_CURSOR_KEY: pagination cursor signing key (>= 32 bytes; generated locally)
	// CursorKeySecretARN (PORTICO_CURSOR_KEY_SECRET_ARN) names a Secrets
	// Manager secret holding the cursor key, read at cold start (aws mode).
	CursorKeySecretARN string
	// OAuth2SeedSecretARN (PORTICO_OAUTH2_SEED_SECRET_ARN) names the Secrets
	// Manager secret the OAuth2 token-signing key is derived from (gateway,
	// aws mode; credentials.go).
	OAuth2SeedSecretARN string
	DevLogin            bool        // PORTICO_DEV_LOGIN: enable the dev login (default true locally, refused in aws)
	SeedDemo            bool        // PORTICO_SEED_DEMO: seed the demo tenant (default true locally)
	LogLevel            slog.Level  // PORTICO_LOG_LEVEL: debug, info, warn, error
	Upstream            ssrf.Policy // PORTICO_UPSTREAM_ALLOW, PORTICO_UPSTREAM_PORTS: the SSRF guard (upstream.go)
	ConsoleDir          string      // PORTICO_CONSOLE_DIR: built web console served at /console/ locally (default frontend/dist)
	RedisURL            string      // REDIS_URL: Redis for rate-limit state (redis://host:port/db)
	RateLimitStore      string      // PORTICO_RATELIMIT_STORE: memory, redis or dynamodb (default redis when REDIS_URL is set, else memory)
	RateLimitLease      int64       // PORTICO_RATELIMIT_LEASE: dynamodb token-leasing size, 0 (off, default) or 2-10000 (docs/ratelimit.md)
	CacheStore          string      // PORTICO_CACHE_STORE: response cache L2, memory (L1 only), redis or dynamodb (the main table; default redis when REDIS_URL is set)
	// Metrics (PORTICO_METRICS) is where the gateway writes its CloudWatch
	// EMF metric lines (metrics.go): off, stdout (default in aws mode,
	// where Lambda sends stdout to CloudWatch Logs) or file:<path> (off by
	// default locally).
	Metrics string
	// MetricsInterval (PORTICO_METRICS_INTERVAL) is the least time between
	// two metric flushes; default 60s, 1s to 1h.
	MetricsInterval time.Duration
	// MetricsNamespace (PORTICO_METRICS_NAMESPACE) is the CloudWatch
	// namespace; default Portico (infra sets Portico/<env>).
	MetricsNamespace string
	// Workflows (workflow.go): the Step Functions adapter in aws mode.
	WorkflowRoleARN        string // PORTICO_WORKFLOW_ROLE_ARN: IAM role tenant state machines run as
	WorkflowPrefix         string // PORTICO_WORKFLOW_PREFIX: state machine name prefix (portico-<env>-wf-)
	WorkflowTaskARN        string // PORTICO_WORKFLOW_TASK_ARN: the workflow-task Lambda Task states invoke
	WorkflowCustomEndpoint bool   // AWS_ENDPOINT_URL_SFN or AWS_ENDPOINT_URL is set (LocalStack)
	// Tenant secrets (tenantsecrets.go, docs/secrets.md).
	Secrets       string // PORTICO_SECRETS: sealed (default locally) or secretsmanager (default in aws)
	SecretsKey    string // PORTICO_SECRETS_KEY: base64 AES-256 key of sealed (default <data dir>/secrets.key, created 0600)
	SecretsPrefix string // PORTICO_SECRETS_PREFIX: Secrets Manager name prefix, portico/<env>/tenants/ (secretsmanager)
	SecretsKMSKey string // PORTICO_SECRETS_KMS_KEY: KMS key of new tenant secrets (default aws/secretsmanager)
}

// LoadEnv reads the configuration through getenv (os.Getenv in mains).
func LoadEnv(getenv func(string) string) (Env, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	boolean := func(k string, def bool) bool {
		v := get(k, strconv.FormatBool(def))
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want true or false", k, v))
		}
		return b
	}
	e := Env{
		Mode:                get("PORTICO_MODE", "local"),
		DataDir:             get("PORTICO_DATA_DIR", ".portico"),
		Table:               get("PORTICO_TABLE", "portico"),
		Listen:              get("PORTICO_LISTEN", "127.0.0.1:8080"),
		UpstreamListen:      get("PORTICO_DEMO_UPSTREAM_LISTEN", "127.0.0.1:8081"),
		Domain:              get("PORTICO_GATEWAY_DOMAIN", ""),
		ConsoleIssuer:       get("PORTICO_CONSOLE_ISSUER", ""),
		ConsoleJWKSURL:      get("PORTICO_CONSOLE_JWKS_URL", ""),
		ConsoleAudience:     get("PORTICO_CONSOLE_AUDIENCE", ""),
		ConsoleClaims:       get("PORTICO_CONSOLE_CLAIM_PREFIX", ""),
		CursorKey:           getenv("PORTICO_CURSOR_KEY"),
		CursorKeySecretARN:  get("PORTICO_CURSOR_KEY_SECRET_ARN", ""),
		OAuth2SeedSecretARN: get("PORTICO_OAUTH2_SEED_SECRET_ARN", ""),
		ConsoleDir:          get("PORTICO_CONSOLE_DIR", "frontend/dist"),
	}
	local := e.Mode == "local"
	if !local && e.Mode != "aws" {
		errs = append(errs, fmt.Errorf("PORTICO_MODE=%q: want local or aws", e.Mode))
	}
	defStore := "bolt"
	if !local {
		defStore = "dynamodb"
	}
	e.Store = get("PORTICO_STORE", defStore)
	if e.Store != "bolt" && e.Store != "dynamodb" {
		errs = append(errs, fmt.Errorf("PORTICO_STORE=%q: want bolt or dynamodb", e.Store))
	}
	e.RedisURL = get("REDIS_URL", "")
	defLimits := "memory"
	if e.RedisURL != "" {
		defLimits = "redis"
	}
	e.RateLimitStore = get("PORTICO_RATELIMIT_STORE", defLimits)
	switch e.RateLimitStore {
	case "memory", "dynamodb":
	case "redis":
		if e.RedisURL == "" {
			errs = append(errs, errors.New("PORTICO_RATELIMIT_STORE=redis needs REDIS_URL"))
		}
	default:
		errs = append(errs, fmt.Errorf("PORTICO_RATELIMIT_STORE=%q: want memory, redis or dynamodb", e.RateLimitStore))
	}
	if v := get("PORTICO_RATELIMIT_LEASE", "0"); v != "0" {
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil || n < 2 || n > 10000:
			errs = append(errs, fmt.Errorf("PORTICO_RATELIMIT_LEASE=%q: want 0 (off) or 2-10000", v))
		case e.RateLimitStore != "dynamodb":
			errs = append(errs, errors.New("PORTICO_RATELIMIT_LEASE needs PORTICO_RATELIMIT_STORE=dynamodb"))
		default:
			e.RateLimitLease = n
		}
	}
	e.CacheStore = get("PORTICO_CACHE_STORE", map[bool]string{true: "redis", false: "memory"}[e.RedisURL != ""])
	switch {
	case e.CacheStore != "memory" && e.CacheStore != "redis" && e.CacheStore != "dynamodb":
		errs = append(errs, fmt.Errorf("PORTICO_CACHE_STORE=%q: want memory, redis or dynamodb", e.CacheStore))
	case e.CacheStore == "redis" && e.RedisURL == "":
		errs = append(errs, errors.New("PORTICO_CACHE_STORE=redis needs REDIS_URL"))
	}
	e.Metrics = get("PORTICO_METRICS", map[bool]string{true: "off", false: "stdout"}[local])
	if m := e.Metrics; m != "off" && m != "stdout" && (!strings.HasPrefix(m, "file:") || len(m) == len("file:")) {
		errs = append(errs, fmt.Errorf("PORTICO_METRICS=%q: want off, stdout or file:<path>", m))
	}
	mi, err := time.ParseDuration(get("PORTICO_METRICS_INTERVAL", "60s"))
	if err != nil || mi < time.Second || mi > time.Hour {
		errs = append(errs, errors.New("PORTICO_METRICS_INTERVAL: want a duration from 1s to 1h"))
	}
	e.MetricsInterval = mi
	e.MetricsNamespace = get("PORTICO_METRICS_NAMESPACE", "Portico")
	e.WorkflowRoleARN = get("PORTICO_WORKFLOW_ROLE_ARN", "")
	e.WorkflowPrefix = get("PORTICO_WORKFLOW_PREFIX", "")
	e.WorkflowTaskARN = get("PORTICO_WORKFLOW_TASK_ARN", "")
	e.WorkflowCustomEndpoint = get("AWS_ENDPOINT_URL_SFN", "") != "" || get("AWS_ENDPOINT_URL", "") != ""
	e.CreateTable = boolean("PORTICO_CREATE_TABLE", false)
	e.DevLogin = boolean("PORTICO_DEV_LOGIN", local)
	e.SeedDemo = boolean("PORTICO_SEED_DEMO", local)
	e.Secrets = get("PORTICO_SECRETS", map[bool]string{true: "sealed", false: "secretsmanager"}[local])
	e.SecretsKey = getenv("PORTICO_SECRETS_KEY")
	e.SecretsPrefix = get("PORTICO_SECRETS_PREFIX", "")
	e.SecretsKMSKey = get("PORTICO_SECRETS_KMS_KEY", "")
	switch {
	case e.Secrets != "sealed" && e.Secrets != "secretsmanager":
		errs = append(errs, fmt.Errorf("PORTICO_SECRETS=%q: want sealed or secretsmanager", e.Secrets))
	case e.Secrets == "secretsmanager" && !strings.HasSuffix(e.SecretsPrefix, "/"):
		errs = append(errs, errors.New("PORTICO_SECRETS=secretsmanager needs PORTICO_SECRETS_PREFIX ending with '/' (portico/<env>/tenants/)"))
	case e.Secrets == "sealed" && !local && e.SecretsKey == "":
		errs = append(errs, errors.New("PORTICO_SECRETS=sealed in aws mode needs PORTICO_SECRETS_KEY (a Lambda has no data dir to keep a key in)"))
	}
	ri, err := time.ParseDuration(get("PORTICO_REFRESH_INTERVAL", "2s"))
	if err != nil || ri <= 0 || ri > time.Hour {
		errs = append(errs, fmt.Errorf("PORTICO_REFRESH_INTERVAL: want a duration like 2s"))
	}
	e.RefreshInterval = ri
	if err := e.LogLevel.UnmarshalText([]byte(get("PORTICO_LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("PORTICO_LOG_LEVEL: %w", err))
	}
	if !local {
		if e.DevLogin {
			errs = append(errs, errors.New("PORTICO_DEV_LOGIN cannot be enabled in aws mode"))
		}
		if e.CursorKey != "" && len(e.CursorKey) < 32 {
			errs = append(errs, errors.New("PORTICO_CURSOR_KEY must hold at least 32 bytes"))
		}
	}
	if up, err := upstreamPolicy(get, local, e.UpstreamListen); err != nil {
		errs = append(errs, err)
	} else {
		e.Upstream = up
	}
	if abs, err := filepath.Abs(e.DataDir); err == nil {
		e.DataDir = abs
	}
	return e, errors.Join(errs...)
}

// Logger returns the JSON logger every component uses.
func (e Env) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: e.LogLevel})).With("build", Version())
}
