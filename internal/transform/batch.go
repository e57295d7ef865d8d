package transform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// MaxBatch is the largest number of records ApplyBatch accepts.
const MaxBatch = 10000

// ErrBatchTooLarge is a batch with more than MaxBatch records.
var ErrBatchTooLarge = errors.New("batch has too many records")

// BatchOptions tune ApplyBatch. The zero value is ready to use.
type BatchOptions struct {
	// Parallelism bounds the records in flight (and so the decoded trees
	// alive at once). Default GOMAXPROCS; 1 runs sequentially.
	Parallelism int
	// Template is copied into each record's message (headers, params,
	// claims...); its Body is ignored.
	Template Message
}

// RecordError is the failure of one record of a batch.
type RecordError struct {
	Index int
	Err   error
}

func (e *RecordError) Error() string { return fmt.Sprintf("record %d: %v", e.Index, e.Err) }
func (e *RecordError) Unwrap() error { return e.Err }

// ApplyBatch applies the transform to each record (one JSON value each) and
// returns the encoded outputs in input order. Memory stays bounded by the
// encoded input and output plus at most Parallelism decoded records. Records
// fail independently: errs[i] is non-nil (a *RecordError) for each failed
// record and out[i] is nil. A cancelled ctx stops the remaining records.
func (t *Transform) ApplyBatch(ctx context.Context, records []json.RawMessage, opt BatchOptions) (out []json.RawMessage, errs []error, err error) {
	if len(records) > MaxBatch {
		return nil, nil, fmt.Errorf("%w: %d > %d", ErrBatchTooLarge, len(records), MaxBatch)
	}
	out = make([]json.RawMessage, len(records))
	errs = make([]error, len(records))
	par := opt.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	par = min(par, len(records))
	one := func(i int) {
		m := opt.Template
		m.Body = nil
		if m.Headers != nil {
			m.Headers = m.Headers.Clone()
		}
		b, err := t.ApplyJSON(ctx, &m, records[i])
		if err != nil {
			errs[i] = &RecordError{Index: i, Err: err}
			return
		}
		out[i] = b
	}
	if par <= 1 {
		for i := range records {
			if err := ctx.Err(); err != nil {
				return out, errs, err
			}
			one(i)
		}
		return out, errs, nil
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range par {
		wg.Go(func() {
			for i := range next {
				one(i)
			}
		})
	}
	var cerr error
feed:
	for i := range records {
		select {
		case next <- i:
		case <-ctx.Done():
			cerr = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	return out, errs, cerr
}
