package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/integration/webhook/webhooklambda"
	"github.com/portico/portico/internal/lambdahttp/lambdatest"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store/bolt"
)

// TestBootstrapDispatches builds this function's real binary, runs it
// against a fake of the Lambda Runtime API, and invokes it as its two
// event sources do: a DynamoDB Streams batch with a new outbox item (that
// message is delivered), then an EventBridge scheduled event (the other
// due message is delivered; the first is not sent again).
func TestBootstrapDispatches(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bootstrap")
	}
	var mu sync.Mutex
	got := map[string]int{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got[r.Header.Get(webhook.HeaderID)]++
	}))
	t.Cleanup(recv.Close)

	// Seed the embedded store, then close it: the function opens it alone.
	dataDir := t.TempDir()
	st, err := bolt.Open(t.Context(), bolt.Config{Path: filepath.Join(dataDir, "portico.db")})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.New(catalog.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	actor := catalog.Actor{Subject: "owner@acme.test", Role: "owner"}
	if _, err := cat.CreateTenant(t.Context(), actor, &model.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cat.CreateWebhook(t.Context(), "acme", actor, &model.WebhookSubscription{URL: recv.URL, Events: []string{model.EventConfigChanged}}); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"orders", "billing"} {
		if _, err := cat.CreateAPI(t.Context(), "acme", actor, &model.API{Slug: slug, Name: slug, BasePath: "/" + slug}); err != nil {
			t.Fatal(err)
		}
	}
	refs, err := cat.WebhookOutbox().Due(t.Context(), time.Now(), 10)
	if err != nil || len(refs) != 2 {
		t.Fatalf("queued %v %v", refs, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	fn := lambdatest.StartFunction(t, ".", "PORTICO_DATA_DIR="+dataDir, "PORTICO_UPSTREAM_ALLOW="+strings.TrimPrefix(recv.URL, "http://"))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	invoke := func(ev any) webhooklambda.Result {
		t.Helper()
		payload, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		out, err := fn.Runtime.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
		var res webhooklambda.Result
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("result %s: %v", out, err)
		}
		return res
	}
	stream := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{
		EventID: "1", EventName: "INSERT", EventSource: "aws:dynamodb", EventVersion: "1.1", AWSRegion: "eu-west-1",
		EventSourceArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/portico-dev-table/stream/2026-11-01T00:00:00.000",
		Change: events.DynamoDBStreamRecord{
			Keys: map[string]events.DynamoDBAttributeValue{
				"PK": events.NewStringAttribute(catalog.OutboxPK(refs[0].Tenant)),
				"SK": events.NewStringAttribute(refs[0].Key),
			},
			SequenceNumber: "100", StreamViewType: "KEYS_ONLY",
		},
	}}}
	if res := invoke(stream); res != (webhooklambda.Result{Source: webhooklambda.SourceStream, Dispatched: 1}) {
		t.Fatalf("stream invocation: %+v", res)
	}
	schedule := events.EventBridgeEvent{Version: "0", ID: "53dc4d37", DetailType: "Scheduled Event", Source: "aws.events",
		AccountID: "123456789012", Time: time.Now().UTC(), Region: "eu-west-1", Detail: json.RawMessage(`{}`)}
	if res := invoke(schedule); res != (webhooklambda.Result{Source: webhooklambda.SourceSchedule, Dispatched: 1}) {
		t.Fatalf("scheduled invocation: %+v", res)
	}
	t.Logf("cold start to first response: %v", fn.ColdStart)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("received %v, want two messages once each", got)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("%s received %d times", id, n)
		}
	}
}
