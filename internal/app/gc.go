package app

import (
	"os"
	"runtime/debug"
	"strconv"
)

// GC settings of a Lambda function whose memory is fixed: a garbage
// collection every time the live heap doubles (GOGC=100, the default) is
// tuned for machines whose memory is shared. A function owns its memory, so
// the collector runs only as the heap nears a soft limit inside it (the Go
// GC guide's "GOGC=off with a memory limit"): a gateway's live heap is a few
// MB, so collections are rare and short, where frequent concurrent mark
// phases take a P away from requests and show in the latency tail
// (measured: docs/benchmarks.md, open-loop load). Near the limit the
// runtime caps the collector's CPU, so a growing live set slows the process
// rather than killing it.
const (
	// lambdaGCPercent turns the proportional trigger off (GOGC=off).
	lambdaGCPercent = -1
	// lambdaHeapShare is the share of the function's memory the Go heap may
	// use before the collector works harder: the rest is for goroutine
	// stacks, wazero's compiled code (mapped outside the heap) and the
	// runtime.
	lambdaHeapShare = 0.75
)

// gcSettings returns the GC percent and soft memory limit for a process
// running with the environment getenv, and false when it should keep the
// runtime's defaults: outside Lambda, or when GOGC or GOMEMLIMIT is set
// (the runtime has applied them already).
func gcSettings(getenv func(string) string) (percent int, limit int64, ok bool) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return 0, 0, false
	}
	mb, err := strconv.Atoi(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	if err != nil || mb <= 0 {
		return 0, 0, false
	}
	return lambdaGCPercent, int64(float64(mb) * lambdaHeapShare * (1 << 20)), true
}

// TuneGC applies gcSettings to this process. It returns what it set, for
// the start-up log line.
func TuneGC(getenv func(string) string) (percent int, limit int64, ok bool) {
	percent, limit, ok = gcSettings(getenv)
	if ok {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
	return percent, limit, ok
}

// tuneGCFromEnv is TuneGC over the process environment.
func tuneGCFromEnv() (int, int64, bool) { return TuneGC(os.Getenv) }
