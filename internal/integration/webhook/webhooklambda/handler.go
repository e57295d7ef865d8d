package webhooklambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portico/portico/internal/integration/webhook"
)

// Dispatcher is what the handler needs of *webhook.Dispatcher.
type Dispatcher interface {
	Drain(ctx context.Context) (int, error)
	Dispatch(ctx context.Context, ref webhook.MessageRef) (bool, error)
}

// Handler handles the function's events.
type Handler struct {
	Dispatcher Dispatcher
	// Ref maps a stream record's table keys to an outbox message, false
	// for keys outside the outbox (catalog.OutboxRef).
	Ref    func(pk, sk string) (webhook.MessageRef, bool)
	Logger *slog.Logger
}

// Sources of Result.
const (
	SourceStream   = "dynamodb"
	SourceSchedule = "schedule"
)

// Result is the function's answer: what one invocation did.
type Result struct {
	Source     string `json:"source"`
	Dispatched int    `json:"dispatched"`
	// Skipped counts stream records that are not new outbox items, or
	// whose message was not due or was claimed by another dispatcher.
	Skipped int `json:"skipped"`
	// Failed counts stream records whose dispatch failed (left to the
	// schedule).
	Failed int `json:"failed"`
}

// ErrUnknownEvent is returned for a payload that is neither a DynamoDB
// Streams batch nor an EventBridge scheduled event.
var ErrUnknownEvent = errors.New("webhooklambda: unknown event")

// probe tells the two event shapes apart.
type probe struct {
	Records []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
}

// Handle is the Lambda handler.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (Result, error) {
	var p probe
	if err := json.Unmarshal(payload, &p); err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrUnknownEvent, err)
	}
	switch {
	case len(p.Records) > 0 && p.Records[0].EventSource == "aws:dynamodb":
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return Result{}, fmt.Errorf("decode DynamoDB Streams event: %w", err)
		}
		return h.stream(ctx, ev), nil
	case p.Source == "aws.events" && p.DetailType == "Scheduled Event":
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return Result{}, fmt.Errorf("decode EventBridge event: %w", err)
		}
		n, err := h.Dispatcher.Drain(ctx)
		if err != nil {
			return Result{Source: SourceSchedule, Dispatched: n}, fmt.Errorf("drain webhook outbox (schedule %s): %w", ev.ID, err)
		}
		return Result{Source: SourceSchedule, Dispatched: n}, nil
	}
	return Result{}, ErrUnknownEvent
}

// streamParallel bounds the records of a batch dispatched at once, so a
// batch of slow receivers fits in the function's timeout.
const streamParallel = 8

func (h *Handler) stream(ctx context.Context, ev events.DynamoDBEvent) Result {
	res := Result{Source: SourceStream}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, streamParallel)
	)
	for _, rec := range ev.Records {
		ref, ok := h.ref(rec)
		if !ok || rec.EventName != string(events.DynamoDBOperationTypeInsert) {
			mu.Lock()
			res.Skipped++
			mu.Unlock()
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			done, err := h.Dispatcher.Dispatch(ctx, ref)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				res.Failed++
				h.log().Error("dispatch webhook message", "tenant", ref.Tenant, "key", ref.Key, "error", err.Error())
			case done:
				res.Dispatched++
			default:
				res.Skipped++
			}
		})
	}
	wg.Wait()
	return res
}

func (h *Handler) ref(rec events.DynamoDBEventRecord) (webhook.MessageRef, bool) {
	pk, okPK := rec.Change.Keys["PK"]
	sk, okSK := rec.Change.Keys["SK"]
	if !okPK || !okSK || pk.DataType() != events.DataTypeString || sk.DataType() != events.DataTypeString {
		return webhook.MessageRef{}, false
	}
	return h.Ref(pk.String(), sk.String())
}

func (h *Handler) log() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}
