package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/gateway"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/lambdahttp"
	"github.com/portico/portico/internal/management"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
	"github.com/portico/portico/internal/store/dynamo"
)

// OpenStore opens the configured store adapter. The returned close function
// releases it.
func OpenStore(ctx context.Context, e Env) (store.Store, func() error, error) {
	switch e.Store {
	case "bolt":
		if err := os.MkdirAll(e.DataDir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("create data dir: %w", err)
		}
		st, err := bolt.Open(ctx, bolt.Config{Path: filepath.Join(e.DataDir, "portico.db")})
		if err != nil {
			return nil, nil, fmt.Errorf("open embedded store: %w", err)
		}
		return st, st.Close, nil
	case "dynamodb":
		client, err := dynamo.NewClient(ctx)
		if err != nil {
			return nil, nil, err
		}
		if e.CreateTable {
			if err := dynamo.CreateTable(ctx, client, e.Table); err != nil {
				return nil, nil, fmt.Errorf("create table %s: %w", e.Table, err)
			}
		}
		st, err := dynamo.New(client, dynamo.Config{Table: e.Table})
		if err != nil {
			return nil, nil, err
		}
		return st, func() error { return nil }, nil
	}
	return nil, nil, fmt.Errorf("unknown store %q", e.Store)
}

// NewGateway assembles the data plane.
func NewGateway(e Env, cat *catalog.Catalog, sh *Shared, log *slog.Logger) (*gateway.Gateway, error) {
	sh.secrets.bind(cat.SecretSource())
	creds, err := newCredentials(context.Background(), e, cat, log)
	if err != nil {
		return nil, err
	}
	limits, err := RateLimitStore(context.Background(), e)
	if err != nil {
		return nil, err
	}
	workflows, err := sh.WorkflowEngine(context.Background(), e, cat, log)
	if err != nil {
		return nil, err
	}
	wasm, err := sh.WasmHost(e, log)
	if err != nil {
		return nil, err
	}
	return gateway.New(gateway.Config{
		Source:          cat,
		Forwarder:       sh.Forwarder,
		Integrations:    sh.Integrations,
		Domain:          e.Domain,
		RefreshInterval: e.RefreshInterval,
		Logger:          log,
		Authenticators:  creds.authenticators,
		TenantEndpoints: creds.tokens,
		Failures:        creds.failures,
		Secrets:         secretReader(cat),
		RateLimits:      limits,
		Cache:           sh.Cache,
		Workflows:       workflows,
		WorkflowRecords: cat,
		Wasm:            wasm,
		Idempotency:     cat.Store(),
	})
}

// Console holds what the management API needs to authenticate users.
type Console struct {
	Verifier management.TokenVerifier
	Signer   *identity.Signer // local mode only
}

// NewConsole builds the console token verifier: locally the dev-login signer
// (key kept in the data dir) verifies its own tokens; in aws mode the
// issuer's JWKS URL (Cognito) is used.
func NewConsole(e Env, httpClient *http.Client) (*Console, error) {
	if e.Mode == "local" && e.ConsoleJWKSURL == "" {
		if err := os.MkdirAll(e.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		issuer := e.ConsoleIssuer
		if issuer == "" {
			issuer = "portico-local"
		}
		s, err := identity.LoadOrCreateSigner(e.DataDir, issuer)
		if err != nil {
			return nil, err
		}
		v, err := identity.NewVerifier(identity.VerifierConfig{Issuer: issuer, Audience: identity.ConsoleAudience, Keys: identity.StaticKeys(s.PublicJWKS())})
		if err != nil {
			return nil, err
		}
		return &Console{Verifier: v, Signer: s}, nil
	}
	if e.ConsoleIssuer == "" || e.ConsoleJWKSURL == "" {
		return nil, errors.New("PORTICO_CONSOLE_ISSUER and PORTICO_CONSOLE_JWKS_URL are required in aws mode")
	}
	keys, err := identity.NewRemoteJWKS(identity.RemoteJWKSConfig{URL: e.ConsoleJWKSURL, Client: httpClient})
	if err != nil {
		return nil, err
	}
	p := e.ConsoleClaims
	v, err := identity.NewVerifier(identity.VerifierConfig{
		Issuer: e.ConsoleIssuer, Audience: e.ConsoleAudience, Keys: keys,
		TenantClaim: p + "tenant", RoleClaim: p + "role", EmailClaim: "email",
	})
	if err != nil {
		return nil, err
	}
	return &Console{Verifier: v}, nil
}

// CursorKey returns the key signing pagination cursors: PORTICO_CURSOR_KEY
// when set; else, when PORTICO_CURSOR_KEY_SECRET_ARN is set (aws mode), the
// secret's current value read from Secrets Manager; else, locally, a random
// key persisted in the data dir.
func CursorKey(ctx context.Context, e Env) ([]byte, error) {
	if e.CursorKey != "" {
		return []byte(e.CursorKey), nil
	}
	if e.CursorKeySecretARN != "" {
		client, err := newSecretsClient(ctx)
		if err != nil {
			return nil, err
		}
		v, err := secretString(ctx, client, e.CursorKeySecretARN)
		if err != nil {
			return nil, fmt.Errorf("cursor key: %w", err)
		}
		if len(v) < 32 {
			return nil, errors.New("cursor key: the secret must hold at least 32 bytes")
		}
		return []byte(v), nil
	}
	if e.Mode != "local" {
		return nil, errors.New("cursor key: set PORTICO_CURSOR_KEY_SECRET_ARN (or PORTICO_CURSOR_KEY) in aws mode")
	}
	path := filepath.Join(e.DataDir, "cursor.key")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 64 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		return nil, fmt.Errorf("generate cursor key: %w", err)
	}
	s := hex.EncodeToString(k[:])
	if err := os.MkdirAll(e.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		return nil, fmt.Errorf("write cursor key: %w", err)
	}
	return []byte(s), nil
}

