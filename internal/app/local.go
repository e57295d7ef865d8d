package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/console"
	"github.com/portico/portico/internal/echo"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
)

// Demo seed identifiers.
const (
	DemoTenant      = "demo"
	DemoAPI         = "items"
	DemoIntegration = "demo-upstream"
	DemoOwner       = "owner@demo.local"
)

// Mux routes the local all-in-one server: /admin/v1 to the management API,
// everything else to the gateway. It is not an http.ServeMux, which would
// redirect unclean paths ("//a") before the gateway canonicalises them.
func Mux(mgmt, gw http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == "/admin/v1" || strings.HasPrefix(p, "/admin/v1/") {
			mgmt.ServeHTTP(w, r)
			return
		}
		gw.ServeHTTP(w, r)
	})
}

// WithConsole puts the web console in front of next: /console and
// /console/... go to con, everything else to next. Tenants' own paths never
// start with /console: the gateway's are /t/{tenant}/... or host-routed.
func WithConsole(con *console.Handler, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if con.Match(r.URL.Path) {
			con.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RunLocal starts the demo upstream, seeds the demo tenant, and serves the
// gateway and the management API on e.Listen until ctx is cancelled. What a
// new user needs (URLs, a console token, curl examples) goes to out.
func RunLocal(ctx context.Context, e Env, out io.Writer) error {
	log := e.Logger()
	st, closeStore, err := OpenStore(ctx, e)
	if err != nil {
		return err
	}
	defer func() { _ = closeStore() }()
	cat, err := NewCatalog(e, st)
	if err != nil {
		return err
	}
	con, err := NewConsole(e, nil)
	if err != nil {
		return err
	}
	sh, err := NewShared(e, log)
	if err != nil {
		return err
	}
	mgmt, err := NewManagement(ctx, e, cat, con, sh, log)
	if err != nil {
		return err
	}
	gwApp, err := NewGateway(e, cat, sh, log)
	if err != nil {
		return err
	}
	// Metrics as EMF lines when PORTICO_METRICS names a file (off by
	// default locally: /admin/v1/cache/stats sees this one process).
	gw, stopMetrics, err := GatewayMetrics(e, sh, gwApp, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	// Stopped after the servers (defers run last), when no change can be
	// committed any more; attempts in flight finish and are recorded.
	stopWebhooks, err := startWebhookDispatcher(ctx, e, cat, log)
	if err != nil {
		return err
	}
	defer stopWebhooks()

	upLn, err := net.Listen("tcp", e.UpstreamListen)
	if err != nil {
		return fmt.Errorf("listen for demo upstream on %s: %w", e.UpstreamListen, err)
	}
	upstreamURL := "http://" + upLn.Addr().String()
	ln, err := net.Listen("tcp", e.Listen)
	if err != nil {
		_ = upLn.Close()
		return fmt.Errorf("listen on %s: %w", e.Listen, err)
	}
	base := "http://" + ln.Addr().String()

	if e.SeedDemo {
		if err := SeedDemo(ctx, cat, upstreamURL); err != nil {
			return fmt.Errorf("seed demo tenant: %w", err)
		}
	}
	var token string
	if con.Signer != nil && e.DevLogin {
		token, err = con.Signer.Issue(identity.Principal{Subject: "dev:" + DemoOwner, Email: DemoOwner, Tenant: DemoTenant, Role: identity.RoleOwner}, time.Hour, time.Now())
		if err != nil {
			return fmt.Errorf("issue demo token: %w", err)
		}
	}

	web, err := console.Dir(e.ConsoleDir, "/console/")
	if err != nil {
		return err
	}

	upSrv := &http.Server{Handler: echo.New(echo.Config{Logger: log}), ReadHeaderTimeout: 10 * time.Second}
	srv := &http.Server{Handler: WithConsole(web, Mux(mgmt, gw)), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 2)
	go func() { errc <- upSrv.Serve(upLn) }()
	go func() { errc <- srv.Serve(ln) }()

	printBanner(out, base, upstreamURL, token, e)
	if web.Built() {
		fmt.Fprintf(out, "  Console         %s/console/  (sign in as tenant %q)\n\n", base, DemoTenant)
	} else {
		fmt.Fprintf(out, "  Console         not built (%s/index.html missing): run `make console`\n\n", e.ConsoleDir)
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	_ = upSrv.Shutdown(shutdownCtx)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func printBanner(out io.Writer, base, upstream, token string, e Env) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nPortico is running (local mode, data in %s)\n\n", e.DataDir)
	fmt.Fprintf(&b, "  Gateway         %s/t/%s/v1/items/42\n", base, DemoTenant)
	fmt.Fprintf(&b, "  Management API  %s/admin/v1\n", base)
	fmt.Fprintf(&b, "  Demo upstream   %s\n", upstream)
	if token != "" {
		fmt.Fprintf(&b, "\nDemo console token (tenant %q, role owner, valid 1h):\n\n  export PORTICO_TOKEN=%s\n", DemoTenant, token)
		fmt.Fprintf(&b, "\nTry:\n  curl -s %s/t/%s/v1/items/42\n", base, DemoTenant)
		fmt.Fprintf(&b, "  curl -s -H \"Authorization: Bearer $PORTICO_TOKEN\" %s/admin/v1/apis\n", base)
		fmt.Fprintf(&b, "  curl -s -X POST %s/admin/v1/auth/dev-login -d '{\"tenant\":\"%s\",\"email\":\"%s\",\"role\":\"owner\"}'\n", base, DemoTenant, DemoOwner)
	}
	fmt.Fprintln(&b)
	_, _ = io.WriteString(out, b.String())
}

// SeedDemo creates (or refreshes) the demo tenant: an integration pointing
// at the local demo upstream and a published API "items" v1 with two
// endpoints. It is idempotent.
func SeedDemo(ctx context.Context, cat *catalog.Catalog, upstreamURL string) error {
	actor := catalog.Actor{Subject: "system:seed", Role: "owner"}
	if _, err := cat.CreateTenant(ctx, actor, &model.Tenant{ID: DemoTenant, Name: "Demo Company"}); err != nil && !errors.Is(err, catalog.ErrExists) {
		return err
	}
	in := &model.Integration{Slug: DemoIntegration, Name: "Demo upstream (built-in echo service)", Type: model.IntegrationHTTP, URL: upstreamURL, TimeoutMs: 5000}
	if cur, err := cat.GetIntegration(ctx, DemoTenant, DemoIntegration); err == nil {
		if cur.URL != upstreamURL {
			if _, err := cat.UpdateIntegration(ctx, DemoTenant, actor, DemoIntegration, cur.Revision, in); err != nil {
				return err
			}
		}
	} else if _, err := cat.CreateIntegration(ctx, DemoTenant, actor, in); err != nil {
		return err
	}
	if _, err := cat.GetAPI(ctx, DemoTenant, DemoAPI); errors.Is(err, catalog.ErrNotFound) {
		if _, err := cat.CreateAPI(ctx, DemoTenant, actor, &model.API{Slug: DemoAPI, Name: "Items", Description: "Demo API proxied to the built-in echo upstream"}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	v, err := cat.GetVersion(ctx, DemoTenant, DemoAPI, "v1")
	if errors.Is(err, catalog.ErrNotFound) {
		if v, err = cat.CreateVersion(ctx, DemoTenant, actor, DemoAPI, &model.Version{Name: "v1"}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	eps, err := cat.ListEndpoints(ctx, DemoTenant, DemoAPI, "v1")
	if err != nil {
		return err
	}
	if len(eps) == 0 {
		target := model.Target{Type: model.TargetIntegration, Integration: DemoIntegration}
		for _, ep := range []model.Endpoint{
			{Method: "GET", Path: "/items/{id}", Summary: "Fetch one item", Target: target},
			{Method: "ANY", Path: "/echo/{rest+}", Summary: "Echo the request back", Target: target},
		} {
			ep.API, ep.Version = DemoAPI, "v1"
			if _, err := cat.CreateEndpoint(ctx, DemoTenant, actor, &ep); err != nil {
				return err
			}
		}
	}
	if v.Status == model.StatusDraft {
		if _, err := cat.UpdateVersion(ctx, DemoTenant, actor, DemoAPI, "v1", 0, "publish", func(v *model.Version) error {
			v.Status = model.StatusPublished
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}
