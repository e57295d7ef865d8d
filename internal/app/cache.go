package app

import (
	"context"
	"fmt"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/cache"
	cachedynamo "github.com/portico/portico/internal/cache/dynamo"
	cacheredis "github.com/portico/portico/internal/cache/redis"
	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/store/dynamo"
)

// NewResponseCache builds a response cache for e: an in-process L1 always,
// and Redis or DynamoDB as L2 when e.CacheStore is redis or dynamodb
// (docs/cache.md). Build it once
// per process and give the same one to the gateway and the management API
// (through Shared), so that locally a purge takes effect at once.
func NewResponseCache(e Env, log *slog.Logger) (*cache.Cache, error) {
	cfg := cache.Config{Logger: log}
	switch e.CacheStore {
	case "memory":
	case "redis":
		opts, err := goredis.ParseURL(e.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		l2, err := cacheredis.New(cacheredis.Config{Client: goredis.NewClient(opts)})
		if err != nil {
			return nil, err
		}
		cfg.L2 = l2
	case "dynamodb":
		// Loading the AWS configuration reads the environment only.
		client, err := dynamo.NewClient(context.Background())
		if err != nil {
			return nil, err
		}
		l2, err := cachedynamo.New(cachedynamo.Config{Client: client, Table: e.Table})
		if err != nil {
			return nil, err
		}
		cfg.L2 = l2
	default:
		return nil, fmt.Errorf("unknown cache store %q", e.CacheStore)
	}
	return cache.New(cfg)
}

// Shared holds what the handlers of one process share: built once by the
// caller (the local server, a Lambda main, a test) and passed to each.
type Shared struct {
	Cache *cache.Cache
	// Forwarder and Integrations call upstreams behind the SSRF guard; the
	// management API reads the same engine's breaker state (health route).
	Forwarder    *proxy.Forwarder
	Integrations *integration.Engine
	// secrets is Integrations' secret source, bound to the catalog's
	// secrets store by NewGateway and NewManagement (tenantsecrets.go).
	secrets *secretSlot
	// workflows is the workflow engine, built on first use (workflow.go).
	workflows workflowSlot
	// wasm is the WebAssembly transform host, built on first use (wasm.go).
	wasm wasmSlot
	// shutdown runs when a Lambda instance is stopped (OnShutdown).
	shutdown []func()
}

// OnShutdown registers f to run when the Lambda runtime stops this
// instance (SIGTERM, about 500 ms before it is killed; LambdaEvents asks for
// it only when something is registered). Call it while building the
// handler, before serving.
func (sh *Shared) OnShutdown(f func()) { sh.shutdown = append(sh.shutdown, f) }

// NewShared builds the per-process shared components.
func NewShared(e Env, log *slog.Logger) (*Shared, error) {
	rc, err := NewResponseCache(e, log)
	if err != nil {
		return nil, err
	}
	guard := upstreamGuard(e)
	fwd := proxy.New(proxy.Config{Logger: log, Transport: proxy.NewTransportWith(proxy.TransportConfig{Control: guard.Control, NoProxy: true})})
	slot := &secretSlot{}
	engine, err := integration.New(integration.Config{Forwarder: fwd, Guard: guard, Logger: log, Secrets: slot})
	if err != nil {
		return nil, err
	}
	return &Shared{Cache: rc, Forwarder: fwd, Integrations: engine, secrets: slot}, nil
}