// NewManagement assembles the console API.
func NewManagement(ctx context.Context, e Env, cat *catalog.Catalog, con *Console, sh *Shared, log *slog.Logger) (*management.Handler, error) {
	sh.secrets.bind(cat.SecretSource()) // the test-connection action
	key, err := CursorKey(ctx, e)
	if err != nil {
		return nil, err
	}
	workflows, err := sh.WorkflowEngine(ctx, e, cat, log)
	if err != nil {
		return nil, err
	}
	cfg := management.Config{Catalog: cat, Verifier: con.Verifier, CursorKey: key, Logger: log, Cache: sh.Cache, Integrations: sh.Integrations,
		Workflows: management.Workflows{Engine: workflows, TaskResource: e.WorkflowTaskARN}}
	wasm, err := sh.WasmHost(e, log)
	if err != nil {
		return nil, err
	}
	cfg.Modules = moduleValidator(wasm)
	wr, err := newWebhookRedeliverer(e, cat, log) // webhook.go
	if err != nil {
		return nil, err
	}
	cfg.Webhooks, cfg.WebhookTests = wr, wr
	// Publish warm-up (locally the gateway's host too), and the sandbox
	// that runs wasm transforms' test cases.
	cfg.Warm = wasm.Compile
	cat.SetModuleRunner(wasm.RunEach)
	if con.Signer != nil {
		cfg.JWKS = con.Signer.JWKSHandler()
		if e.DevLogin {
			cfg.DevLogin = con.Signer
		}
	}
	return management.New(cfg)
}

// NewCatalog builds the configuration repository, with the tenant
// secrets store the environment picks (tenantsecrets.go).
func NewCatalog(e Env, st store.Store) (*catalog.Catalog, error) {
	sec, err := newSecretStore(context.Background(), e, st)
	if err != nil {
		return nil, fmt.Errorf("tenant secrets: %w", err)
	}
	return catalog.New(catalog.Config{Store: st, Now: time.Now, CheckUpstreamURL: upstreamGuard(e).CheckURL, Secrets: sec})
}

// Lambda runs a Lambda function main: it reads the environment, opens the
// store and catalog, builds the handler with build, and serves it through
// the API Gateway HTTP API wrapper until the runtime stops the process.
// name prefixes fatal configuration errors.
func Lambda(name string, build func(e Env, cat *catalog.Catalog, sh *Shared, log *slog.Logger) (http.Handler, error)) {
	LambdaEvents(name, func(e Env, cat *catalog.Catalog, sh *Shared, log *slog.Logger) (any, error) {
		h, err := build(e, cat, sh, log)
		if err != nil {
			return nil, err
		}
		return lambdahttp.Handler(h), nil
	})
}

// LambdaEvents runs a Lambda function main whose handler is not an HTTP
// one: it reads the environment, opens the store and catalog, builds the
// handler with build (any handler lambda.Start accepts) and serves it
// until the runtime stops the process. name prefixes fatal configuration
// errors.
func LambdaEvents(name string, build func(e Env, cat *catalog.Catalog, sh *Shared, log *slog.Logger) (any, error)) {
	e, err := LoadEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: configuration: %v\n", name, err)
		os.Exit(2)
	}
	log := e.Logger()
	if percent, limit, ok := tuneGCFromEnv(); ok {
		log.Info("gc tuned for the function's memory", "gogc", percent, "memLimitBytes", limit)
	}
	st, _, err := OpenStore(context.Background(), e)
	if err == nil {
		var cat *catalog.Catalog
		if cat, err = NewCatalog(e, st); err == nil {
			var sh *Shared
			if sh, err = NewShared(e, log); err == nil {
				var h any
				if h, err = build(e, cat, sh, log); err == nil {
					var opts []lambda.Option
					if len(sh.shutdown) > 0 {
						opts = append(opts, lambda.WithEnableSIGTERM(sh.shutdown...))
					}
					lambda.StartWithOptions(h, opts...)
					return
				}
			}
		}
	}
	log.Error("start "+name, "error", err.Error())
	os.Exit(1)
}
